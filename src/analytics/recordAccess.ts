/**
 * Safe reads of a Live Stream record parsed losslessly (ids and integers beyond
 * 2^53 are strings with the exact digits). Every field may be missing, of
 * another type or hostile, so nothing here throws, mutates its input or reads
 * through the prototype chain (a hit can carry `__proto__` or `constructor`
 * keys). Shared by the summary, the detail groups, the filter and export.
 */

export type Rec = Record<string, unknown>;

/** True for a plain (non-array, non-null) object. */
export function isRecord(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const hasOwn = Object.prototype.hasOwnProperty;

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

/** Present and not empty: not undefined, null or '', not an empty array or object. */
export function nonEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isRecord(v)) { for (const k in v) if (hasOwn.call(v, k)) return true; return false; }
  return true;
}
