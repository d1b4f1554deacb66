import type { Clock, TimerHandle } from '../stream/clock';
import type { EngineSnapshot, StoredHit } from '../shared/model';
import { wireHits, type HitsMessage } from '../shared/protocol';

/** New hits reach the webview at most this often, coalesced into one `hits` message. */
export const RELAY_INTERVAL_MS = 100;

/**
 * Byte budget of one batch (estimated from the records' length): 128 KiB per
 * 100 ms, about 850 hits/s of 1.5 KB hits, far more than anyone can read.
 * Every hit sent is parsed and serialized on the extension host's thread (the
 * stream worker parsed it, but objects do not cross threads for free), and VS
 * Code then serializes and, in a remote window, compresses the message on that
 * same thread: this budget is most of what a firehose costs it (a profile
 * inside code-server at 8 000–12 000 hits/s). 1 MiB per 100 ms kept the
 * thread ~26 % busy in the bench at 20 000 hits/s. The newest hits that fit
 * are sent; the rest are counted as not shown.
 */
export const RELAY_MAX_BATCH_BYTES = 128 * 1024;

/** What the relay reads from the session when it sends a batch. */
export interface RelaySource {
  snapshot(): EngineSnapshot;
  oldestSeq(): number | undefined;
  /** `liveStream.maxHits`: a batch never holds more (the webview would drop the rest anyway). */
  maxHits(): number;
}

export interface PanelRelayOptions {
  source: RelaySource;
  /** Posts one batch (the host: `webview.postMessage`; the bench: JSON.stringify, as VS Code does). */
  post(msg: HitsMessage): void;
  clock: Clock;
  intervalMs?: number;
  maxBatchBytes?: number;
}

/** Running totals, for the bench and the log. */
export interface RelayStats {
  /** Batches posted. */
  batches: number;
  /** Hits posted. */
  posted: number;
  /** Hits that arrived but were never posted (older ones in a batch over its count or byte budget). */
  notShown: number;
}

/**
 * Between the session's hits and the webview: coalesces hits into one
 * `hits` message at most every `intervalMs`, bounded in count (`maxHits`) and
 * in estimated bytes, keeping the newest. What it leaves out is counted in the
 * message (`notShown`, `arrived`) so the panel can say "N hits/s arriving,
 * showing the newest …" instead of dropping silently. No VS Code: the host's
 * HitsPanel and the extension-host bench run this same code.
 */
export class PanelRelay {
  /** Pending hits, oldest first, from `head` on (dropped ones are skipped by moving `head`). */
  private pending: StoredHit[] = [];
  private head = 0;
  private pendingBytes = 0;
  /** Arrived since the last batch (posted or not). */
  private arrived = 0;
  private timer: TimerHandle | undefined;
  private lastFlush = 0;
  private disposed = false;
  readonly stats: RelayStats = { batches: 0, posted: 0, notShown: 0 };
  private readonly intervalMs: number;
  private readonly maxBytes: number;

  constructor(private readonly opts: PanelRelayOptions) {
    this.intervalMs = opts.intervalMs ?? RELAY_INTERVAL_MS;
    this.maxBytes = opts.maxBatchBytes ?? RELAY_MAX_BATCH_BYTES;
  }

  /** New hits (oldest first); a batch is scheduled, never sent synchronously. */
  push(hits: readonly StoredHit[]): void {
    if (this.disposed || hits.length === 0) return;
    this.arrived += hits.length;
    // Only the newest maxHits can be shown: skip older ones of a big push without copying them.
    const max = Math.max(1, this.opts.source.maxHits());
    const from = Math.max(0, hits.length - max);
    for (let i = from; i < hits.length; i++) {
      const h = hits[i]!;
      this.pending.push(h);
      this.pendingBytes += estimateBytes(h);
    }
    this.trim(max);
    if (this.timer) return;
    const wait = Math.max(0, this.intervalMs - (this.opts.clock.now() - this.lastFlush));
    this.timer = this.opts.clock.setTimeout(() => this.flush(), wait);
  }

  /** Forgets pending hits (a snapshot supersedes them, or the page went away). */
  reset(): void {
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.head = 0;
    this.pendingBytes = 0;
    this.arrived = 0;
    this.lastFlush = this.opts.clock.now();
  }

  dispose(): void {
    this.reset();
    this.disposed = true;
  }

  /** Drops the oldest pending hits beyond `max` hits or the byte budget (at least one hit always stays). */
  private trim(max: number): void {
    while (this.pending.length - this.head > max || (this.pendingBytes > this.maxBytes && this.pending.length - this.head > 1)) {
      this.pendingBytes -= estimateBytes(this.pending[this.head]!);
      this.head++;
    }
    // Compact now and then so the array does not grow with what was skipped.
    if (this.head > 4096 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  private flush(): void {
    this.timer = undefined;
    if (this.disposed) return;
    const hits = this.head ? this.pending.slice(this.head) : this.pending;
    const arrived = this.arrived;
    this.pending = [];
    this.head = 0;
    this.pendingBytes = 0;
    this.arrived = 0;
    this.lastFlush = this.opts.clock.now();
    if (hits.length === 0) return;
    const notShown = arrived - hits.length;
    this.stats.batches++;
    this.stats.posted += hits.length;
    this.stats.notShown += notShown;
    // The shown hits' record bytes in one buffer (VS Code passes it as binary); the webview parses them.
    // Hits the store marked too deep/large travel as placeholders (checked once, on entry).
    const wire = wireHits(hits);
    const msg: HitsMessage = {
      type: 'hits', hits: wire.hits, engine: this.opts.source.snapshot(), now: this.opts.clock.now(), oldestSeq: this.opts.source.oldestSeq(),
    };
    if (wire.records) msg.records = wire.records;
    if (notShown > 0) msg.notShown = { arrived, shown: hits.length };
    this.opts.post(msg);
  }
}

/** A hit's size on the wire, estimated from its record's length (placeholders are small); never decodes a lazy hit. */
function estimateBytes(h: StoredHit): number {
  return h.omitted ? 128 : (h.recordBytes ?? h.raw.length) + 64;
}
