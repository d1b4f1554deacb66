/**
 * `is:mine`: the developer's own traffic, by visitor id (visIdHigh:visIdLow,
 * visIdLow, mcVisIdHigh:mcVisIdLow or the 38-digit ECID, customVisId, an s_vi
 * cookie value), IP address or page host, as listed in `liveStream.myTraffic`.
 */
import { idText, own, type Rec } from '../recordAccess';
import { urlParts } from '../summary';

/** A test of a hit against the entries, built once per filter (indexes, not per-hit string work). */
export function mineTerm(entries: readonly string[]): (d: Rec) => boolean {
  const ids = new Set<string>();
  const hosts = new Set<string>();
  // high:low pairs indexed by low, so a hit is checked without building strings.
  const pairs = new Map<string, Set<string>>();
  const addPair = (high: string, low: string) => {
    let s = pairs.get(low);
    if (!s) pairs.set(low, (s = new Set()));
    s.add(high);
  };
  const noZeros = (s: string) => s.replace(/^0+(?=\d)/, '');
  for (const e of entries) {
    ids.add(e);
    hosts.add(e.toLowerCase());
    let m = /^(\d{1,20}):(\d{1,20})$/.exec(e);
    if (m) addPair(noZeros(m[1]!), noZeros(m[2]!));
    // The 38-digit Experience Cloud ID is mcVisIdHigh and mcVisIdLow, 19 digits each.
    m = /^(\d{19})(\d{19})$/.exec(e);
    if (m) addPair(noZeros(m[1]!), noZeros(m[2]!));
    // An s_vi cookie value: [CS]v1|HIGHHEX-LOWHEX[CE].
    m = /^(?:\[CS\]v1\|)?([0-9A-Fa-f]{1,16})-([0-9A-Fa-f]{1,16})(?:\[CE\])?$/.exec(e);
    if (m) addPair(BigInt(`0x${m[1]}`).toString(), BigInt(`0x${m[2]}`).toString());
    if (e.includes('://')) { const h = urlParts(e).host; if (h) hosts.add(h); }
  }
  const pair = (d: Rec, high: string, low: string): boolean => {
    const l = idText(own(d, low));
    if (l === '') return false;
    if (ids.has(l)) return true;
    const highs = pairs.get(l);
    return highs !== undefined && highs.has(idText(own(d, high)));
  };
  return (d) => {
    if (pair(d, 'visIdHigh', 'visIdLow') || pair(d, 'mcVisIdHigh', 'mcVisIdLow')) return true;
    const custom = idText(own(d, 'customVisId'));
    if (custom && ids.has(custom)) return true;
    const mc = idText(own(d, 'mcVisId'));
    if (mc && ids.has(mc)) return true;
    // "Follow this visitor" by IP (src/analytics/visitorIds.ts) stores the address as is.
    const ip = own(d, 'ip');
    if (typeof ip === 'string' && ip !== '' && ids.has(ip)) return true;
    const url = own(d, 'pageURL');
    if (typeof url !== 'string') return false;
    const host = hostOf(url);
    if (host === '') return false;
    if (hosts.has(host)) return true;
    const colon = host.lastIndexOf(':');
    return colon > 0 && hosts.has(host.slice(0, colon)); // entry without the port
  };
}

/** Lower-cased host of an absolute URL, by index arithmetic (this runs per hit). */
function hostOf(url: string): string {
  const i = url.indexOf('//');
  if (i < 0 || i > 12) return '';
  let e = i + 2;
  const n = Math.min(url.length, i + 2 + 512);
  while (e < n) {
    const c = url.charCodeAt(e);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */ || c === 92 /* \ */) break;
    e++;
  }
  const auth = url.slice(i + 2, e);
  return auth.slice(auth.lastIndexOf('@') + 1).toLowerCase();
}
