/**
 * The built-in checks of tracking rules, as pure functions of one value or one
 * hit: personal data (e-mail addresses, card numbers passing Luhn, phone
 * numbers), eVars over Adobe's 255-byte limit, events with a zero or
 * non-numeric value, and top-level fields Live Stream does not send (schema
 * drift). Every scan is a single forward pass over at most MAX_SCAN_CHARS of a
 * value (no regular expression runs on hit text here), so a hostile hit costs
 * time linear in what is scanned.
 */
import { eventTotal } from '../decimals';
import { formatPath } from '../paths';
import { isRecord, own, type Rec } from '../recordAccess';
import { utf8Bytes } from '../utf8';

export { utf8Bytes };

/** Only the first 64 KiB of a value are scanned (like the filter's regex terms). */
export const MAX_SCAN_CHARS = 64 * 1024;
/** Values visited per hit by the personal-data scan. */
export const MAX_VALUES = 2000;
const MAX_DEPTH = 8;
/** Adobe truncates eVar values at 255 bytes. */
export const EVAR_MAX_BYTES = 255;

/** One finding: where (a path usable as a filter field) and the offending text. */
export interface Finding { field: string; value: string; kind: string }

// ------------------------------------------------------------------ e-mail

const isLocal = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
const isDomain = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * The first e-mail address in `s` (also URL-encoded: `a%40b.com`), or undefined.
 * Around each `@` the local part and domain are read by hand, at most 64 and
 * 255 characters, so the scan is linear however many `@` a value holds.
 */
export function findEmail(s: string): string | undefined {
  const n = Math.min(s.length, MAX_SCAN_CHARS);
  // Native indexOf finds the candidates; most values have none.
  let nextAt = s.indexOf('@');
  let nextPct = s.indexOf('%40');
  while (true) {
    if (nextAt >= n) nextAt = -1;
    if (nextPct >= n) nextPct = -1;
    if (nextAt < 0 && nextPct < 0) return undefined;
    let at: number, after: number;
    if (nextPct < 0 || (nextAt >= 0 && nextAt < nextPct)) { at = nextAt; after = at + 1; nextAt = s.indexOf('@', at + 1); }
    else { at = nextPct; after = at + 3; nextPct = s.indexOf('%40', at + 1); }
    let l = at;
    while (l > 0 && at - l < 64 && isLocal(s.charCodeAt(l - 1))) l--;
    // A local part of an encoded address must not swallow an earlier "%40".
    if (l === at) continue;
    let r = after;
    while (r < n && r - after < 255 && isDomain(s.charCodeAt(r))) r++;
    let domain = s.slice(after, r);
    while (domain.endsWith('.') || domain.endsWith('-')) domain = domain.slice(0, -1);
    const dot = domain.lastIndexOf('.');
    if (dot <= 0) continue;
    const tld = domain.slice(dot + 1);
    if (tld.length < 2 || ![...tld].every((c) => isAlpha(c.charCodeAt(0)))) continue;
    const local = s.slice(l, at);
    if (local.startsWith('.') || local.endsWith('.')) continue;
    return `${local}@${domain}`;
  }
}

// ------------------------------------------------------------------ digit runs: cards and phones

/** The Luhn check (ISO/IEC 7812) over a string of digits. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

interface Run { text: string; digits: string; plus: boolean; seps: string }

/** The shortest digit count of a phone or card number: shorter runs are never materialized. */
const MIN_RUN_DIGITS = 8;

const EIGHT_DIGITS = /(?:\d[ ().+-]{0,2}){7}\d/;

const isDigitCode = (c: number) => c >= 48 && c <= 57;
const isSepCode = (c: number) => c === 32 || c === 45 || c === 46 || c === 40 || c === 41;

/**
 * Number-like runs of at least 8 digits: digits with single separators
 * (space, dash, dot, parentheses) between them, optionally after a `+`.
 * Letters or other characters end a run; a run glued to a letter (`A1234…`,
 * `…123x`) is an identifier, not a number, and is skipped. One pass over the
 * value by character code; strings are built only for the rare long runs.
 */
