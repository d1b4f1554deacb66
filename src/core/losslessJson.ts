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

/**
 * Parses one record. Integers beyond 2^53 and all id fields become strings with
 * the exact digits. Throws RecordParseError unless the record is a JSON object.
 */
export function parseRecord(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(quoteLongIntegers(text));
  } catch (e) {
    throw new RecordParseError(`not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RecordParseError('a record must be a JSON object');
  }
  const rec = value as Record<string, unknown>;
  for (const f of ID_FIELDS) {
    const v = rec[f];
    if (typeof v === 'number' && Number.isInteger(v)) rec[f] = String(v);
  }
  return rec;
}

/** The dedupe key: exact `hitIdHigh:hitIdLow`, or '' when the record has no usable id. */
export function hitKey(rec: Record<string, unknown>): string {
  const hi = rec.hitIdHigh, lo = rec.hitIdLow;
  if ((typeof hi === 'string' || typeof hi === 'number') && (typeof lo === 'string' || typeof lo === 'number')) {
    return `${hi}:${lo}`;
  }
  return '';
}
