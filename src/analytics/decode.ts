/**
 * Decoding of a Live Stream record in Analytics terms: the hits table's columns
 * (`summarize`) and the detail pane's groups (`decodeHit`).
 *
 * Input is a record parsed losslessly (ids and integers beyond 2^53 are strings
 * with the exact digits). Every field may be missing, of another type or hostile,
 * so nothing here throws, mutates its input or reads through the prototype chain
 * (a hit can carry `__proto__` or `constructor` keys). Runs in the webview bundle
 * too: no DOM, no Node APIs.
 */

export type HitType = 'page' | 'link' | 'commerce' | 'other';

/** One row of the hits table. Strings are plain text, capped (see `SUMMARY_MAX`). */
export interface RowSummary {
  hitTimeMs?: number;
  receivedTimeMs?: number;
  type: HitType;
  reportSuite: string;
  pageName: string;
  /** host + path of pageURL. */
  urlShort: string;
  /** e.g. "purchase, event1=3, event61". */
  eventsShort: string;
  /** visIdHigh:visIdLow, else customVisId, else mcVisIdHigh:mcVisIdLow, with exact digits. */
  visitor: string;
}

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

// ---------------------------------------------------------------------------
// Safe access helpers (shared with filter.ts)

type Rec = Record<string, unknown>;

/** True for a plain (non-array, non-null) object. */
export function isRecord(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Reads an own property: `key` first exactly, then case-insensitively (field
 * names vary in case across record versions). Never walks the prototype chain.
 */
export function lookupKey(obj: Rec, key: string, lowerKey: string = key.toLowerCase()): unknown {
  if (hasOwn.call(obj, key)) return obj[key];
  // Length check first: it rules out nearly every key without allocating.
  for (const k in obj) {
    if (k.length === key.length && hasOwn.call(obj, k) && k.toLowerCase() === lowerKey) return obj[k];
  }
  return undefined;
}

/**
 * Exact own-property read (undefined when `obj` is not an object). The hot paths
 * use this with Adobe's spelling: a case-insensitive miss costs a key scan.
 */
export function own(obj: unknown, key: string): unknown {
  return isRecord(obj) && hasOwn.call(obj, key) ? obj[key] : undefined;
}

/** A scalar as display text; '' for containers and undefined. */
export function scalarText(v: unknown): string {
  switch (typeof v) {
    case 'string': return v;
    case 'number': return String(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'bigint': return v.toString();
    default: return v === null ? 'null' : '';
  }
}

/** An id as exact text: strings unchanged, integers as all their digits. */
export function idText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isFinite(v)) {
    // A number here was already rounded by someone's JSON.parse; at least avoid "1e+21".
    return Number.isInteger(v) ? BigInt(v).toString() : String(v);
  }
  return '';
}

// ---------------------------------------------------------------------------
// Exact decimals (events are count × 10^exponent, revenue is in cents)

interface Dec { m: bigint; e: number }

// Bounds keep hostile exponents from producing megabyte strings.
const MAX_EXP = 1000;
const MAX_NUM_TEXT = 400;

function parseDec(v: unknown): Dec | undefined {
  if (typeof v === 'bigint') return { m: v, e: 0 };
  let s: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    if (Number.isInteger(v)) return { m: BigInt(v), e: 0 };
    s = String(v);
  } else if (typeof v === 'string') {
    s = v.trim();
    if (s.length > MAX_NUM_TEXT) return undefined;
  } else {
    return undefined;
  }
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,5}))?$/.exec(s);
  if (!m) return undefined;
  const int = m[2] ?? '', frac = m[3] ?? '';
  if (int === '' && frac === '') return undefined;
  const e = (m[4] ? Number(m[4]) : 0) - frac.length;
  if (Math.abs(e) > MAX_EXP) return undefined;
  const mant = BigInt(int + frac || '0');
  return { m: m[1] === '-' ? -mant : mant, e };
}

function parseExponent(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return 0;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\s*[+-]?\d{1,6}\s*$/.test(v)) n = Number(v);
  else return undefined;
  return Number.isInteger(n) && Math.abs(n) <= MAX_EXP ? n : undefined;
}

function scaleDec(d: Dec, by: number): Dec | undefined {
  const e = d.e + by;
  return Math.abs(e) > MAX_EXP * 2 ? undefined : { m: d.m, e };
}

