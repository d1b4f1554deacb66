/**
 * The filter language of the hits panel (the host uses it for export too).
 *
 * Terms are separated by whitespace and all must match (AND).
 *
 * | term                   | matches a hit when                                                   |
 * |------------------------|----------------------------------------------------------------------|
 * | `text`                 | any value anywhere in the hit contains `text`, ignoring case (keys are not searched) |
 * | `"text with spaces"`   | the same, for text with spaces or with `: = ~` in it                 |
 * | `field:value`          | the field contains `value`, ignoring case                            |
 * | `field=value`          | the field is exactly `value` (case-sensitive, whole value)           |
 * | `field~/regex/flags`   | a regular expression (JavaScript syntax, RE2 linear-time matching) matches the field |
 * | `has:field`            | the field is present and not empty                                   |
 * | `is:mine`              | the hit is your own traffic (see below)                              |
 * | `is:page` `is:link` `is:commerce` `is:other` | the hit is of that type (same as `type=…`)     |
 * | `-term`                | negates any term: `-pageName:home`, `-has:evar5`, `-"bot"`          |
 *
 * Values may be quoted: `pageName:"summer sale"`; inside quotes `\"` is a quote
 * and `\\` a backslash. Quote a free-text term that contains `:`, `=` or `~`
 * (`"http://example.com"`), or that starts with `-`.
 *
 * Field names ignore case:
 * - any top-level record field: `pageName`, `pageURL`, `reportSuite`, `visIdLow`,
 *   `geoCity`, or a field unknown today;
 * - `eVar5` / `evar5` / `campaign` look in `evars.evars`; `prop3` in `props`;
 * - `event12`, `purchase`, `scAdd`, `prodView`, `scView`, `scCheckout`,
 *   `scRemove`, `scOpen` compare the event's value (count × 10^exponent, e.g.
 *   `event12=17.99`), at hit level or in any product; `has:event12` is true
 *   when the event is present at all;
 * - `products.name`, `products.category`, `products.units`, `products.revenue`
 *   match when any product matches (revenue compares both the cents as sent,
 *   `1799`, and the amount, `17.99`);
 * - `type` is the hit type: `page`, `link`, `commerce` or `other`;
 * - a dotted path reaches anything else: `geoCity`, `evars.evars.evar5`,
 *   `mvvars.1.m.values`, `tnt.campaignId` (a path through an array matches
 *   any element; `products.0.name` picks one), `hierarchies["key with spaces"].values`.
 * Ids compare as the exact digit strings Adobe sent.
 *
 * `is:mine` matches hits whose visitor (visIdHigh:visIdLow, visIdLow,
 * mcVisIdHigh:mcVisIdLow or the 38-digit ECID, customVisId) or page host equals
 * an entry of the `liveStream.myTraffic` setting. An s_vi cookie value
 * (`[CS]v1|HIGHHEX-LOWHEX[CE]`) is accepted as a visitor id too.
 *
 * Regular expressions are written in JavaScript syntax but run by a linear-time
 * RE2 engine (userRegex.ts), so a test costs time proportional to the value's
 * length whatever the pattern: `(a+)+$` cannot backtrack. Backreferences and
 * lookaround are refused with an error naming them; flags `i`, `m`, `s` (and
 * `u`) work, `g`, `y`, `d` are ignored. Patterns are limited to 500 characters
 * and to a compiled RE2 program of 500 instructions (an error names the
 * too-expensive term), and only values up to 64 KiB are tested (a longer value
 * never matches a regex term).
 */
import { compileUserRegex } from './userRegex';
import { centsText, eventText } from '../decimals';
import { COMMERCE_BY_LOWER } from '../events';
import { flattenValues, parsePath } from '../paths';
import { idText, isRecord, lookupKey, nonEmpty, own } from '../recordAccess';
import { hitType, urlParts, type HitType } from '../summary';

export interface FilterError {
  message: string;
  /** Offending range in the filter text (UTF-16 offsets, end exclusive). */
  start: number;
  end: number;
}

export interface CompiledFilter {
  readonly source: string;
  /** No terms: every hit matches. */
  readonly isEmpty: boolean;
  test(data: Record<string, unknown>): boolean;
}

type Rec = Record<string, unknown>;
type Pred = (s: string) => boolean;

/** How a field name reaches values in a hit. */
interface Access {
  /** True when some value of the field satisfies `pred`. */
  any(d: Rec, pred: Pred): boolean;
  /** Present and not empty. */
  has(d: Rec): boolean;
}

interface Term { cost: number; test: (d: Rec) => boolean }

const MAX_REGEX = 500;
const MAX_REGEX_SUBJECT = 64 * 1024;
const MAX_DEPTH = 8;
const EMPTY: Rec = {};

const HIT_TYPES: readonly HitType[] = ['page', 'link', 'commerce', 'other'];

