import type Redis from 'ioredis';
import type { StoredHit } from '../shared/model';
import { shouldLog, type Logger } from '../stream/logger';
import type { RelayCommands } from './relayScripts';
import type { RelayKeys } from './relayKeys';

export interface PublisherOptions {
  maxlen: number;
  /** The lease TTL (a lease lost in a Redis restart is taken back with it). */
  leaseMs: number;
  /** Hits kept while Redis is slow or unreachable (default 100 000). Beyond: dropped, counted and reported. */
  maxBufferedHits?: number;
  /** Bytes kept likewise (default 256 MiB of record text). */
  maxBufferedBytes?: number;
  /** Hits per script call (default 500). */
  batchHits?: number;
  /** Script calls in flight at once (default 4): pipelined on the one connection. */
  inFlight?: number;
  log: Logger;
  /** Called when the fence refuses a write: another relay leads now. */
  onFenced(): void;
  /** Called when a batch was written (for stats/tests). */
  onPublished?(n: number): void;
}

interface Entry { raw: string | Buffer; id: string; t: number; bytes: number }
interface Batch { seq: number; entries: Entry[] }

/** Retry delay after a failed write while the client reconnects. */
const RETRY_MS = 250;

/**
 * Publishes hits to the Redis Stream exactly once each (as far as Redis
 * answers), in batches: one fenced script call XADDs a whole batch, and up to
 * `inFlight` calls are pipelined. The Adobe connection never waits for Redis:
 * hits go into a bounded buffer first; when Redis is slow or down it fills,
 * and what does not fit is dropped, counted (`dropped`) and logged, never
 * silently. A failed call is retried as the same batch (see relayScripts.ts: exactly once).
 */
export class Publisher {
  private readonly queue: Entry[] = [];
  private head = 0;
  private bufferedBytes = 0;
  private active = 0;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  dropped = 0;
  published = 0;
  private readonly maxHits: number;
  private readonly maxBytes: number;
  private readonly batchHits: number;
  private readonly maxInFlight: number;

  constructor(private readonly redis: Redis & RelayCommands, private readonly keys: RelayKeys, private readonly token: string, private readonly opts: PublisherOptions) {
    this.maxHits = opts.maxBufferedHits ?? 100_000;
    this.maxBytes = opts.maxBufferedBytes ?? 256 * 1024 * 1024;
    this.batchHits = opts.batchHits ?? 500;
    this.maxInFlight = opts.inFlight ?? 4;
  }

  /** Hits not yet confirmed written (queued, in flight or waiting to be retried): what the bound counts. */
  get buffered(): number { return this.held; }
  private held = 0;
  private seq = 0;
  private readonly retries: Batch[] = [];

  /** Queues a batch of hits (from the engine) and starts writing. Never blocks, never throws. */
  push(hits: readonly StoredHit[]): void {
    for (const h of hits) {
      const raw = h.rawBytes ? Buffer.from(h.rawBytes.buffer, h.rawBytes.byteOffset, h.rawBytes.byteLength) : h.raw;
      const bytes = typeof raw === 'string' ? raw.length * 3 : raw.length;
      if (this.buffered >= this.maxHits || this.bufferedBytes + bytes > this.maxBytes) {
        this.dropped++;
        if (shouldLog(this.dropped)) this.opts.log.error(`Relay buffer full (${this.buffered} hits waiting for Redis, limit ${this.maxHits}): dropped hit #${this.dropped} (${h.key}).`);
        continue;
      }
      this.queue.push({ raw, id: h.key, t: h.receivedAt, bytes });
      this.bufferedBytes += bytes;
      this.held++;
    }
    this.pump();
  }

  /** Resolves when the buffer is empty and nothing is in flight (or `ms` passed). */
  drain(ms: number): Promise<boolean> {
    if (this.held === 0 && this.active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.idleWaiters.push(() => { clearTimeout(t); resolve(true); });
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  private pump(): void {
    if (this.stopped || this.retryTimer) return;
    while (this.active < this.maxInFlight) {
      if (this.redis.status !== 'ready') { if (this.held > 0) this.scheduleRetry(); return; }
      // A failed batch is retried as it was (same marker): if it had been applied, the retry adds nothing.
      let batch = this.retries.shift();
      if (!batch) {
        if (this.head >= this.queue.length) break;
        const entries = this.queue.slice(this.head, this.head + this.batchHits);
        this.head += entries.length;
        if (this.head > 4096 && this.head * 2 > this.queue.length) { this.queue.splice(0, this.head); this.head = 0; }
        batch = { seq: ++this.seq, entries };
      }
      this.send(batch);
    }
  }

  private send(batch: Batch): void {
    this.active++;
    const { entries } = batch;
    // Length-prefixed lists: records and ids may hold any byte.
    const raws = entries.map((e) => (typeof e.raw === 'string' ? Buffer.from(e.raw, 'utf8') : e.raw));
    const ids = entries.map((e) => Buffer.from(e.id, 'utf8'));
    const len = (bs: Buffer[]) => bs.map((b) => b.length).join(',');
    this.redis.relayPublish(this.keys.lease, this.keys.stream, `${this.keys.stream}:batch:${this.token}:${batch.seq}`, this.token, this.opts.leaseMs, this.opts.maxlen,
      Buffer.concat(raws), len(raws), Buffer.concat(ids), len(ids), entries.map((e) => e.t).join(',')).then(
      (n) => {
        this.active--;
        if (n === -1) { this.retries.unshift(batch); this.stopped = true; this.opts.onFenced(); return; }
        for (const e of entries) this.bufferedBytes -= e.bytes;
        this.held -= entries.length;
        this.published += entries.length;
        this.opts.onPublished?.(entries.length);
        this.afterWrite();
      },
      (err: Error) => {
        this.active--;
        this.retries.unshift(batch);
        if (shouldLog(++this.failures)) this.opts.log.warn(`Redis write failed (${this.buffered} hits buffered): ${err.message}`);
        this.scheduleRetry();
      },
    );
  }

  private failures = 0;

  private afterWrite(): void {
    this.pump();
    if (this.held === 0 && this.active === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.pump(); }, RETRY_MS);
  }
}
