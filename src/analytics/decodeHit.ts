/**
 * The detail pane's groups (`decodeHit`): a record decoded in Analytics terms,
 * one builder per group, in display order. Every field may be missing, of
 * another type or hostile: nothing here throws, and values are plain text.
 */
import { formatRevenue } from './decimals';
import { eventsOf } from './events';
import { formatPath } from './paths';
import { hasOwn, idText, isRecord, own, scalarText, type Rec } from './recordAccess';
import { isoTime, secondsToMs } from './summary';

export interface DecodedField {
  label: string;
  /** Plain text for textContent; never HTML. */
  value: string;
  /** Path of the value in the record (see `formatPath`), '' for notes. */
  path: string;
  /** Long or multi-line: the view truncates visibly with "show all". */
  long?: boolean;
}

export interface DecodedGroup {
  id: string;
  title: string;
  fields: DecodedField[];
  table?: { columns: string[]; rows: string[][] };
}

/** Paths shown by a group; the rest goes to "Other". `true` = whole subtree shown. */
type Shown = Map<string, Shown | true>;

const GROUP_MAX = 2000;
const OTHER_DEPTH = 8;
const LONG_TEXT = 120;

class Collector {
  readonly shown: Shown = new Map();

  mark(segs: readonly string[]): void {
    let node = this.shown;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      if (i === segs.length - 1) { node.set(s, true); return; }
      const next = node.get(s);
      if (next === true) return;
      if (next) node = next;
      else { const m: Shown = new Map(); node.set(s, m); node = m; }
    }
  }
}

function field(label: string, value: string, segs: readonly string[]): DecodedField {
  const f: DecodedField = { label, value, path: formatPath(segs) };
  if (value.length > LONG_TEXT || value.includes('\n')) f.long = true;
  return f;
}

function delimChar(d: unknown): string | undefined {
  if (typeof d === 'number' && Number.isInteger(d) && d > 0 && d <= 0xffff) return String.fromCharCode(d);
  if (typeof d === 'string') {
    if (/^\d{1,5}$/.test(d)) return delimChar(Number(d));
    if (d.length === 1) return d;
  }
  return undefined;
}

/** Items of a delimited value: an array of scalars as is, a string split on `delim`. */
function listItems(values: unknown, delim: unknown): string[] | undefined {
  if (Array.isArray(values)) {
    return values.every((v) => typeof v !== 'object' || v === null) ? values.map(scalarText) : undefined;
  }
  if (typeof values === 'string') {
    const c = delimChar(delim);
    return c ? values.split(c) : [values];
  }
  return undefined;
}

const VIS_ID_TYPES: Record<string, string> = {
  '0': 'custom visitor ID', '1': 'IP + user agent fallback', '2': 'mobile subscriber header',
  '3': 'legacy cookie s_vi', '4': 'fallback cookie s_fid', '5': 'Experience Cloud ID service',
};

function duration(sec: number): string {
  const a = Math.abs(sec);
  if (a < 120) return `${a} s`;
  if (a < 7200) return `${Math.floor(a / 60)} min ${a % 60} s`;
  if (a < 172800) return `${Math.floor(a / 3600)} h ${Math.floor((a % 3600) / 60)} min`;
  return `${Math.floor(a / 86400)} d ${Math.floor((a % 86400) / 3600)} h`;
}

const EVENT_LABELS: Record<string, string> = {
  purchase: 'Purchase', prodview: 'Product View', scopen: 'Cart Open', scview: 'Cart View',
  scadd: 'Cart Add', scremove: 'Cart Remove', sccheckout: 'Checkout',
};

/**
 * What a group builder works with: the record, its top-level keys by
 * lower-cased name (known fields are found whatever their case), and what the
 * groups before it showed (the rest goes to "Other").
 */
class Decoding {
  readonly d: Rec;
  readonly top = new Map<string, string>();
  readonly c = new Collector();

  constructor(data: unknown, readonly locale: string | undefined) {
    this.d = isRecord(data) ? data : {};
    for (const k of Object.keys(this.d)) { const l = k.toLowerCase(); if (!this.top.has(l)) this.top.set(l, k); }
  }

  /** The record's spelling of a top-level key, any case. */
  key(name: string): string | undefined {
    return this.top.get(name.toLowerCase());
  }