function addDec(a: Dec, b: Dec): Dec {
  const e = Math.min(a.e, b.e);
  return { m: a.m * 10n ** BigInt(a.e - e) + b.m * 10n ** BigInt(b.e - e), e };
}

/** Plain decimal text with no exponent, no trailing fraction zeros, at least `minFrac` fraction digits. */
function decText(d: Dec, minFrac = 0): string {
  const neg = d.m < 0n;
  const abs = neg ? -d.m : d.m;
  let int: string, frac: string;
  if (d.e >= 0) {
    int = (abs * 10n ** BigInt(d.e)).toString();
    frac = '';
  } else {
    const k = -d.e;
    const digits = abs.toString().padStart(k + 1, '0');
    int = digits.slice(0, digits.length - k);
    frac = digits.slice(digits.length - k).replace(/0+$/, '');
  }
  if (frac.length < minFrac) frac = frac.padEnd(minFrac, '0');
  const body = frac ? `${int}.${frac}` : int;
  return neg && /[1-9]/.test(body) ? `-${body}` : body;
}

/**
 * The value of one event entry, `count × 10^exponent`, as an exact decimal string
 * (count 1799, exponent -2 → "17.99"; exponent 2 → "179900"). A missing exponent
 * counts as 0. Anything unusable (missing or non-numeric count, fractional or huge
 * exponent) gives "".
 */
export function eventValue(e: { count?: unknown; exponent?: unknown }): string {
  const d = entryDec(e);
  return d ? decText(d) : '';
}

function entryDec(e: unknown): Dec | undefined {
  if (!isRecord(e)) return undefined;
  const c = parseDec(own(e, 'count'));
  const x = parseExponent(own(e, 'exponent'));
  return c && x !== undefined ? scaleDec(c, x) : undefined;
}

/** The value text of an `events.<name>` value (see `eventTotal`), with a fast path for one plain entry. */
export function eventText(v: unknown): string {
  if (Array.isArray(v) && v.length === 1) {
    const e = v[0];
    if (isRecord(e)) {
      const count = own(e, 'count'), exp = own(e, 'exponent');
      if (typeof count === 'number' && Number.isSafeInteger(count) && (exp === 0 || exp === undefined)) return String(count);
    }
  }
  return eventTotal(v).value;
}

/** Total of an `events.<name>` value: normally an array of entries; a bare entry or number is accepted too. */
export function eventTotal(v: unknown): { value: string; entries: number; unique: string } {
  // Fast path for the usual shape [{count: n, exponent: 0}]: no BigInt work when filtering 100 000 hits.
  if (Array.isArray(v) && v.length === 1) {
    const e = v[0];
    if (isRecord(e)) {
      const count = own(e, 'count'), exp = own(e, 'exponent');
      if (typeof count === 'number' && Number.isSafeInteger(count) && (exp === 0 || exp === undefined || exp === null)) {
        return { value: String(count), entries: 1, unique: scalarText(own(e, 'unique')) };
      }
    }
  }
  let sum: Dec | undefined;
  let entries = 0;
  let unique = '';
  const take = (d: Dec | undefined) => { if (d) { sum = sum ? addDec(sum, d) : d; entries++; } };
  if (Array.isArray(v)) {
    for (const x of v) {
      take(entryDec(x));
      if (entries === 1 && !unique) unique = scalarText(own(x, 'unique'));
      if (entries >= 1000) break; // bound BigInt work on hostile arrays
    }
  } else if (isRecord(v)) {
    take(entryDec(v));
    unique = scalarText(own(v, 'unique'));
  } else {
    take(parseDec(v));
  }
  return { value: sum ? decText(sum) : '', entries, unique: entries === 1 ? unique : '' };
}

/** Revenue in cents (number or digit string) as an exact decimal with two fraction digits, or ''. */
export function centsText(cents: unknown): string {
  const d = parseDec(cents);
  const s = d && scaleDec(d, -2);
  return s ? decText(s, 2) : '';
}

const currencyFormats = new Map<string, Intl.NumberFormat | null>();

function currencyFormat(code: string, locale: string | undefined): Intl.NumberFormat | null {
  const key = `${locale ?? ''}|${code}`;
  let f = currencyFormats.get(key);
  if (f === undefined) {
    try {
      f = new Intl.NumberFormat(locale, { style: 'currency', currency: code });
    } catch {
      f = null; // malformed code or locale: callers fall back to plain text
    }
    // Codes come from hits; keep the cache from growing without bound.
    if (currencyFormats.size > 200) currencyFormats.clear();
    currencyFormats.set(key, f);
  }
  return f;
}

