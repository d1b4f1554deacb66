import { MAX_DISPLAY_CHARS, MAX_DISPLAY_DEPTH, type OmittedHit, type StoredHit } from '../shared/model';

const MiB = 1024 * 1024;

/**
 * Default memory budget of the hit store: 256 MiB of *estimated heap* (the
 * record text plus its parsed form, see `hitCost`), on top of the
 * `liveStream.maxHits` count. A typical 2 KB hit costs about 4.5 KB, so the
 * default 5 000 hits take ~22 MiB and the budget never binds; it binds for
 * hostile streams (300 records of 1 MiB would otherwise take 600 MB, at 5 000
 * hits about 10 GB) and for a maxHits above ~55 000 typical hits. It also keeps
 * a panel snapshot, one JSON string of every kept hit, far below V8's
 * 512 MiB string limit. The oldest hits are evicted first.
 */
export const DEFAULT_HIT_STORE_BYTES = 256 * MiB;

/**
 * Largest record (UTF-8 bytes) the host keeps. Real hits are 1–20 KB; a record
 * of a megabyte is not a page view but a stream trying to exhaust memory. The
 * engine's own splitter limit (4 MiB, `DEFAULT_MAX_RECORD_BYTES`) suits the
 * CLI, which prints records and keeps none; the extension passes this lower
 * limit to the engine so such records are dropped before they are even
 * buffered whole, and the store refuses them too (counted as `oversized`).
 */
export const MAX_STORED_RECORD_BYTES = 1 * MiB;

/** Estimated heap of one kept hit besides its text and data: the hit object, its key, the ring slots. */
const HIT_OVERHEAD_BYTES = 256;

export interface HitStoreOptions {
  /** Memory budget in estimated bytes (default DEFAULT_HIT_STORE_BYTES). */
  maxBytes?: number;
  /** Records longer than this many UTF-8 bytes are refused (default MAX_STORED_RECORD_BYTES). */
  maxRecordBytes?: number;
  /** Deeper hits become placeholders (default MAX_DISPLAY_DEPTH). */
  maxDepth?: number;
  /** Hits larger than this many estimated JSON characters become placeholders (default MAX_DISPLAY_CHARS). */
  maxChars?: number;
}

/** What `push` did with a hit. */
export type PushResult =
  /** Kept; `omitted` when it is shown as a placeholder (too deep or too large to display). */
  | { kept: true; cost: number; omitted?: OmittedHit }
  /** Refused: the record is over the per-record limit (`bytes` is its size). */
  | { kept: false; bytes: number };

/**
 * The host's ring buffer of recent hits, bounded twice: by count
 * (`liveStream.maxHits`) and by estimated bytes (`maxBytes`). Oldest hits fall
 * off first, so memory is bounded however fast or hostile the stream is.
 *
 * Each hit is checked once, on the way in: records over the per-record limit
 * are refused, and a hit whose parsed data is too deep or too large to cross
 * to the webview gets `omitted` set and keeps only its top-level scalar fields
 * (its exact text stays in `raw` for copy and export).
 */
export class HitStore {
  private buf: (StoredHit | undefined)[];
  private costs: number[];
  private start = 0;
  private count = 0;
  private used = 0;
  private readonly maxBytes: number;
  private readonly maxRecordBytes: number;
  private readonly maxDepth: number;
  private readonly maxChars: number;
  private readonly names = new KeyNames();
  /** Records refused for their size, since the store was made. */
  refused = 0;
  /** Hits kept as placeholders, since the store was made. */
  placeholders = 0;
  /** Hits evicted to stay within the byte budget (rather than the count). */
  evictedForBytes = 0;