function numberRuns(s: string): Run[] {
  const out: Run[] = [];
  // Most values hold no 8 digits in a row (with at most two separators between): a native
  // test settles them. Its quantifiers are fixed and small, so it cannot backtrack far.
  if (!EIGHT_DIGITS.test(s.length > MAX_SCAN_CHARS ? s.slice(0, MAX_SCAN_CHARS) : s)) return out;
  const n = Math.min(s.length, MAX_SCAN_CHARS);
  let i = 0;
  while (i < n && out.length < 100) {
    const c = s.charCodeAt(i);
    const startsPlus = c === 43 && isDigitCode(s.charCodeAt(i + 1));
    const startsParen = c === 40 && isDigitCode(s.charCodeAt(i + 1));
    if (!isDigitCode(c) && !startsPlus && !startsParen) { i++; continue; }
    const prev = i > 0 ? s.charCodeAt(i - 1) : 32;
    const glued = isAlpha(prev) || prev === 95 || isDigitCode(prev);
    const start = i;
    let digitCount = 0;
    if (startsPlus) i++;
    let lastSep = false;
    while (i < n) {
      const d = s.charCodeAt(i);
      if (isDigitCode(d)) { digitCount++; lastSep = false; i++; continue; }
      // One separator between digits ("4111 1111"); "(555) 123" has two: ") ".
      const next = i + 1 < n ? s.charCodeAt(i + 1) : -1;
      if (isSepCode(d) && !(lastSep && d !== 32) && (isDigitCode(next) || next === 32 || next === 40)) { lastSep = true; i++; continue; }
      break;
    }
    const endGlued = i < n && (isAlpha(s.charCodeAt(i)) || s.charCodeAt(i) === 95);
    if (!glued && !endGlued && digitCount >= MIN_RUN_DIGITS) {
      const text = s.slice(start, i).trim();
      let digits = '', seps = '';
      for (let k = startsPlus ? 1 : 0; k < text.length; k++) { const ch = text[k]!; if (isDigitCode(ch.charCodeAt(0))) digits += ch; else seps += ch; }
      out.push({ text, digits, plus: startsPlus, seps });
    }
    if (i === start) i++;
  }
  return out;
}

/** A card-number-like run (13–19 digits, separated only by spaces or dashes, passing Luhn, not one repeated digit), or undefined. */
export function findCardNumber(s: string): string | undefined {
  return cardIn(numberRuns(s));
}

function cardIn(runs: readonly Run[]): string | undefined {
  for (const r of runs) {
    if (r.plus || r.digits.length < 13 || r.digits.length > 19) continue;
    if (/[^ -]/.test(r.seps)) continue;
    if (/^(\d)\1*$/.test(r.digits)) continue;
    if (luhn(r.digits)) return r.text;
  }
  return undefined;
}

/**
 * A phone number, or undefined: `+` and 8–15 digits (E.164, with separators
 * allowed), or 10 digits written with separators in the North American way
 * (`555-123-4567`, `(555) 123-4567`, `555.123.4567`). Plain digit runs
 * (timestamps, ids) and dates are not phone numbers.
 */
export function findPhone(s: string): string | undefined {
  return phoneIn(numberRuns(s));
}

function phoneIn(runs: readonly Run[]): string | undefined {
  for (const r of runs) {
    if (r.plus) {
      if (r.digits.length >= 8 && r.digits.length <= 15) return r.text;
      continue;
    }
    if (r.digits.length === 10 && r.seps.length >= 2 && /^\(?\d{3}\)?[ .-]{1,2}\d{3}[ .-]\d{4}$/.test(r.text)) return r.text;
  }
  return undefined;
}

// ------------------------------------------------------------------ which values are free text

/**
 * Top-level fields that hold ids, codes, numbers or Adobe's own labels, never
 * text a visitor typed: a digit run there is an id, not a card or phone number.
 */
const NOT_FREE_TEXT = /(?:^|[^a-z])(?:id|ids)$|Id(?:High|Low)?$|^(?:ip|timeGMT|receivedTimeGMT|hitSource|visitNumber|visitPageNum|geoZip|geoDMA|geoLatitude|geoLongitude|browserWidth|browserHeight|monitorWidth|monitorHeight|pageEventType|userAgent|currency|visIdType|exclude|tnt|tntAction|revenue|units)$/i;