/**
 * Formats revenue given in cents (as Live Stream records it) in `currency`
 * with Intl.NumberFormat: 1799, "USD" → "$17.99" in en-US. An unknown or
 * malformed currency code falls back to "17.99 CODE", a missing one to "17.99".
 * Invalid cents give "". `locale` defaults to the runtime's locale.
 */
export function formatRevenue(cents: unknown, currency: unknown, locale?: string): string {
  const d = parseDec(cents);
  const amount = d && scaleDec(d, -2);
  if (!amount) return '';
  const plain = decText(amount, 2);
  const code = typeof currency === 'string' ? currency.trim().slice(0, 32) : '';
  if (!code) return plain;
  const f = /^[A-Za-z]{3}$/.test(code) ? currencyFormat(code.toUpperCase(), locale) : null;
  if (!f) return `${plain} ${code}`;
  // Intl formats a decimal string exactly (no float detour) where supported;
  // older engines convert it to a number, which is still right for cents.
  return f.format(plain as unknown as number);
}

// ---------------------------------------------------------------------------
// Paths: "evars.evars.evar1", "products.0.name", 'hierarchies["site-\u00adhier"].values'

const PLAIN_SEGMENT = /^[A-Za-z0-9_$][A-Za-z0-9_$-]*$/;
// Invisible and control characters are escaped so a copied path shows them (the
// sample hit has keys with soft hyphens that look like plain ASCII).
const INVISIBLE_RANGES: readonly (readonly [number, number])[] = [
  [0x00, 0x1f], [0x7f, 0x9f], [0xad, 0xad], [0x61c, 0x61c], [0x115f, 0x1160], [0x17b4, 0x17b5], [0x180e, 0x180e],
  [0x200b, 0x200f], [0x202a, 0x202e], [0x2060, 0x206f], [0x3164, 0x3164], [0xfe00, 0xfe0f], [0xfeff, 0xfeff],
  [0xffa0, 0xffa0], [0xfff0, 0xfffb],
];

function isInvisible(code: number): boolean {
  for (const [lo, hi] of INVISIBLE_RANGES) if (code >= lo && code <= hi) return true;
  return false;
}

/** Quotes a key as a JSON string literal with invisible characters escaped. */
function quoteKey(k: string): string {
  const json = JSON.stringify(k);
  let out = '';
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i);
    out += isInvisible(code) ? `\\u${code.toString(16).padStart(4, '0')}` : json[i];
  }
  return out;
}

/**
 * Joins path segments for display and copy: plain keys with dots, other keys as
 * `["json string"]`. `parsePath` reads the result back.
 */
export function formatPath(segs: readonly string[]): string {
  let out = '';
  for (const s of segs) {
    if (PLAIN_SEGMENT.test(s)) out += out ? `.${s}` : s;
    else out += `[${quoteKey(s)}]`;
  }
  return out;
}

/**
 * Splits a path into segments. Accepts `a.b.0`, `a["any key"]`, `a[0]` and
 * `"any key".b`. Returns undefined for malformed paths (empty segment,
 * unterminated quote, stray bracket).
 */