  constructor(private cap: number, opts: HitStoreOptions = {}) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`maxHits must be a positive integer, got ${cap}`);
    this.maxBytes = opts.maxBytes ?? DEFAULT_HIT_STORE_BYTES;
    this.maxRecordBytes = opts.maxRecordBytes ?? MAX_STORED_RECORD_BYTES;
    this.maxDepth = opts.maxDepth ?? MAX_DISPLAY_DEPTH;
    this.maxChars = opts.maxChars ?? MAX_DISPLAY_CHARS;
    if (!(this.maxBytes > 0) || !(this.maxRecordBytes > 0)) throw new RangeError('hit store limits must be positive');
    this.buf = new Array(cap);
    this.costs = new Array(cap);
  }

  get size(): number { return this.count; }
  get capacity(): number { return this.cap; }
  /** Estimated memory of the kept hits (what `maxBytes` bounds). */
  get bytes(): number { return this.used; }
  get byteBudget(): number { return this.maxBytes; }
  /** Seq of the oldest kept hit (the panel drops rows below it). */
  get oldestSeq(): number | undefined { return this.count ? this.buf[this.start]!.seq : undefined; }

  /**
   * Checks and keeps a hit (see the class comment), evicting the oldest hits
   * as needed to stay within both limits. A placeholder hit is modified in
   * place (`omitted` set, `data` reduced), so every later reader sees it.
   */
  push(hit: StoredHit): PushResult {
    const raw = typeof hit.raw === 'string' ? hit.raw : '';
    if (raw.length > this.maxRecordBytes || hit.rawBytes && hit.rawBytes.byteLength > this.maxRecordBytes || raw.length * 3 > this.maxRecordBytes && utf8Length(raw) > this.maxRecordBytes) {
      this.refused++;
      return { kept: false, bytes: hit.rawBytes?.byteLength ?? utf8Length(raw) };
    }
    // The JSON sent to the webview is about as long as the record text (when there is one).
    let m = measureData(hit.data, this.maxDepth, raw ? Infinity : this.maxChars, this.names);
    const problem = m.problem ?? (raw.length > this.maxChars ? 'too-large' : undefined);
    let omitted: OmittedHit | undefined;
    if (problem) {
      omitted = { reason: problem, bytes: hit.rawBytes?.byteLength ?? utf8Length(raw) };
      hit.omitted = omitted;
      hit.data = topLevelScalars(hit.data);
      m = measureData(hit.data, this.maxDepth, Infinity, this.names);
      this.placeholders++;
    }
    const cost = HIT_OVERHEAD_BYTES + stringBytes(raw) + (hit.rawBytes?.byteLength ?? 0) + m.bytes;
    this.append(hit, cost);
    return omitted ? { kept: true, cost, omitted } : { kept: true, cost };
  }

  private append(hit: StoredHit, cost: number): void {
    while (this.count > 0 && (this.count === this.cap || this.used + cost > this.maxBytes)) {
      if (this.count < this.cap) this.evictedForBytes++;
      this.evictOldest();
    }
    const i = (this.start + this.count) % this.cap;
    this.buf[i] = hit;
    this.costs[i] = cost;
    this.count++;
    this.used += cost;
  }

  private evictOldest(): void {
    this.used -= this.costs[this.start]!;
    this.buf[this.start] = undefined;
    this.start = (this.start + 1) % this.cap;
    this.count--;
  }

  /** Changes the capacity, keeping the newest hits. */
  resize(cap: number): void {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`maxHits must be a positive integer, got ${cap}`);
    const keep: [StoredHit, number][] = [];
    for (let i = Math.max(0, this.count - cap); i < this.count; i++) {
      const j = (this.start + i) % this.cap;
      keep.push([this.buf[j]!, this.costs[j]!]);
    }
    this.cap = cap;
    this.clear();
    for (const [h, c] of keep) this.append(h, c);
  }

  clear(): void {
    this.buf = new Array(this.cap);
    this.costs = new Array(this.cap);
    this.start = 0;
    this.count = 0;
    this.used = 0;
  }

  /** Oldest first. */
  toArray(): StoredHit[] {
    const out: StoredHit[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.buf[(this.start + i) % this.cap]!;
    return out;
  }

  /** Finds a hit by its receipt sequence number (binary search: seq grows monotonically). */
  bySeq(seq: number): StoredHit | undefined {
    let lo = 0, hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const h = this.buf[(this.start + mid) % this.cap]!;
      if (h.seq === seq) return h;
      if (h.seq < seq) lo = mid + 1; else hi = mid - 1;
    }
    return undefined;
  }
}

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
function topLevelScalars(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(data)) {
    const v = data[k];
    // defineProperty: a `__proto__` key stays plain data.
    if (v === null || typeof v !== 'object') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Heap bytes of a string's characters: V8 stores Latin-1 text one byte per character, anything else two. */
function stringBytes(s: string): number {
  // eslint-disable-next-line no-control-regex -- any character beyond Latin-1 makes the string two-byte
  return /[^\u0000-\u00ff]/.test(s) ? s.length * 2 : s.length;
}

/** UTF-8 length of a string, without allocating its bytes. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n += 4; i++; }
    else n += 3;
  }
  return n;
}