  /** A top-level object field (any case) with the record's spelling of its key; undefined when absent or not an object. */
  object(name: string): { key: string; value: Rec } | undefined {
    const key = this.key(name);
    const value = key !== undefined ? this.d[key] : undefined;
    return key !== undefined && isRecord(value) ? { key, value } : undefined;
  }

  /** Adds scalar top-level fields from a [name, label] list (case-insensitive names). */
  scalars(fields: DecodedField[], list: readonly (readonly [string, string])[], fmt?: (key: string, v: unknown) => string): void {
    for (const [name, label] of list) {
      const key = this.key(name);
      if (key === undefined || this.c.shown.has(key)) continue;
      const v = this.d[key];
      if (typeof v === 'object' && v !== null) continue; // containers stay in Other
      fields.push(field(label, fmt ? fmt(key, v) : scalarText(v), [key]));
      this.c.mark([key]);
    }
  }

  /** Top-level keys matching `re` not already shown, by name. */
  extraKeys(re: RegExp): [string, string][] {
    return Object.keys(this.d).filter((k) => re.test(k) && !this.c.shown.has(k)).sort().map((k) => [k, k]);
  }
}

type Built = DecodedField[] | { fields: DecodedField[]; table: NonNullable<DecodedGroup['table']> } | undefined;

function pageGroup(x: Decoding): Built {
  const page: DecodedField[] = [];
  x.scalars(page, [['pageName', 'Page name'], ['pageURL', 'Page URL'], ['referrer', 'Referrer'], ['site_section', 'Site section'],
    ['channel', 'Channel'], ['server', 'Server'], ['pageType', 'Page type'], ['reportSuite', 'Report suite']]);
  const hierarchies = x.object('hierarchies');
  if (hierarchies) {
    const { key: hierKey, value: hier } = hierarchies;
    for (const name of Object.keys(hier).slice(0, GROUP_MAX)) {
      const h = hier[name];
      if (isRecord(h)) {
        const items = listItems(own(h, 'values'), own(h, 'delim'));
        if (!items) continue;
        page.push(field(`Hierarchy ${name}`, items.join(' › '), [hierKey, name, 'values']));
        x.c.mark([hierKey, name, 'values']);
        if (hasOwn.call(h, 'delim')) x.c.mark([hierKey, name, 'delim']);
      } else if (typeof h === 'string') {
        page.push(field(`Hierarchy ${name}`, h, [hierKey, name]));
        x.c.mark([hierKey, name]);
      }
    }
  }
  return page;
}

function linkGroup(x: Decoding): Built {
  const link: DecodedField[] = [];
  x.scalars(link, [['linkType', 'Link type'], ['linkName', 'Link name'], ['linkURL', 'Link URL'], ['pageEventType', 'Page event type'],
    ['pageEvent', 'Page event'], ['pageEventVar1', 'Page event var 1'], ['pageEventVar2', 'Page event var 2'], ['pageEventVar3', 'Page event var 3']]);
  return link;
}

/** evars.evars.{campaign, evarN} */
function evarsGroup(x: Decoding): Built {
  const evars: DecodedField[] = [];
  const outer = x.object('evars');
  if (outer) {
    const { key: evKey, value: evOuter } = outer;
    const innerKey = hasOwn.call(evOuter, 'evars') ? 'evars' : Object.keys(evOuter).find((k) => k.toLowerCase() === 'evars');
    const inner = innerKey !== undefined ? evOuter[innerKey] : undefined;
    if (innerKey !== undefined && isRecord(inner)) {
      numbered(inner, /^evar(\d{1,9})$/i, ['campaign'], (n) => (n === undefined ? 'Campaign (tracking code)' : `eVar${n}`), [evKey, innerKey], evars, x.c);
    }
  }
  return evars;
}

/** props.{propN, site_section} */
function propsGroup(x: Decoding): Built {
  const props: DecodedField[] = [];
  const pr = x.object('props');
  if (pr) numbered(pr.value, /^prop(\d{1,9})$/i, ['site_section'], (n) => (n === undefined ? 'Site section' : `prop${n}`), [pr.key], props, x.c);
  return props;
}

function eventsGroup(x: Decoding): Built {
  const events: DecodedField[] = [];
  const eKey = x.key('events');
  const ev = eKey !== undefined ? x.d[eKey] : undefined;
  if (eKey !== undefined) {
    for (const e of eventsOf(ev, GROUP_MAX)) {
      if (e.value === '') continue; // unusable entries stay visible in Other
      let v = e.value;
      if (e.entries > 1) v += ` (sum of ${e.entries} entries)`;
      else if (e.unique) v += ` (serialized, unique id ${e.unique})`;
      events.push(field(EVENT_LABELS[e.name.toLowerCase()] ?? e.name, v, [eKey, e.name]));
      x.c.mark([eKey, e.name]);
    }
  }
  return events;
}