export function parsePath(path: string): string[] | undefined {
  const segs: string[] = [];
  let i = 0;
  const n = path.length;
  if (n === 0) return undefined;
  const readQuoted = (): string | undefined => {
    let j = i + 1;
    while (j < n && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
    if (j >= n) return undefined;
    try {
      const s: unknown = JSON.parse(path.slice(i, j + 1));
      i = j + 1;
      return typeof s === 'string' ? s : undefined;
    } catch {
      return undefined;
    }
  };
  let expectSeg = true;
  while (i < n) {
    const c = path[i];
    if (c === '[') {
      i++;
      let seg: string | undefined;
      if (path[i] === '"') seg = readQuoted();
      else {
        const m = /^\d+/.exec(path.slice(i, i + 20));
        if (m) { seg = m[0]; i += seg.length; }
      }
      if (seg === undefined || path[i] !== ']') return undefined;
      i++;
      segs.push(seg);
      expectSeg = false;
    } else if (c === '.') {
      if (expectSeg) return undefined;
      i++;
      expectSeg = true;
      if (i >= n) return undefined;
    } else {
      if (!expectSeg) return undefined;
      if (c === '"') {
        const seg = readQuoted();
        if (seg === undefined) return undefined;
        segs.push(seg);
      } else {
        let j = i;
        while (j < n && path[j] !== '.' && path[j] !== '[' && path[j] !== ']' && path[j] !== '"') j++;
        if (j === i) return undefined;
        segs.push(path.slice(i, j));
        i = j;
      }
      expectSeg = false;
    }
  }
  return expectSeg ? undefined : segs;
}

/**
 * The value at `path` (see `parsePath`), or undefined. Object keys match exactly,
 * else case-insensitively; array elements are addressed by index ("products.0.name").
 */
export function getPath(data: unknown, path: string): unknown {
  const segs = parsePath(path);
  if (!segs) return undefined;
  let node: unknown = data;
  for (const s of segs) {
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(s)) return undefined;
      node = Number(s) < node.length ? node[Number(s)] : undefined;
    } else if (isRecord(node)) {
      node = lookupKey(node, s);
    } else {
      return undefined;
    }
    if (node === undefined) return undefined;
  }
  return node;
}

const SEARCH_DEPTH = 12;
const SEARCH_MAX_VALUES = 50_000;

/**
 * Every string and number anywhere in the record (keys and booleans excluded),
 * depth-first in key order: the haystack of the filter's free-text search.
 * Bounded (nesting ≤ 12, ≤ 50 000 values) so hostile records stay cheap.
 */
export function flattenValues(data: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (out.length >= SEARCH_MAX_VALUES) return;
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' || typeof v === 'bigint') out.push(String(v));
    else if (depth < SEARCH_DEPTH) {
      if (Array.isArray(v)) { for (const x of v) walk(x, depth + 1); }
      else if (isRecord(v)) { for (const k of Object.keys(v)) walk(v[k], depth + 1); }
    }
  };
  walk(data, 0);
  return out;
}

// ---------------------------------------------------------------------------
// Hit type, times, URLs, visitor

const COMMERCE_EVENTS = ['purchase', 'scadd', 'scview', 'prodview', 'sccheckout', 'scremove', 'scopen'];
const COMMERCE_SET = new Set(COMMERCE_EVENTS);

function linkIndicator(v: unknown): boolean {
  if (typeof v === 'number') return (v >= 10 && v <= 12) || (v >= 100 && v <= 102);
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === '') return false;
    if (/^\d+$/.test(s)) return linkIndicator(Number(s));
    // Seen spellings: o/d/e, lnk_o, "custom", "download link", "exit", "Other link"...
    return s === 'o' || s === 'd' || s === 'e' || s.startsWith('lnk') || /link|download|exit|custom/.test(s);
  }
  if (isRecord(v)) return linkIndicator(own(v, 'type')) || linkIndicator(own(v, 'linkType'));
  return false;
}

function nonEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isRecord(v)) { for (const k in v) if (hasOwn.call(v, k)) return true; return false; }
  return true;
}

/**
 * Classifies a hit: 'commerce' when it carries products or a cart/purchase event,
 * else 'link' when pageEventType/linkType/pageEvent says custom, download or exit
 * link (or a linkName/linkURL is set), else 'page' when it has a pageName or
 * pageURL, else 'other'.
 */
export function hitType(data: unknown): HitType {
  if (!isRecord(data)) return 'other';
  if (nonEmpty(own(data, 'products'))) return 'commerce';
  const events = own(data, 'events');
  if (isRecord(events)) {
    for (const k in events) {
      if (hasOwn.call(events, k) && COMMERCE_SET.has(k.toLowerCase()) && nonEmpty(events[k])) return 'commerce';
    }
  }
  if (linkIndicator(own(data, 'pageEventType')) || linkIndicator(own(data, 'linkType')) || linkIndicator(own(data, 'pageEvent'))) return 'link';
  if (nonEmpty(own(data, 'linkName')) || nonEmpty(own(data, 'linkURL'))) return 'link';
  if (nonEmpty(own(data, 'pageName')) || nonEmpty(own(data, 'pageURL'))) return 'page';
  return 'other';
}

