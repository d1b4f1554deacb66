import type { StoredHit } from './model';

/**
 * The host's ring buffer of recent hits (`liveStream.maxHits`). Oldest hits fall
 * off the end, so memory is bounded however fast the stream is.
 */
export class HitStore {
  private buf: (StoredHit | undefined)[];
  private start = 0;
  private count = 0;

  constructor(private cap: number) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`maxHits must be a positive integer, got ${cap}`);
    this.buf = new Array(cap);
  }

  get size(): number { return this.count; }
  get capacity(): number { return this.cap; }

  push(hit: StoredHit): void {
    if (this.count < this.cap) {
      this.buf[(this.start + this.count) % this.cap] = hit;
      this.count++;
    } else {
      this.buf[this.start] = hit;
      this.start = (this.start + 1) % this.cap;
    }
  }

  /** Changes the capacity, keeping the newest hits. */
  resize(cap: number): void {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`maxHits must be a positive integer, got ${cap}`);
    const keep = this.toArray().slice(-cap);
    this.cap = cap;
    this.buf = new Array(cap);
    this.start = 0;
    this.count = 0;
    for (const h of keep) this.push(h);
  }

  clear(): void {
    this.buf = new Array(this.cap);
    this.start = 0;
    this.count = 0;
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