function productsGroup(x: Decoding): Built {
  const prodKey = x.key('products');
  const products = prodKey !== undefined ? x.d[prodKey] : undefined;
  if (prodKey === undefined || !Array.isArray(products) || !products.length) return undefined;
  const currencyKey = x.key('currency');
  const currency = currencyKey !== undefined ? x.d[currencyKey] : undefined;
  const fields: DecodedField[] = [];
  if (currencyKey !== undefined && typeof currency === 'string') {
    fields.push(field('Currency', currency, [currencyKey]));
    x.c.mark([currencyKey]);
  }
  const rows: string[][] = [];
  products.forEach((p, i) => {
    if (!isRecord(p) || rows.length >= GROUP_MAX) return;
    const base = [prodKey, String(i)];
    const cell = (name: string, fmt?: (v: unknown) => string): string => {
      if (!hasOwn.call(p, name)) return '';
      const v = p[name];
      if (typeof v === 'object' && v !== null) return '';
      x.c.mark([...base, name]);
      return fmt ? fmt(v) : scalarText(v);
    };
    const pe = productEvars(p, base, x.c);
    const pev = productEvents(p, base, x.c);
    rows.push([cell('category'), cell('name'), cell('units'),
      cell('revenue', (v) => formatRevenue(v, currency, x.locale) || scalarText(v)), pe, pev]);
  });
  if (rows.length < products.filter(isRecord).length) fields.push(field('…', `${products.length - rows.length} more products`, []));
  return { fields, table: { columns: ['Category', 'Name', 'Units', 'Revenue', 'eVars', 'Events'], rows } };
}

/** mvvars.{N}.m.{values, delim} */
function listVarsGroup(x: Decoding): Built {
  const lists: DecodedField[] = [];
  const mvvars = x.object('mvvars');
  if (mvvars) {
    const { key: mvKey, value: mv } = mvvars;
    const keys = Object.keys(mv).sort((a, b) => (Number(a) || Infinity) - (Number(b) || Infinity) || (a < b ? -1 : a > b ? 1 : 0));
    for (const k of keys.slice(0, GROUP_MAX)) {
      const entry = mv[k];
      if (!isRecord(entry)) continue;
      const inner = own(entry, 'm');
      const holder = isRecord(inner) ? inner : entry;
      const base = isRecord(inner) ? [mvKey, k, 'm'] : [mvKey, k];
      const items = listItems(own(holder, 'values'), own(holder, 'delim'));
      if (!items) continue;
      lists.push(field(`List Var ${k} (${items.length} item${items.length === 1 ? '' : 's'})`, items.join(' · '), [...base, 'values']));
      x.c.mark([...base, 'values']);
      if (hasOwn.call(holder, 'delim')) x.c.mark([...base, 'delim']);
    }
  }
  return lists;
}

function visitorGroup(x: Decoding): Built {
  const visitor: DecodedField[] = [];
  x.scalars(visitor, [['visIdHigh', 'Visitor ID high'], ['visIdLow', 'Visitor ID low'], ['mcVisIdHigh', 'ECID high'], ['mcVisIdLow', 'ECID low'],
    ['customVisId', 'Custom visitor ID'], ['visIdType', 'Visitor ID type'], ['visitNum', 'Visit number'], ['visitPageNum', 'Page number in visit'],
    ['usesPersistentCookie', 'Persistent cookie'], ['ip', 'IP address']],
  (key, v) => {
    if (key.toLowerCase() === 'visidtype') {
      const meaning = VIS_ID_TYPES[scalarText(v)];
      return meaning ? `${scalarText(v)} (${meaning})` : scalarText(v);
    }
    return /idhigh$|idlow$/i.test(key) ? idText(v) || scalarText(v) : scalarText(v);
  });
  return visitor;
}