/** Unix seconds (number or digit string) → ms; values already in ms (after year 5000 as seconds) pass through. */
export function secondsToMs(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n)) return undefined;
  const ms = Math.abs(n) > 1e11 ? n : n * 1000;
  return Math.abs(ms) <= 8.64e15 ? ms : undefined;
}

/** ISO 8601 in UTC, without ".000" for whole seconds. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Host (lower-cased, without userinfo) and path of a URL string, without URL parsing that could throw. */
export function urlParts(u: string): { host: string; path: string } {
  const s = u.length > 8192 ? u.slice(0, 8192) : u;
  const m = /^\s*(?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\/([^/?#\\]*)([^?#]*)/.exec(s);
  if (m) {
    const auth = m[1] ?? '';
    const host = auth.slice(auth.lastIndexOf('@') + 1).toLowerCase();
    return { host, path: m[2] || '/' };
  }
  const q = s.search(/[?#]/);
  return { host: '', path: q < 0 ? s : s.slice(0, q) };
}

const SUMMARY_MAX = 1000;

function cap(s: string, max = SUMMARY_MAX): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function text(data: Rec, key: string): string {
  return scalarText(own(data, key));
}

/**
 * The visitor in one string, exact digits: visIdHigh:visIdLow, else customVisId,
 * else mcVisIdHigh:mcVisIdLow, else whichever single id is present.
 */
export function visitorText(data: Rec): string {
  const vh = idText(own(data, 'visIdHigh')), vl = idText(own(data, 'visIdLow'));
  if (vh && vl) return `${vh}:${vl}`;
  const custom = idText(own(data, 'customVisId'));
  if (custom) return custom;
  const mh = idText(own(data, 'mcVisIdHigh')), ml = idText(own(data, 'mcVisIdLow'));
  if (mh && ml) return `${mh}:${ml}`;
  return vl || vh || ml || mh;
}

const EVENT_LABELS: Record<string, string> = {
  purchase: 'Purchase', prodview: 'Product View', scopen: 'Cart Open', scview: 'Cart View',
  scadd: 'Cart Add', scremove: 'Cart Remove', sccheckout: 'Checkout',
};

/** Sort key: commerce events in funnel order, then eventN numerically, then others by name. */
function eventOrder(a: string, b: string): number {
  const rank = (k: string): [number, number, string] => {
    const l = k.toLowerCase();
    const c = COMMERCE_EVENTS.indexOf(l);
    if (c >= 0) return [0, c, l];
    const m = /^event(\d{1,9})$/.exec(l);
    if (m) return [1, Number(m[1]), l];
    return [2, 0, l];
  };
  const [a0, a1, a2] = rank(a), [b0, b1, b2] = rank(b);
  return a0 - b0 || a1 - b1 || (a2 < b2 ? -1 : a2 > b2 ? 1 : 0);
}

/** Events of one events object (top-level or product) in display order, with their totals. */
function eventsOf(events: unknown, max: number): { name: string; value: string; entries: number; unique: string }[] {
  if (!isRecord(events)) return [];
  const names = Object.keys(events);
  names.sort(eventOrder);
  const out = [];
  for (const name of names) {
    if (out.length >= max) break;
    const t = eventTotal(events[name]);
    if (t.entries > 0 || nonEmpty(events[name])) out.push({ name, ...t });
  }
  return out;
}

/**
 * "purchase, event1=3, event61": top-level events then product-level ones not
 * already listed (summed over products); a value of 1 is implied.
 */
export function eventsText(data: Rec, maxNames = 10_000): string {
  const values = new Map<string, string>();
  for (const e of eventsOf(own(data, 'events'), maxNames)) values.set(e.name, e.value);
  const products = own(data, 'products');
  if (Array.isArray(products)) {
    const fromProducts = new Map<string, Dec | null>();
    for (const p of products.slice(0, 1000)) {
      if (!isRecord(p)) continue;
      const ev = own(p, 'events');
      if (!isRecord(ev)) continue;
      for (const name of Object.keys(ev)) {
        if (values.has(name)) continue;
        // null: present in some product but without a usable value.
        const d = parseDec(eventTotal(ev[name]).value);
        const prev = fromProducts.get(name);
        if (d) fromProducts.set(name, prev ? addDec(prev, d) : d);
        else if (prev === undefined) fromProducts.set(name, null);
      }
    }
    const names = [...fromProducts.keys()].sort(eventOrder);
    for (const name of names) {
      const d = fromProducts.get(name);
      values.set(name, d ? decText(d) : '');
    }
  }
  const names = [...values.keys()].sort(eventOrder);
  const parts: string[] = [];
  for (const name of names) {
    if (parts.length >= maxNames) { parts.push(`… +${names.length - maxNames}`); break; }
    const v = values.get(name) ?? '';
    parts.push(v === '' || v === '1' ? name : `${name}=${v}`);
  }
  return parts.join(', ');
}

/** The columns of one hits-table row. Never throws; strings are capped at 1000 characters. */
export function summarize(data: unknown): RowSummary {
  const d: Rec = isRecord(data) ? data : {};
  const url = text(d, 'pageURL');
  const { host, path } = urlParts(url);
  const row: RowSummary = {
    type: hitType(d),
    reportSuite: cap(text(d, 'reportSuite')),
    pageName: cap(text(d, 'pageName')),
    urlShort: cap(host ? host + path : url),
    eventsShort: cap(eventsText(d, 50)),
    visitor: cap(visitorText(d)),
  };
  const hit = secondsToMs(own(d, 'timeGMT'));
  if (hit !== undefined) row.hitTimeMs = hit;
  const rec = secondsToMs(own(d, 'receivedTimeGMT'));
  if (rec !== undefined) row.receivedTimeMs = rec;
  return row;
}

// ---------------------------------------------------------------------------
// decodeHit

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

/**
 * Decodes a record into the detail pane's groups, in this order, omitting empty
 * ones: page, link, evars, props, events, products, listvars, visitor, time, geo,
 * device, target, other. "Other" holds every value no other group showed
 * (flattened with paths, depth ≤ 8, ≤ 2000 fields then an "… N more" note), so
 * fields Adobe adds later still appear. Never throws; values are plain text.
 */
export function decodeHit(data: unknown, opts: { locale?: string } = {}): DecodedGroup[] {
  const d: Rec = isRecord(data) ? data : {};
  const c = new Collector();
  // Top-level keys by lower-cased name: known fields are found whatever their case.
  const top = new Map<string, string>();
  for (const k of Object.keys(d)) { const l = k.toLowerCase(); if (!top.has(l)) top.set(l, k); }
  const groups: DecodedGroup[] = [];
  const push = (id: string, title: string, fields: DecodedField[], table?: DecodedGroup['table']) => {
    if (fields.length || table?.rows.length) groups.push(table ? { id, title, fields, table } : { id, title, fields });
  };

  /** Adds scalar top-level fields from a [name, label] list (case-insensitive names). */
  const scalars = (fields: DecodedField[], list: readonly (readonly [string, string])[], fmt?: (key: string, v: unknown) => string) => {
    for (const [name, label] of list) {
      const key = top.get(name.toLowerCase());
      if (key === undefined || c.shown.has(key)) continue;
      const v = d[key];
      if (typeof v === 'object' && v !== null) continue; // containers stay in Other
      fields.push(field(label, fmt ? fmt(key, v) : scalarText(v), [key]));
      c.mark([key]);
    }
  };
  /** Top-level keys matching `re` not already shown, by name. */
  const extraKeys = (re: RegExp): [string, string][] =>
    Object.keys(d).filter((k) => re.test(k) && !c.shown.has(k)).sort().map((k) => [k, k]);

  // Page
  const page: DecodedField[] = [];
  scalars(page, [['pageName', 'Page name'], ['pageURL', 'Page URL'], ['referrer', 'Referrer'], ['site_section', 'Site section'],
    ['channel', 'Channel'], ['server', 'Server'], ['pageType', 'Page type'], ['reportSuite', 'Report suite']]);
  const hierKey = top.get('hierarchies');
  const hier = hierKey !== undefined ? d[hierKey] : undefined;
  if (hierKey !== undefined && isRecord(hier)) {
    for (const name of Object.keys(hier).slice(0, GROUP_MAX)) {
      const h = hier[name];
      if (isRecord(h)) {
        const items = listItems(own(h, 'values'), own(h, 'delim'));
        if (!items) continue;
        page.push(field(`Hierarchy ${name}`, items.join(' › '), [hierKey, name, 'values']));
        c.mark([hierKey, name, 'values']);
        if (hasOwn.call(h, 'delim')) c.mark([hierKey, name, 'delim']);
      } else if (typeof h === 'string') {
        page.push(field(`Hierarchy ${name}`, h, [hierKey, name]));
        c.mark([hierKey, name]);
      }
    }
  }
  push('page', 'Page', page);

  // Link
  const link: DecodedField[] = [];
  scalars(link, [['linkType', 'Link type'], ['linkName', 'Link name'], ['linkURL', 'Link URL'], ['pageEventType', 'Page event type'],
    ['pageEvent', 'Page event'], ['pageEventVar1', 'Page event var 1'], ['pageEventVar2', 'Page event var 2'], ['pageEventVar3', 'Page event var 3']]);
  push('link', 'Link', link);

  // eVars: evars.evars.{campaign, evarN}
  const evars: DecodedField[] = [];
  const evKey = top.get('evars');
  const evOuter = evKey !== undefined ? d[evKey] : undefined;
  if (evKey !== undefined && isRecord(evOuter)) {
    const innerKey = hasOwn.call(evOuter, 'evars') ? 'evars' : Object.keys(evOuter).find((k) => k.toLowerCase() === 'evars');
    const inner = innerKey !== undefined ? evOuter[innerKey] : undefined;
    if (innerKey !== undefined && isRecord(inner)) {
      numbered(inner, /^evar(\d{1,9})$/i, ['campaign'], (n) => (n === undefined ? 'Campaign (tracking code)' : `eVar${n}`), [evKey, innerKey], evars, c);
    }
  }
  push('evars', 'eVars', evars);

  // Props: props.{propN, site_section}
  const props: DecodedField[] = [];
  const prKey = top.get('props');
  const pr = prKey !== undefined ? d[prKey] : undefined;
  if (prKey !== undefined && isRecord(pr)) {
    numbered(pr, /^prop(\d{1,9})$/i, ['site_section'], (n) => (n === undefined ? 'Site section' : `prop${n}`), [prKey], props, c);
  }
  push('props', 'Props', props);

  // Events
  const events: DecodedField[] = [];
  const eKey = top.get('events');
  const ev = eKey !== undefined ? d[eKey] : undefined;
  if (eKey !== undefined) {
    for (const e of eventsOf(ev, GROUP_MAX)) {
      if (e.value === '') continue; // unusable entries stay visible in Other
      let v = e.value;
      if (e.entries > 1) v += ` (sum of ${e.entries} entries)`;
      else if (e.unique) v += ` (serialized, unique id ${e.unique})`;
      events.push(field(EVENT_LABELS[e.name.toLowerCase()] ?? e.name, v, [eKey, e.name]));
      c.mark([eKey, e.name]);
    }
  }
  push('events', 'Events', events);

  // Products
  const prodKey = top.get('products');
  const products = prodKey !== undefined ? d[prodKey] : undefined;
  if (prodKey !== undefined && Array.isArray(products) && products.length) {
    const currencyKey = top.get('currency');
    const currency = currencyKey !== undefined ? d[currencyKey] : undefined;
    const fields: DecodedField[] = [];
    if (currencyKey !== undefined && typeof currency === 'string') {
      fields.push(field('Currency', currency, [currencyKey]));
      c.mark([currencyKey]);
    }
    const rows: string[][] = [];
    products.forEach((p, i) => {
      if (!isRecord(p) || rows.length >= GROUP_MAX) return;
      const base = [prodKey, String(i)];
      const cell = (name: string, fmt?: (v: unknown) => string): string => {
        if (!hasOwn.call(p, name)) return '';
        const v = p[name];
        if (typeof v === 'object' && v !== null) return '';
        c.mark([...base, name]);
        return fmt ? fmt(v) : scalarText(v);
      };
      const pe = productEvars(p, base, c);
      const pev = productEvents(p, base, c);
      rows.push([cell('category'), cell('name'), cell('units'),
        cell('revenue', (v) => formatRevenue(v, currency, opts.locale) || scalarText(v)), pe, pev]);
    });
    if (rows.length < products.filter(isRecord).length) fields.push(field('…', `${products.length - rows.length} more products`, []));
    push('products', 'Products', fields, { columns: ['Category', 'Name', 'Units', 'Revenue', 'eVars', 'Events'], rows });
  }

  // List variables: mvvars.{N}.m.{values, delim}
  const lists: DecodedField[] = [];
  const mvKey = top.get('mvvars');
  const mv = mvKey !== undefined ? d[mvKey] : undefined;
  if (mvKey !== undefined && isRecord(mv)) {
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
      c.mark([...base, 'values']);
      if (hasOwn.call(holder, 'delim')) c.mark([...base, 'delim']);
    }
  }
  push('listvars', 'List variables', lists);

  // Visitor
  const visitor: DecodedField[] = [];
  scalars(visitor, [['visIdHigh', 'Visitor ID high'], ['visIdLow', 'Visitor ID low'], ['mcVisIdHigh', 'ECID high'], ['mcVisIdLow', 'ECID low'],
    ['customVisId', 'Custom visitor ID'], ['visIdType', 'Visitor ID type'], ['visitNum', 'Visit number'], ['visitPageNum', 'Page number in visit'],
    ['usesPersistentCookie', 'Persistent cookie'], ['ip', 'IP address']],
  (key, v) => {
    if (key.toLowerCase() === 'visidtype') {
      const meaning = VIS_ID_TYPES[scalarText(v)];
      return meaning ? `${scalarText(v)} (${meaning})` : scalarText(v);
    }
    return /idhigh$|idlow$/i.test(key) ? idText(v) || scalarText(v) : scalarText(v);
  });
  push('visitor', 'Visitor', visitor);

  // Time
  const time: DecodedField[] = [];
  const hitSec = secondsToMs(own(d, 'timeGMT'));
  scalars(time, [['timeGMT', 'Hit time (timeGMT)'], ['receivedTimeGMT', 'Received by Adobe (receivedTimeGMT)'], ...extraKeys(/timegmt$/i)], (key, v) => {
    const ms = secondsToMs(v);
    if (ms === undefined) return scalarText(v);
    let s = `${isoTime(ms)} (${scalarText(v)})`;
    if (key.toLowerCase() === 'receivedtimegmt' && hitSec !== undefined) {
      const lag = Math.round((ms - hitSec) / 1000);
      s += lag >= 0 ? ` · ${duration(lag)} after the hit` : ` · ${duration(lag)} before the hit time`;
    }
    return s;
  });
  push('time', 'Time', time);

  // Geo
  const geo: DecodedField[] = [];
  scalars(geo, [['geoCountry', 'Country'], ['geoRegion', 'Region'], ['geoCity', 'City'], ['geoZip', 'ZIP / postal code'], ['geoDMA', 'DMA'],
    ['geoLatitude', 'Latitude'], ['geoLongitude', 'Longitude'], ['domain', 'Domain (network)'], ['topLevelDomain', 'Top-level domain']]);
  scalars(geo, extraKeys(/^geo/i));
  push('geo', 'Geo', geo);

  // Device / browser
  const device: DecodedField[] = [];
  scalars(device, [['browser', 'Browser'], ['browserType', 'Browser type'], ['userAgent', 'User agent'], ['operatingSystem', 'Operating system'],
    ['os', 'Operating system'], ['browserWidth', 'Browser width'], ['browserHeight', 'Browser height'], ['monitorWidth', 'Screen width'],
    ['monitorHeight', 'Screen height'], ['monitorColorDepth', 'Color depth'], ['connectionType', 'Connection type'], ['carrier', 'Carrier'],
    ['javaEnabled', 'Java enabled'], ['language', 'Language'], ['languageAbbrev', 'Language code'], ...extraKeys(/^(mobile|device|screen)/i)]);
  push('device', 'Device / Browser', device);

  // Target / A4T: arrays of {campaignId, recipeId, ...} (older records: a string)
  const target: DecodedField[] = [];
  for (const [name, title] of [['tnt', 'Target'], ['tntAction', 'A4T action']] as const) {
    const key = top.get(name.toLowerCase());
    if (key === undefined) continue;
    const v = d[key];
    if (Array.isArray(v)) {
      v.slice(0, 200).forEach((item, i) => {
        if (!isRecord(item)) return;
        for (const k of Object.keys(item)) {
          const x = item[k];
          if (typeof x === 'object' && x !== null) continue;
          target.push(field(`${title} ${i + 1} · ${k}`, scalarText(x), [key, String(i), k]));
          c.mark([key, String(i), k]);
        }
      });
    } else if (typeof v !== 'object' || v === null) {
      target.push(field(title, scalarText(v), [key]));
      c.mark([key]);
    }
  }
  push('target', 'Target / A4T', target);

  push('other', 'Other', otherFields(d, c.shown));
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