/** True when a value at this path is free text a page sets (eVars, props, page names, URLs, list variables…), not an id. */
export function isFreeTextPath(segs: readonly string[]): boolean {
  for (const s of segs) if (NOT_FREE_TEXT.test(s)) return false;
  return true;
}

/**
 * Calls `fn` for every string (and number) value of a hit with its path and
 * whether it is free text (`isFreeTextPath`, decided once per key on the way
 * down), depth ≤ 8, at most MAX_VALUES values; stops when `fn` returns true.
 */
export function eachValue(d: Rec, fn: (segs: readonly string[], value: string, freeText: boolean) => boolean): void {
  let seen = 0;
  const segs: string[] = [];
  const walk = (v: unknown, depth: number, free: boolean): boolean => {
    if (seen >= MAX_VALUES) return true;
    if (typeof v === 'string') { seen++; return v !== '' && fn(segs, v, free); }
    if (typeof v === 'number' || typeof v === 'bigint') { seen++; return fn(segs, String(v), free); }
    if (typeof v !== 'object' || v === null || depth >= MAX_DEPTH) return false;
    if (Array.isArray(v)) {
      const n = Math.min(v.length, MAX_VALUES);
      for (let i = 0; i < n; i++) { segs.push(String(i)); const stop = walk(v[i], depth + 1, free); segs.pop(); if (stop) return true; }
      return false;
    }
    for (const k in v) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
      segs.push(k);
      const stop = walk((v as Rec)[k], depth + 1, free && !NOT_FREE_TEXT.test(k));
      segs.pop();
      if (stop) return true;
    }
    return false;
  };
  walk(d, 0, true);
}

/** A path as the filter language reads it: `evars.evars.evar5` → `evar5`, `props.prop3` → `prop3`. */
export function fieldName(segs: readonly string[]): string {
  if (segs.length === 3 && segs[0] === 'evars' && segs[1] === 'evars') return segs[2]!;
  if (segs.length === 2 && segs[0] === 'props' && /^prop\d+$/i.test(segs[1]!)) return segs[1]!;
  return formatPath(segs);
}

/** Personal data in any value: e-mail anywhere; card and phone numbers only in free-text values. At most one finding per kind. */
export function personalData(d: Rec): Finding[] {
  const out: Finding[] = [];
  const found = new Set<string>();
  eachValue(d, (segs, v, free) => {
    if (!found.has('email')) {
      const e = findEmail(v);
      if (e !== undefined) { found.add('email'); out.push({ kind: 'email', field: fieldName(segs), value: e }); }
    }
    if (free && (!found.has('card') || !found.has('phone'))) {
      const runs = numberRuns(v);
      if (runs.length) {
        const c = found.has('card') ? undefined : cardIn(runs);
        if (c !== undefined) { found.add('card'); out.push({ kind: 'card', field: fieldName(segs), value: c }); }
        const p = found.has('phone') ? undefined : phoneIn(runs);
        if (p !== undefined) { found.add('phone'); out.push({ kind: 'phone', field: fieldName(segs), value: p }); }
      }
    }
    return found.size === 3;
  });
  return out;
}

// ------------------------------------------------------------------ eVar length

function evarsOf(container: unknown): Rec | undefined {
  if (!isRecord(container)) return undefined;
  const inner = own(container, 'evars');
  return isRecord(inner) ? inner : container;
}

