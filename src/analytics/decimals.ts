/**
 * Exact decimals: an event's value is count × 10^exponent and revenue is in
 * cents, so both are computed with BigInt and printed as plain decimal text
 * (never through a float). Bounded, so hostile exponents stay cheap.
 */
import { isRecord, own, scalarText } from './recordAccess';

/** mantissa × 10^e */
export interface Dec { m: bigint; e: number }

// Bounds keep hostile exponents from producing megabyte strings.
const MAX_EXP = 1000;
const MAX_NUM_TEXT = 400;

/** A number, bigint or decimal string (with an optional exponent) as a Dec; undefined when unusable or out of bounds. */
export function parseDec(v: unknown): Dec | undefined {
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

export function addDec(a: Dec, b: Dec): Dec {
  const e = Math.min(a.e, b.e);
  return { m: a.m * 10n ** BigInt(a.e - e) + b.m * 10n ** BigInt(b.e - e), e };
}

/** Sign of a − b (exact). */
export function compareDec(a: Dec, b: Dec): number {
  const e = Math.min(a.e, b.e);
  const x = a.m * 10n ** BigInt(a.e - e), y = b.m * 10n ** BigInt(b.e - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Plain decimal text with no exponent, no trailing fraction zeros, at least `minFrac` fraction digits. */
export function decText(d: Dec, minFrac = 0): string {
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
