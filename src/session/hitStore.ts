import { KeyNames, measureData, stringBytes, topLevelScalars, utf8Length } from '../shared/measure';
import { MAX_DISPLAY_CHARS, MAX_DISPLAY_DEPTH, type OmittedHit, type StoredHit } from '../shared/model';

export { KeyNames, measureData, utf8Length, type DataMeasure } from '../shared/measure';

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
/** What `push` did. Valid until the next `push` (a kept hit's result object may be reused). */
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
  private readonly kept: { kept: true; cost: number } = { kept: true, cost: 0 };
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
    const measured = hit.measuredBytes;
    if (measured !== undefined) return this.pushMeasured(hit, measured);
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

  /**
   * A hit the pipeline measured where it was parsed (in its worker): no walk
   * over `data` here, and a lazy hit (pipeline.ts) is not decoded or parsed.
   */
  private pushMeasured(hit: StoredHit, measuredBytes: number): PushResult {
    const lazy = hit.recordBytes;
    const bytes = lazy ?? hit.rawBytes?.byteLength ?? utf8Length(hit.raw);
    if (bytes > this.maxRecordBytes) {
      this.refused++;
      return { kept: false, bytes };
    }
    let omitted = hit.omitted;
    if (!omitted && bytes > this.maxChars) {
      omitted = { reason: 'too-large', bytes };
      hit.omitted = omitted;
      hit.data = topLevelScalars(hit.data);
    }
    if (omitted) this.placeholders++;
    // A lazy hit holds only its bytes (text is decoded on demand); an eager one holds text and maybe bytes.
    const textCost = lazy !== undefined ? lazy : stringBytes(hit.raw) + (hit.rawBytes?.byteLength ?? 0);
    const cost = HIT_OVERHEAD_BYTES + textCost + measuredBytes;
    this.append(hit, cost);
    if (omitted) return { kept: true, cost, omitted };
    // The common case at firehose rates: one result object, reused (read before the next push).
    this.kept.cost = cost;
    return this.kept;
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

