/**
 * Lossless parsing of Live Stream records.
 *
 * Adobe writes 64-bit ids (hitIdHigh/hitIdLow, visIdHigh/…) as bare JSON numbers
 * above 2^53; `JSON.parse` rounds them and the de-duplication key stops being
 * unique. We quote every integer literal with 16+ digits *outside strings* and
 * then use the native parser once: one pass over the text to find the
 * literals (jumping from quote to quote with indexOf) plus one native parse.
 */

const LONG_INT = /(^|[[:,\s])(-?\d{16,})(?=\s*[,\]}]|\s*$)/g;
const HAS_LONG_DIGITS = /\d{16}/;

/** Fields that always hold exact 64-bit ids: kept as digit strings even when small. */
export const ID_FIELDS: ReadonlySet<string> = new Set([
  'hitIdHigh', 'hitIdLow', 'visIdHigh', 'visIdLow', 'mcVisIdHigh', 'mcVisIdLow',
]);

export class RecordParseError extends Error {}

/** Quotes integer literals of 16+ digits that are outside JSON strings. */
export function quoteLongIntegers(text: string): string {
  if (!HAS_LONG_DIGITS.test(text)) return text;
  let out = '';
  let pos = 0; // start of the current outside-string segment
  const n = text.length;
  while (pos < n) {
    const q = text.indexOf('"', pos);
    const segEnd = q === -1 ? n : q;
    const seg = text.slice(pos, segEnd);
    out += HAS_LONG_DIGITS.test(seg) ? seg.replace(LONG_INT, '$1"$2"') : seg;
    if (q === -1) break;
    // Find the closing quote, skipping escaped ones (an odd run of backslashes escapes).
    let e = q + 1;
    for (;;) {
      e = text.indexOf('"', e);
      if (e === -1) { out += text.slice(q); return out; } // unterminated: JSON.parse will report it
      let bs = 0;
      for (let k = e - 1; k > q && text.charCodeAt(k) === 92; k--) bs++;
      if ((bs & 1) === 0) break;
      e++;
    }
    out += text.slice(q, e + 1);
    pos = e + 1;
  }
  return out;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** End of the digit run that starts at `start`. */
export function digitsEnd(text: string, start: number): number {
  let e = start;
  while (isDigit(text.charCodeAt(e))) e++;
  return e;
}

/**
 * Start of the first run of 16+ ASCII digits at or after `from` (what `/\d{16,}/g` finds), -1 when
 * there is none. Every such run covers one of any 16 consecutive positions, so only every 16th
 * character is probed: a hit is ~1 800 characters with a few long runs, and the regex, which tests
 * each character, was a tenth of the parse worker's time at firehose rates.
 */
export function longRunAt(text: string, from: number): number {
  const n = text.length;
  for (let p = from + 15; p < n; p += 16) {
    if (!isDigit(text.charCodeAt(p))) continue;
    let s = p;
    while (s > from && isDigit(text.charCodeAt(s - 1))) s--;
    const e = digitsEnd(text, p + 1);
    if (e - s >= 16) return s;
    // A shorter run: the next long one starts after it, at e + 1 or later.
    p = e;
  }
  return -1;
}

/**
 * Parses one record. Integers beyond 2^53 and all id fields become strings with
 * the exact digits. Throws RecordParseError unless the record is a JSON object.
 *
 * Fast path (real hits): one native parse, then the few long integers are put
 * back from the text, which is only safe when every 16+ digit run in the text
 * is a `"key": digits` pair of a top-level field named once. Anything else
 * (long digits in strings or nested objects, floats) takes the quoting path.
 */
export function parseRecord(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RecordParseError(`not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RecordParseError('a record must be a JSON object');
  }
  let rec = value as Record<string, unknown>;
  if (!restoreTopLevel(rec, text)) {
    rec = JSON.parse(quoteLongIntegers(text)) as Record<string, unknown>;
  }
  for (const f of ID_FIELDS) {
    const v = rec[f];
    if (typeof v === 'number' && Number.isInteger(v)) rec[f] = String(v);
  }
  return rec;
}

/** Puts exact digits back into top-level fields; false when the text is not the simple case. */
function restoreTopLevel(rec: Record<string, unknown>, text: string): boolean {
  // Walk the long digit runs and check the few characters around each by hand:
  // `"key"<ws>:<ws>[-]digits<ws>[,}\]]`. Anything else → slow path.
  const found: [string, string][] = [];
  for (let at = longRunAt(text, 0), end = 0; at !== -1; at = longRunAt(text, end)) {
    let start = at;
    end = digitsEnd(text, at);
    let i = end;
    while (isWs(text.charCodeAt(i))) i++;
    const after = text.charCodeAt(i);
    if (after !== 44 && after !== 125 && after !== 93) return false; // , } ]
    if (text.charCodeAt(start - 1) === 45) start--; // a minus sign
    let j = start - 1;
    while (isWs(text.charCodeAt(j))) j--;
    if (text.charCodeAt(j) !== 58) return false; // :
    j--;
    while (isWs(text.charCodeAt(j))) j--;
    if (text.charCodeAt(j) !== 34) return false; // closing quote of the key
    const keyEnd = j;
    const keyStart = text.lastIndexOf('"', keyEnd - 1);
    if (keyStart < 0) return false;
    const key = text.slice(keyStart + 1, keyEnd);
    // A backslash means an escaped quote may be involved: not the simple case.
    if (key.length === 0 || key.includes('\\')) return false;
    found.push([key, text.slice(start, end)]);
  }
  for (let a = 0; a < found.length; a++) {
    const [k, digits] = found[a];
    for (let b = 0; b < a; b++) if (found[b][0] === k) return false;
    const v = Object.prototype.hasOwnProperty.call(rec, k) ? rec[k] : undefined;
    // The pair might belong to a nested object; the top-level value must be the same number.
    if (typeof v !== 'number' || v !== Number(digits)) return false;
  }
  for (const [k, digits] of found) rec[k] = digits;
  return true;
}

function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** The dedupe key: exact `hitIdHigh:hitIdLow`, or '' when the record has no usable id. */
export function hitKey(rec: Record<string, unknown>): string {
  const hi = rec.hitIdHigh, lo = rec.hitIdLow;
  if ((typeof hi === 'string' || typeof hi === 'number') && (typeof lo === 'string' || typeof lo === 'number')) {
    return `${hi}:${lo}`;
  }
  return '';
}

/**
 * The dedupe key of a record already checked with `JSON.parse` (`rec`),
 * without restoring every long integer: only hitIdHigh/hitIdLow are read back
 * from the text. For consumers that keep the record's bytes, not its data (the
 * CLI). Returns undefined unless the case is unambiguous (each name occurs
 * exactly once in the text, no \u escapes that could spell a name, and the
 * digits are the parsed top-level value); the caller then uses parseRecord.
 */
export function fastHitKey(rec: Record<string, unknown>, text: string): string | undefined {
  if (text.includes('\\u')) return undefined;
  const hi = idDigits(rec, text, 'hitIdHigh');
  if (hi === undefined) return undefined;
  const lo = idDigits(rec, text, 'hitIdLow');
  if (lo === undefined) return undefined;
  return hi === '' || lo === '' ? '' : `${hi}:${lo}`;
}

/** The exact digits of a top-level integer id field, '' when the record has none, undefined when unsure. */
function idDigits(rec: Record<string, unknown>, text: string, name: string): string | undefined {
  const v = Object.prototype.hasOwnProperty.call(rec, name) ? rec[name] : undefined;
  const needle = `"${name}"`;
  const at = text.indexOf(needle);
  if (v === undefined) return at === -1 ? '' : undefined;
  if (typeof v === 'string') return undefined; // quoted ids: the slow path keeps them as they are
  if (typeof v !== 'number' || at === -1 || text.indexOf(needle, at + 1) !== -1) return undefined;
  let i = at + needle.length;
  while (isWs(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 58) return undefined; // :
  i++;
  while (isWs(text.charCodeAt(i))) i++;
  const start = i;
  if (text.charCodeAt(i) === 45) i++; // -
  i = digitsEnd(text, i);
  const digits = text.slice(start, i);
  const next = text.charCodeAt(i);
  if (digits === '' || digits === '-' || next === 46 || next === 101 || next === 69) return undefined; // . e E: not an integer literal
  if (Number(digits) !== v) return undefined;
  // As parseRecord writes it: the text's digits for long literals, the number's own digits otherwise (-0 is "0").
  return digits.length - (digits.charCodeAt(0) === 45 ? 1 : 0) >= 16 ? digits : String(v);
}