/** eVars (the hit's and each product's) whose value is over 255 UTF-8 bytes. */
export function longEvars(d: Rec): Finding[] {
  const out: Finding[] = [];
  const check = (evars: Rec | undefined, base: readonly string[]) => {
    if (!evars) return;
    let k = 0;
    for (const name in evars) {
      if (!Object.prototype.hasOwnProperty.call(evars, name) || ++k > 1000) continue;
      const v = evars[name];
      if (typeof v !== 'string') continue;
      const bytes = utf8Bytes(v, EVAR_MAX_BYTES);
      if (bytes > EVAR_MAX_BYTES) out.push({ kind: 'too-long', field: base.length ? formatPath([...base, name]) : name, value: `${utf8Bytes(v.slice(0, MAX_SCAN_CHARS))}${v.length > MAX_SCAN_CHARS ? '+' : ''} bytes: ${v.slice(0, 40)}…` });
    }
  };
  check(evarsOf(own(d, 'evars')), []);
  const products = own(d, 'products');
  if (Array.isArray(products)) {
    const n = Math.min(products.length, 1000);
    for (let i = 0; i < n; i++) {
      const p: unknown = products[i];
      if (!isRecord(p)) continue;
      const raw = own(p, 'evars');
      const nested = isRecord(raw) && isRecord(own(raw, 'evars'));
      check(evarsOf(raw), ['products', String(i), 'evars', ...(nested ? ['evars'] : [])]);
    }
  }
  return out;
}

// ------------------------------------------------------------------ event values

/** Events (hit level and per product) whose value is zero or not a number. */
export function badEvents(d: Rec): Finding[] {
  const out: Finding[] = [];
  const check = (events: unknown, base: readonly string[]) => {
    if (!isRecord(events)) return;
    let k = 0;
    for (const name in events) {
      if (!Object.prototype.hasOwnProperty.call(events, name) || ++k > 1000) continue;
      const v = events[name];
      const t = eventTotal(v);
      const field = base.length ? formatPath([...base, name]) : name;
      if (t.value === '') out.push({ kind: 'non-numeric', field, value: shortJson(v) });
      else if (/^-?0(\.0*)?$/.test(t.value)) out.push({ kind: 'zero', field, value: t.value });
    }
  };
  check(own(d, 'events'), []);
  const products = own(d, 'products');
  if (Array.isArray(products)) {
    const n = Math.min(products.length, 1000);
    for (let i = 0; i < n; i++) check(own(products[i], 'events'), ['products', String(i), 'events']);
  }
  return out;
}

function shortJson(v: unknown): string {
  let s: string;
  try { s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v); } catch { s = String(v); }
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

// ------------------------------------------------------------------ schema drift

/**
 * The top-level fields of a Live Stream record: Adobe's published sample
 * (shared/fixtures/adobe-sample-hit.json), the fields the detail pane decodes
 * (decodeHit.ts) and the demo stream's. Anything else is schema drift: a field
 * Adobe added, or a processing rule sending something new.
 */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'bot', 'browser', 'browserHeight', 'browserType', 'browserWidth', 'carrier', 'connectionType', 'currency', 'customVisId',
  'domain', 'evars', 'events', 'exclude', 'geoCity', 'geoCountry', 'geoDMA', 'geoRegion', 'geoZip', 'geoLatitude', 'geoLongitude',
  'hierarchies', 'hitIdHigh', 'hitIdLow', 'hitSource', 'ip', 'javaEnabled', 'language', 'languageAbbrev', 'monitorColorDepth',
  'monitorHeight', 'monitorWidth', 'mvvars', 'operatingSystem', 'os', 'pageName', 'pageURL', 'products', 'props', 'receivedTimeGMT',
  'referrer', 'reportSuite', 'searchEngine', 'service', 'timeGMT', 'topLevelDomain', 'tnt', 'tntAction', 'transactionId', 'truncated',
  'userAgent', 'usesPersistentCookie', 'visIdHigh', 'visIdLow', 'visIdType', 'mcVisIdHigh', 'mcVisIdLow', 'visitNumber', 'visitNum',
  'visitPageNum', 'pageEventType', 'pageEvent', 'pageEventVar1', 'pageEventVar2', 'pageEventVar3', 'linkType', 'linkName', 'linkURL',
  'mobileDevice', 'site_section', 'channel', 'server', 'pageType', 'purchaseId', 'zip', 'state', 'campaign',
]);

/** Top-level fields not in KNOWN_FIELDS (at most 20). */
export function unknownFields(d: Rec): Finding[] {
  const out: Finding[] = [];
  for (const k in d) {
    if (!Object.prototype.hasOwnProperty.call(d, k) || KNOWN_FIELDS.has(k)) continue;
    out.push({ kind: 'unknown-field', field: k, value: shortJson(d[k]) });
    if (out.length >= 20) break;
  }
  return out;
}