function timeGroup(x: Decoding): Built {
  const time: DecodedField[] = [];
  const hitSec = secondsToMs(own(x.d, 'timeGMT'));
  x.scalars(time, [['timeGMT', 'Hit time (timeGMT)'], ['receivedTimeGMT', 'Received by Adobe (receivedTimeGMT)'], ...x.extraKeys(/timegmt$/i)], (key, v) => {
    const ms = secondsToMs(v);
    if (ms === undefined) return scalarText(v);
    let s = `${isoTime(ms)} (${scalarText(v)})`;
    if (key.toLowerCase() === 'receivedtimegmt' && hitSec !== undefined) {
      const lag = Math.round((ms - hitSec) / 1000);
      s += lag >= 0 ? ` · ${duration(lag)} after the hit` : ` · ${duration(lag)} before the hit time`;
    }
    return s;
  });
  return time;
}

function geoGroup(x: Decoding): Built {
  const geo: DecodedField[] = [];
  x.scalars(geo, [['geoCountry', 'Country'], ['geoRegion', 'Region'], ['geoCity', 'City'], ['geoZip', 'ZIP / postal code'], ['geoDMA', 'DMA'],
    ['geoLatitude', 'Latitude'], ['geoLongitude', 'Longitude'], ['domain', 'Domain (network)'], ['topLevelDomain', 'Top-level domain']]);
  x.scalars(geo, x.extraKeys(/^geo/i));
  return geo;
}

function deviceGroup(x: Decoding): Built {
  const device: DecodedField[] = [];
  x.scalars(device, [['browser', 'Browser'], ['browserType', 'Browser type'], ['userAgent', 'User agent'], ['operatingSystem', 'Operating system'],
    ['os', 'Operating system'], ['browserWidth', 'Browser width'], ['browserHeight', 'Browser height'], ['monitorWidth', 'Screen width'],
    ['monitorHeight', 'Screen height'], ['monitorColorDepth', 'Color depth'], ['connectionType', 'Connection type'], ['carrier', 'Carrier'],
    ['javaEnabled', 'Java enabled'], ['language', 'Language'], ['languageAbbrev', 'Language code'], ...x.extraKeys(/^(mobile|device|screen)/i)]);
  return device;
}

/** Target / A4T: arrays of {campaignId, recipeId, ...} (older records: a string). */
function targetGroup(x: Decoding): Built {
  const target: DecodedField[] = [];
  for (const [name, title] of [['tnt', 'Target'], ['tntAction', 'A4T action']] as const) {
    const key = x.key(name);
    if (key === undefined) continue;
    const v = x.d[key];
    if (Array.isArray(v)) {
      v.slice(0, 200).forEach((item, i) => {
        if (!isRecord(item)) return;
        for (const k of Object.keys(item)) {
          const y = item[k];
          if (typeof y === 'object' && y !== null) continue;
          target.push(field(`${title} ${i + 1} · ${k}`, scalarText(y), [key, String(i), k]));
          x.c.mark([key, String(i), k]);
        }
      });
    } else if (typeof v !== 'object' || v === null) {
      target.push(field(title, scalarText(v), [key]));
      x.c.mark([key]);
    }
  }
  return target;
}

/**
 * The groups in display order. Order matters: a group shows only fields no
 * earlier group showed, and "Other" (last) everything left.
 */
const GROUPS: readonly { id: string; title: string; build: (x: Decoding) => Built }[] = [
  { id: 'page', title: 'Page', build: pageGroup },
  { id: 'link', title: 'Link', build: linkGroup },
  { id: 'evars', title: 'eVars', build: evarsGroup },
  { id: 'props', title: 'Props', build: propsGroup },
  { id: 'events', title: 'Events', build: eventsGroup },
  { id: 'products', title: 'Products', build: productsGroup },
  { id: 'listvars', title: 'List variables', build: listVarsGroup },
  { id: 'visitor', title: 'Visitor', build: visitorGroup },
  { id: 'time', title: 'Time', build: timeGroup },
  { id: 'geo', title: 'Geo', build: geoGroup },
  { id: 'device', title: 'Device / Browser', build: deviceGroup },
  { id: 'target', title: 'Target / A4T', build: targetGroup },
  { id: 'other', title: 'Other', build: (x) => otherFields(x.d, x.c.shown) },
];

/**
 * Decodes a record into the detail pane's groups, in this order, omitting empty
 * ones: page, link, evars, props, events, products, listvars, visitor, time, geo,
 * device, target, other. "Other" holds every value no other group showed
 * (flattened with paths, depth ≤ 8, ≤ 2000 fields then an "… N more" note), so
 * fields Adobe adds later still appear. Never throws; values are plain text.
 */
