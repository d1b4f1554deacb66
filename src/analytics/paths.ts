/**
 * Paths into a record: "evars.evars.evar1", "products.0.name",
 * 'hierarchies["site-\u00adhier"].values'. The detail pane shows and copies
 * them, the filter language reads them, and the free-text search walks every
 * value (`flattenValues`).
 */
import { isRecord, lookupKey } from './recordAccess';

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
