/**
 * How a field name of the filter language reaches values in a hit
 * (`fieldAccess`): a top-level field, an eVar/prop, an event's value, a
 * product's revenue, the hit type, or any path. Keys match case-insensitively;
 * walks are bounded in depth, so hostile records stay cheap.
 */
import { centsText, eventText } from '../decimals';
import { COMMERCE_BY_LOWER } from '../events';
import { parsePath } from '../paths';
import { isRecord, lookupKey, nonEmpty, own, type Rec } from '../recordAccess';
import { hitType } from '../summary';

/** A test of one value (as text). */
export type Pred = (s: string) => boolean;

/** How a field name reaches values in a hit. */
export interface FieldAccess {
  /** True when some value of the field satisfies `pred`. */
  any(d: Rec, pred: Pred): boolean;
  /** Present and not empty. */
  has(d: Rec): boolean;
}

const MAX_DEPTH = 8;

// Canonical spellings of common top-level fields: with these, a lower-cased field
// name in the filter finds the key with one exact lookup instead of a scan.
const KNOWN_TOP = new Map(['pageName', 'pageURL', 'referrer', 'reportSuite', 'visIdHigh', 'visIdLow', 'mcVisIdHigh',
  'mcVisIdLow', 'customVisId', 'visIdType', 'hitIdHigh', 'hitIdLow', 'timeGMT', 'receivedTimeGMT', 'userAgent', 'browser',
  'operatingSystem', 'geoCity', 'geoCountry', 'geoRegion', 'geoZip', 'geoDMA', 'currency', 'channel', 'server', 'pageType',
  'linkType', 'linkName', 'linkURL', 'pageEvent', 'pageEventType', 'language', 'languageAbbrev', 'ip', 'domain',
  'connectionType', 'carrier', 'hitSource', 'bot', 'exclude', 'products', 'events', 'evars', 'props', 'mvvars',
  'hierarchies', 'tnt', 'tntAction', 'transactionId', 'site_section'].map((k) => [k.toLowerCase(), k]));

/** Calls `pred` on every scalar under `v` (strings, numbers, booleans; not null). */
function visit(v: unknown, pred: Pred, depth: number): boolean {
  switch (typeof v) {
    case 'string': return pred(v);
    case 'number': case 'bigint': return pred(String(v));
    case 'boolean': return pred(v ? 'true' : 'false');
    case 'object':
      if (v === null || depth >= MAX_DEPTH) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (visit(v[i], pred, depth + 1)) return true;
      } else {
        for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k) && visit((v as Rec)[k], pred, depth + 1)) return true;
      }
      return false;
    default: return false;
  }
}

/**
 * A path of keys; arrays on the way are searched element by element unless the
 * segment is an index. Keys match case-insensitively unless `exact` (used for
 * Adobe's own spellings, where the fallback scan of an object's keys on every
 * miss would be wasted work).
 */
function pathAccess(segs: readonly string[], exact = false): FieldAccess {
  const n = segs.length;
  const get = exact ? ownProp : lookupKey;
  const lowers = segs.map((s) => s.toLowerCase());
  const isIndex = segs.map((s) => /^\d{1,9}$/.test(s));
  if (n === 1) {
    // The common case (pageName:…): one lookup, no walk.
    const key = segs[0]!, lower = lowers[0]!;
    return {
      any: (d, pred) => { const v = get(d, key, lower); return v !== undefined && visit(v, pred, 0); },
      has: (d) => nonEmpty(get(d, key, lower)),
    };
  }
  // pred null: presence test (has:) instead of value test.
  const walk = (node: unknown, i: number, depth: number, pred: Pred | null): boolean => {
    if (i === n) return pred ? visit(node, pred, 0) : nonEmpty(node);
    if (Array.isArray(node)) {
      if (isIndex[i]) { const x: unknown = node[Number(segs[i])]; return x !== undefined && walk(x, i + 1, depth + 1, pred); }
      if (depth >= MAX_DEPTH) return false;
      for (let j = 0; j < node.length; j++) if (walk(node[j], i, depth + 1, pred)) return true;
      return false;
    }
    if (isRecord(node)) {
      const v = get(node, segs[i]!, lowers[i]);
      return v !== undefined && walk(v, i + 1, depth + 1, pred);
    }
    return false;
  };
  // Straight descent through objects; the recursive walk only once an array is met.
  const descend = (d: Rec, pred: Pred | null): boolean => {
    let node: unknown = d;
    for (let i = 0; i < n; i++) {
      if (typeof node !== 'object' || node === null) return false;
      if (Array.isArray(node)) return walk(node, i, i, pred);
      node = get(node as Rec, segs[i]!, lowers[i]);
      if (node === undefined) return false;
    }
    return pred ? visit(node, pred, 0) : nonEmpty(node);
  };
  return { any: (d, pred) => descend(d, pred), has: (d) => descend(d, null) };
}

