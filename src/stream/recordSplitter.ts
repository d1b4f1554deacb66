/**
 * Splits the gunzipped byte stream into records on LF (a trailing CR is
 * stripped). Works on bytes, not text, so a multi-byte UTF-8 character cut by a
 * chunk or gzip boundary is decoded only once the whole record is in. A record
 * longer than `maxRecordBytes` is skipped up to its LF without being buffered.
 */
export interface SplitterEvents {
  /**
   * One complete, non-empty record (CR stripped). `bytes` is a view of the same
   * record's bytes, valid for as long as the caller keeps it (never rewritten).
   */
  record(text: string, bytes: Buffer): void;
  /** A record over the limit was dropped; `bytes` is how much of it was seen. */
  oversized(bytes: number): void;
}

export const DEFAULT_MAX_RECORD_BYTES = 4 * 1024 * 1024;

export class RecordSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** True while discarding the rest of an oversized record. */
  private skipping = false;
  private skippedBytes = 0;

  constructor(private readonly events: SplitterEvents, private readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES) {}

  /** Bytes held for an incomplete record (never more than the limit). */
  get bufferedBytes(): number { return this.pendingBytes; }
  /** Bytes since the last LF of a record being kept (the pipeline replays from before them). */
  get heldBytes(): number { return this.pendingBytes; }
  /** Bytes of an oversized record skipped so far (0 when not skipping). */
  get skippingBytes(): number { return this.skipping ? this.skippedBytes : 0; }

  /**
   * Starts in the middle of an oversized record being skipped (a restarted
   * worker replaying after it): the bytes up to its LF are skipped too, not
   * taken for a record.
   */
  resumeSkipping(seenBytes: number): void {
    if (seenBytes <= 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = true;
    this.skippedBytes = seenBytes;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      const lf = chunk.indexOf(10, pos);
      if (lf === -1) {
        this.keep(chunk, pos, len);
        return;
      }
      if (this.skipping) {
        this.skippedBytes += lf - pos;
        this.events.oversized(this.skippedBytes);
        this.skipping = false;
        this.skippedBytes = 0;
      } else if (this.pendingBytes === 0) {
        // Fast path: the whole record is inside this chunk.
        if (lf - pos > this.maxRecordBytes) this.events.oversized(lf - pos);
        else this.emit(chunk, pos, lf);
      } else {
        if (this.pendingBytes + (lf - pos) > this.maxRecordBytes) {
          this.events.oversized(this.pendingBytes + (lf - pos));
        } else {
          this.pending.push(chunk.subarray(pos, lf));
          const whole = Buffer.concat(this.pending, this.pendingBytes + (lf - pos));
          this.emit(whole, 0, whole.length);
        }
        this.pending = [];
        this.pendingBytes = 0;
      }
      pos = lf + 1;
    }
  }

  /** The stream ended: an unterminated tail is a partial record and is discarded. */
  end(): { discardedBytes: number } {
    const discardedBytes = this.pendingBytes + this.skippedBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
    this.skippedBytes = 0;
    return { discardedBytes };
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    if (this.skipping) { this.skippedBytes += to - from; return; }
    if (this.pendingBytes + (to - from) > this.maxRecordBytes) {
      this.skipping = true;
      this.skippedBytes = this.pendingBytes + (to - from);
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    // Copy: the caller may reuse its buffer (zlib does).
    this.pending.push(Buffer.from(chunk.subarray(from, to)));
    this.pendingBytes += to - from;
  }

  private emit(buf: Buffer, from: number, to: number): void {
    if (to > from && buf[to - 1] === 13) to--;
    if (to <= from) return; // empty record: keep-alive newline
    // Whitespace-only records are empty too.
    let s = from;
    while (s < to && (buf[s] === 32 || buf[s] === 9 || buf[s] === 13)) s++;
    if (s === to) return;
    this.events.record(buf.toString('utf8', from, to), buf.subarray(from, to));
  }
}