export function decodeHit(data: unknown, opts: { locale?: string } = {}): DecodedGroup[] {
  const x = new Decoding(data, opts.locale);
  const groups: DecodedGroup[] = [];
  for (const { id, title, build } of GROUPS) {
    const built = build(x);
    if (!built) continue;
    const { fields, table } = Array.isArray(built) ? { fields: built, table: undefined } : built;
    if (fields.length || table?.rows.length) groups.push(table ? { id, title, fields, table } : { id, title, fields });
  }
  return groups;
}

/** eVars-like numbered fields of `obj` (numerically sorted, named extras first). */
function numbered(obj: Rec, re: RegExp, named: readonly string[], label: (n?: number) => string,
  base: readonly string[], out: DecodedField[], c: Collector): void {
  const keys: [string, number | undefined][] = [];
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (typeof v === 'object' && v !== null) continue; // containers stay in Other
    const m = re.exec(k);
    if (m) keys.push([k, Number(m[1])]);
    else if (named.includes(k.toLowerCase())) keys.push([k, undefined]);
  }
  keys.sort((a, b) => (a[1] ?? -1) - (b[1] ?? -1));
  for (const [k, n] of keys.slice(0, GROUP_MAX)) {
    out.push(field(label(n), scalarText(obj[k]), [...base, k]));
    c.mark([...base, k]);
  }
  if (keys.length > GROUP_MAX) out.push(field('…', `${keys.length - GROUP_MAX} more`, []));
}

function productEvars(p: Rec, base: readonly string[], c: Collector): string {
  if (!hasOwn.call(p, 'evars')) return '';
  const outer = p.evars;
  if (!isRecord(outer)) return '';
  // Product eVars may be nested like the hit's (evars.evars) or flat.
  const nested = own(outer, 'evars');
  const obj = isRecord(nested) ? nested : outer;
  const path = isRecord(nested) ? [...base, 'evars', 'evars'] : [...base, 'evars'];
  const keys = Object.keys(obj);
  if (keys.length === 0) { c.mark(path); return ''; }
  const parts: string[] = [];
  for (const k of keys.slice(0, 250)) {
    const v = obj[k];
    if (typeof v === 'object' && v !== null) continue;
    parts.push(`${k}=${scalarText(v)}`);
    c.mark([...path, k]);
  }
  return parts.join('; ');
}

function productEvents(p: Rec, base: readonly string[], c: Collector): string {
  if (!hasOwn.call(p, 'events')) return '';
  const ev = p.events;
  if (!isRecord(ev)) return '';
  if (Object.keys(ev).length === 0) { c.mark([...base, 'events']); return ''; }
  const parts: string[] = [];
  for (const e of eventsOf(ev, 250)) {
    if (e.value === '') continue;
    parts.push(`${e.name}=${e.value}`);
    c.mark([...base, 'events', e.name]);
  }
  return parts.join(', ');
}

/** The catch-all: every value not shown by another group, flattened, bounded in depth and count. */
function otherFields(d: Rec, shown: Shown): DecodedField[] {
  const out: DecodedField[] = [];
  let more = 0;
  const segs: string[] = [];
  const emit = (value: string) => {
    if (out.length >= GROUP_MAX) { more++; return; }
    const p = formatPath(segs);
    out.push(field(p, value, segs));
  };
  const walk = (v: unknown, node: Shown | undefined, depth: number): void => {
    // Counting what is cut stays cheap: only an approximate count past the cap.
    if (more > 100_000) return;
    const isArr = Array.isArray(v);
    if (!isArr && !isRecord(v)) { emit(scalarText(v)); return; }
    const keys = isArr ? (v as unknown[]).map((_, i) => String(i)) : Object.keys(v as Rec);
    if (keys.length === 0) { if (!node) emit(isArr ? '[]' : '{}'); return; }
    if (depth >= OTHER_DEPTH) { emit(isArr ? `[… ${keys.length} items]` : `{… ${keys.length} keys}`); return; }
    for (const k of keys) {
      const sub = node?.get(k);
      if (sub === true) continue;
      segs.push(k);
      walk(isArr ? (v as unknown[])[Number(k)] : (v as Rec)[k], sub, depth + 1);
      segs.pop();
    }
  };
  for (const k of Object.keys(d)) {
    const sub = shown.get(k);
    if (sub === true) continue;
    segs.push(k);
    walk(d[k], sub, 1);
    segs.pop();
  }
  if (more) out.push({ label: '…', value: `… ${more > 100_000 ? 'over 100000' : more} more`, path: '' });
  return out;
}
