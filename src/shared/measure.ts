/**
 * Measuring parsed hits: estimated heap bytes, JSON length, and whether a hit
 * is too deep or too large to display. Used by the host's hit store and by the
 * stream pipeline's worker, which measures each hit where it is parsed so the
 * extension host's thread never walks hits it does not show.
 */
import { utf8Bytes } from '../analytics/utf8';
import { MAX_DISPLAY_CHARS, MAX_DISPLAY_DEPTH } from './model';

/** The result of one walk over parsed hit data. */
export interface DataMeasure {
  /** Estimated heap bytes of the parsed data. */
  bytes: number;
  /** Estimated length of its JSON text. */
  chars: number;
  /** Set (and the walk stopped early) when the data is nested deeper than maxDepth or its JSON exceeds maxChars. */
  problem?: 'too-deep' | 'too-large';
}

/**
 * Property names seen before, so their cost is not charged again: V8 shares
 * the key strings and the hidden classes of records with the same shape
 * (real hits), while every new name costs a key string, a hidden class and a
 * descriptor (a hostile record with 50 000 made-up keys). Bounded: names
 * longer than 64 characters and names beyond the first 4 096 are never
 * remembered, only charged.
 */
export class KeyNames {
  private readonly names = new Set<string>();
  constructor(private readonly max = 4096) {}
  /** True when `name` was seen before; remembers it otherwise (while there is room). */
  known(name: string): boolean {
    if (this.names.has(name)) return true;
    if (this.names.size < this.max && name.length <= 64) this.names.add(name);
    return false;
  }
}

/**
 * Measures parsed data in one iterative walk (an explicit stack, never
 * recursion: the data may be 200 000 levels deep), stopping as soon as it is
 * too deep or too large to display. The heap estimate follows V8's layout:
 * measured within ±25% of the real heap for real hits, big strings, wide or
 * deep arrays, many small objects and objects with thousands of made-up keys
 * (test/unit/memoryBudget.test.ts).
 */
export function measureData(data: unknown, maxDepth = MAX_DISPLAY_DEPTH, maxChars = MAX_DISPLAY_CHARS, names: KeyNames = new KeyNames()): DataMeasure {
  let bytes = 0;
  let chars = 0;
  const values: unknown[] = [data];
  // Depth of each stacked value: how many containers enclose it.
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (typeof v === 'string') {
      bytes += 16 + stringBytes(v);
      chars += v.length + 2;
    } else if (typeof v === 'object' && v !== null) {
      if (depth >= maxDepth) return { bytes, chars, problem: 'too-deep' };
      if (Array.isArray(v)) {
        bytes += 40 + 8 * v.length;
        chars += 2 + v.length;
        for (let i = 0; i < v.length; i++) { values.push(v[i]); depths.push(depth + 1); }
      } else {
        const keys = Object.keys(v);
        // A slot per property; past ~1 000 properties (kMaxNumberOfDescriptors) V8 switches to a dictionary (~64 bytes per entry).
        bytes += 64 + (keys.length > 1000 ? 64 : 16) * keys.length;
        chars += 2;
        for (const k of keys) {
          if (!names.known(k)) bytes += 128 + k.length;
          chars += k.length + 4;
          values.push((v as Record<string, unknown>)[k]);
          depths.push(depth + 1);
        }
      }
    } else {
      // Small integers live in their slot; other numbers are 16-byte heap numbers.
      if (typeof v === 'number') {
        if (!Number.isInteger(v) || Math.abs(v) >= 2 ** 30) bytes += 16;
        chars += 8;
      } else {
        chars += 5;
      }
    }
    if (chars > maxChars) return { bytes, chars, problem: 'too-large' };
  }
  return { bytes, chars };
}

/** A placeholder's data: the top-level scalar fields only (time, ids, page name…), for export and filters. */
export function topLevelScalars(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(data)) {
    const v = data[k];
    // defineProperty: a `__proto__` key stays plain data.
    if (v === null || typeof v !== 'object') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Heap bytes of a string's characters: V8 stores Latin-1 text one byte per character, anything else two. */
export function stringBytes(s: string): number {
  // eslint-disable-next-line no-control-regex -- any character beyond Latin-1 makes the string two-byte
  return /[^\u0000-\u00ff]/.test(s) ? s.length * 2 : s.length;
}

/** UTF-8 length of a string, without allocating its bytes. */
export function utf8Length(s: string): number {
  return utf8Bytes(s);
}