/** Own property of a known object; the own-check runs only when something was found. */
function ownProp(o: Rec, k: string): unknown {
  const v = o[k];
  return v !== undefined && Object.prototype.hasOwnProperty.call(o, k) ? v : undefined;
}

function anyOf(list: readonly FieldAccess[]): FieldAccess {
  return {
    any: (d, pred) => list.some((a) => a.any(d, pred)),
    has: (d) => list.some((a) => a.has(d)),
  };
}

/** An event's value (count × 10^exponent): in `events`, and with `inProducts` in every product's `events`. */
function eventAccess(name: string, inProducts: boolean): FieldAccess {
  const lower = name.toLowerCase();
  const valueIn = (events: unknown, pred: Pred): boolean => {
    if (!isRecord(events)) return false;
    const v = lookupKey(events, name, lower);
    if (v === undefined || v === null) return false;
    const s = eventText(v);
    return s !== '' && pred(s);
  };
  const presentIn = (events: unknown): boolean => {
    if (!isRecord(events)) return false;
    const v = lookupKey(events, name, lower);
    return v !== undefined && v !== null;
  };
  const inAnyProduct = (d: Rec, f: (events: unknown) => boolean): boolean => {
    if (!inProducts) return false;
    const products = own(d, 'products');
    if (!Array.isArray(products)) return false;
    const n = Math.min(products.length, 1000);
    for (let i = 0; i < n; i++) {
      const p: unknown = products[i];
      if (isRecord(p) && f(own(p, 'events'))) return true;
    }
    return false;
  };
  return {
    any: (d, pred) => valueIn(own(d, 'events'), pred) || inAnyProduct(d, (e) => valueIn(e, pred)),
    has: (d) => presentIn(own(d, 'events')) || inAnyProduct(d, presentIn),
  };
}

/** products[*].revenue as sent (cents) and as an amount ("17.99"). */
const revenueAccess: FieldAccess = (() => {
  const base = pathAccess(['products', 'revenue'], true);
  return {
    any: (d, pred) => base.any(d, (s) => {
      if (pred(s)) return true;
      const amount = centsText(s);
      return amount !== '' && pred(amount);
    }),
    has: base.has,
  };
})();

const typeAccess: FieldAccess = { any: (d, pred) => pred(hitType(d)), has: () => true };

/** Resolves a field name of the language to its access; undefined when the name is not a valid path. */
export function fieldAccess(raw: string): FieldAccess | undefined {
  const segs = parsePath(raw);
  if (!segs) return undefined;
  const lower = segs.map((s) => s.toLowerCase());
  if (segs.length === 1) {
    const l = lower[0]!;
    if (l === 'type') return typeAccess;
    if (/^evar\d{1,9}$/.test(l) || l === 'campaign') return pathAccess(['evars', 'evars', l], true);
    if (/^prop\d{1,9}$/.test(l)) return pathAccess(['props', l], true);
    if (l === 'site_section') return anyOf([pathAccess(['site_section'], true), pathAccess(['props', 'site_section'], true)]);
    if (/^event\d{1,9}$/.test(l)) return eventAccess(l, true);
    const named = COMMERCE_BY_LOWER.get(l);
    if (named) return eventAccess(named, true);
    const known = KNOWN_TOP.get(l);
    return known ? pathAccess([known], true) : pathAccess(segs);
  }
  if (segs.length === 2 && lower[0] === 'products' && lower[1] === 'revenue') return revenueAccess;
  if (segs.length === 2 && lower[0] === 'events') return eventAccess(COMMERCE_BY_LOWER.get(lower[1]!) ?? segs[1]!, false);
  return pathAccess(segs.map((s, i) => (i === 0 ? KNOWN_TOP.get(lower[0]!) ?? s : s)));
}