// Canonical spellings of common top-level fields: with these, a lower-cased field
// name in the filter finds the key with one exact lookup instead of a scan.
const KNOWN_TOP = new Map(['pageName', 'pageURL', 'referrer', 'reportSuite', 'visIdHigh', 'visIdLow', 'mcVisIdHigh',
  'mcVisIdLow', 'customVisId', 'visIdType', 'hitIdHigh', 'hitIdLow', 'timeGMT', 'receivedTimeGMT', 'userAgent', 'browser',
  'operatingSystem', 'geoCity', 'geoCountry', 'geoRegion', 'geoZip', 'geoDMA', 'currency', 'channel', 'server', 'pageType',
  'linkType', 'linkName', 'linkURL', 'pageEvent', 'pageEventType', 'language', 'languageAbbrev', 'ip', 'domain',
  'connectionType', 'carrier', 'hitSource', 'bot', 'exclude', 'products', 'events', 'evars', 'props', 'mvvars',
  'hierarchies', 'tnt', 'tntAction', 'transactionId', 'site_section'].map((k) => [k.toLowerCase(), k]));

// ---------------------------------------------------------------------------
// Value access

function isWs(c: string | undefined): boolean {
  return c !== undefined && /\s/.test(c);
}

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
function pathAccess(segs: readonly string[], exact = false): Access {
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

function anyOf(list: readonly Access[]): Access {
  return {
    any: (d, pred) => list.some((a) => a.any(d, pred)),
    has: (d) => list.some((a) => a.has(d)),
  };
}

/** An event's value (count × 10^exponent): in `events`, and with `inProducts` in every product's `events`. */
function eventAccess(name: string, inProducts: boolean): Access {
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
const revenueAccess: Access = (() => {
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

const typeAccess: Access = { any: (d, pred) => pred(hitType(d)), has: () => true };

/** Resolves a field name of the language to its access; undefined when the name is not a valid path. */
function resolveField(raw: string): Access | undefined {
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

// Lower-cased haystack of every value of a hit, built once per data object.
const allValuesCache = new WeakMap<object, string>();

function allValuesLower(d: Rec): string {
  let s = allValuesCache.get(d);
  if (s === undefined) {
    // NUL between values: a search term cannot match across two values.
    s = flattenValues(d).join('\u0000').toLowerCase();
    allValuesCache.set(d, s);
  }
  return s;
}

// ---------------------------------------------------------------------------
// is:mine

function mineTerm(entries: readonly string[]): (d: Rec) => boolean {
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

// ---------------------------------------------------------------------------
// Parsing

type Result<T> = { ok: true; value: T } | { ok: false; error: FilterError };

const fail = (message: string, start: number, end: number): { ok: false; error: FilterError } =>
  ({ ok: false, error: { message, start, end } });

function show(s: string): string {
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

/** Parses one term starting at `i` (not whitespace); returns the term and the index after it. */
function parseTerm(src: string, i: number, myTraffic: readonly string[]): Result<{ term: Term; next: number }> {
  const n = src.length;
  const start = i;
  let negate = false;
  if (src[i] === '-') {
    negate = true;
    i++;
    if (i >= n || isWs(src[i])) return fail('"-" must be followed by a term, e.g. -pageName:home', start, i);
  }
  let text = '';        // decoded text: the whole term until an operator, then the value
  let rawField = '';    // source text before the operator (paths may quote keys)
  let op: ':' | '=' | '~' | undefined;
  let opPos = -1;
  let valueQuoted = false;
  let regex: { body: string; flags: string; start: number } | undefined;
  while (i < n && !isWs(src[i])) {
    const ch = src[i]!;
    if (ch === '"') {
      const q = i++;
      let s = '';
      while (i < n && src[i] !== '"') {
        if (src[i] === '\\' && i + 1 < n) { s += src[i + 1]; i += 2; } else { s += src[i]; i++; }
      }
      if (i >= n) return fail('Unterminated quote: add the closing "', q, n);
      i++;
      text += s;
      if (op === undefined) rawField += src.slice(q, i);
      else valueQuoted = true;
      continue;
    }
    if (op === undefined && (ch === ':' || ch === '=' || ch === '~')) {
      op = ch;
      opPos = i++;
      text = '';
      if (ch === '~') {
        if (i >= n || isWs(src[i])) return fail('Missing /pattern/ after "~", e.g. pageName~/^Home/i', start, i);
        if (src[i] !== '/') {
          let e = i;
          while (e < n && !isWs(src[e])) e++;
          return fail('Expected /pattern/flags after "~", e.g. pageName~/^Home/i', i, e);
        }
        const rs = i++;
        let body = '';
        let inClass = false;
        // The pattern ends at the first "/" that is neither escaped nor inside [...]; it may contain spaces.
        while (i < n) {
          const c = src[i]!;
          if (c === '\\') { body += src.slice(i, i + 2); i += 2; continue; }
          if (inClass) { if (c === ']') inClass = false; }
          else if (c === '[') inClass = true;
          else if (c === '/') break;
          body += c;
          i++;
        }
        if (i >= n) return fail('Unterminated regular expression: add the closing "/"', rs, n);
        i++;
        const fs = i;
        while (i < n && !isWs(src[i])) i++;
        regex = { body, flags: src.slice(fs, i), start: rs };
        break;
      }
      continue;
    }
    text += ch;
    if (op === undefined) rawField += ch;
    i++;
  }
  const end = i;
  const wrap = (test: (d: Rec) => boolean, cost: number): Result<{ term: Term; next: number }> =>
    ({ ok: true, value: { term: { cost, test: negate ? (d) => !test(d) : test }, next: end } });

  if (op === undefined) {
    const needle = text.toLowerCase();
    return wrap((d) => allValuesLower(d).includes(needle), 4);
  }
  if (rawField === '') return fail(`Empty field name before "${op}"`, start, opPos + 1);
  const fieldLower = rawField.toLowerCase();
  const valueRaw = src.slice(opPos + 1, end);

  if (op === ':' && fieldLower === 'has') {
    if (valueRaw === '') return fail('"has:" needs a field name, e.g. has:evar5', start, end);
    const access = resolveField(valueRaw);
    if (!access) return fail(`Invalid field name "${show(valueRaw)}"`, opPos + 1, end);
    return wrap((d) => access.has(d), 1);
  }
  if (op === ':' && fieldLower === 'is') {
    const what = text.toLowerCase();
    if (what === 'mine') {
      if (myTraffic.length === 0) return fail('Set liveStream.myTraffic to use is:mine', start, end);
      return wrap(mineTerm(myTraffic), 2);
    }
    if ((HIT_TYPES as readonly string[]).includes(what)) return wrap((d) => hitType(d) === what, 2);
    return fail(`Unknown "is:${show(text)}": use is:mine, is:page, is:link, is:commerce or is:other`, start, end);
  }

  const access = resolveField(rawField);
  if (!access) return fail(`Invalid field name "${show(rawField)}"`, negate ? start + 1 : start, opPos);

  if (op === '~') {
    const r = regex!;
    if (r.body.length > MAX_REGEX) return fail(`Regular expression too long (${r.body.length} characters; the limit is ${MAX_REGEX})`, r.start, end);
    // Linear-time RE2 engine (see userRegex.ts): no pattern can make a test backtrack.
    const c = compileUserRegex(r.body, r.flags, `"${show(src.slice(start, end))}"`);
    if (!c.ok) {
      const e = c.error;
      if (e.tooExpensive) return fail(e.message, start, end);
      // Offsets inside the pattern: the body starts one after the opening "/".
      if (e.start !== undefined) return fail(e.message, r.start + 1 + e.start, r.start + 1 + (e.end ?? e.start));
      return fail(e.message, r.start, end);
    }
    const re = c.regex;
    const pred: Pred = (s) => s.length <= MAX_REGEX_SUBJECT && re.test(s);
    return wrap((d) => access.any(d, pred), 3);
  }
  if (text === '' && !valueQuoted) return fail(`Missing value after "${show(rawField)}${op}" (quote it to match an empty value: ${show(rawField)}${op}"")`, start, end);
  if (op === '=') {
    const want = text;
    const pred: Pred = (s) => s === want;
    return wrap((d) => access.any(d, pred), 1);
  }
  // Predicates are built once here, not per hit.
  const needle = text.toLowerCase();
  const pred: Pred = needle === '' ? () => true : (s) => s.toLowerCase().includes(needle);
  return wrap((d) => access.any(d, pred), 1);
}

/**
 * Compiles filter text (language above) into a predicate over hit data, or
 * returns the first error with its position. Never throws. `opts.myTraffic`
 * lists the visitor ids and hosts that `is:mine` matches.
 */
export function compileFilter(
  text: string,
  opts?: { myTraffic?: readonly string[] },
): { ok: true; filter: CompiledFilter } | { ok: false; error: FilterError } {
  const src = typeof text === 'string' ? text : '';
  const raw = opts?.myTraffic;
  const myTraffic = Array.isArray(raw)
    ? raw.filter((x): x is string => typeof x === 'string').map((x) => x.trim()).filter((x) => x !== '').slice(0, 10_000)
    : [];
  const terms: Term[] = [];
  let i = 0;
  for (;;) {
    while (i < src.length && isWs(src[i])) i++;
    if (i >= src.length) break;
    const r = parseTerm(src, i, myTraffic);
    if (!r.ok) return { ok: false, error: r.error };
    terms.push(r.value.term);
    i = r.value.next;
  }
  // AND is order-independent and terms are pure: test cheap field lookups before
  // the free-text haystack, which costs a walk of the whole hit the first time.
  terms.sort((a, b) => a.cost - b.cost);
  const tests = terms.map((t) => t.test);
  const count = tests.length;
  const filter: CompiledFilter = {
    source: src,
    isEmpty: count === 0,
    test(data: Record<string, unknown>): boolean {
      const d = isRecord(data) ? data : EMPTY;
      for (let k = 0; k < count; k++) if (!tests[k]!(d)) return false;
      return true;
    },
  };
  return { ok: true, filter };
}
