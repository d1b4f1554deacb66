import type Redis from 'ioredis';
import type { Socket as NetStream } from 'node:net';
import type { StoredHit } from '../shared/model';
import { shouldLog, type Logger } from '../stream/logger';
import type { RelayKeys } from './relayKeys';
import { isFatalRedisError } from './redisTarget';
import { QueuedCommand, RespWriter, WireCommand, type QueueReport } from './respWire';

/** How long a batch's marker lives: a retry after a longer Redis outage could publish that batch twice (viewers dedupe by hit id). */
export const BATCH_MARK_MS = 10 * 60_000;

export interface PublisherOptions {
  maxlen: number;
  /** The lease TTL (a lease lost in a Redis restart is taken back with it). */
  leaseMs: number;
  /** Hits kept while Redis is slow or unreachable (default 100 000). Beyond: dropped, counted and reported. */
  maxBufferedHits?: number;
  /** Bytes kept likewise (default 256 MiB of record text). */
  maxBufferedBytes?: number;
  /** Hits per transaction (default 1000). */
  batchHits?: number;
  log: Logger;
  /** Called when the fence refuses a write: another relay leads now. */
  onFenced(): void;
  /** Called when Redis refuses the writes in a way no retry fixes (NOPERM: the ACL user lacks a command). Publishing stops. */
  onFatal?(e: Error): void;
  /** Called when a batch was written (for stats/tests). */
  onPublished?(n: number): void;
}

export interface Entry { raw: string | Uint8Array; id: string; t: number; bytes: number }
interface Batch { seq: number; entries: Entry[] }

/** Retry delay after a failed write while the client reconnects. */
const RETRY_MS = 250;

/**
 * Publishes hits to the Redis Stream exactly once each (as far as Redis
 * answers), in batches: one fenced transaction XADDs a whole batch (see
 * `writeBatch`). The Adobe connection never waits for Redis: hits go into a
 * bounded buffer first; when Redis is slow or down it fills, and what does not
 * fit is dropped, counted (`dropped`) and logged, never silently. A failed
 * batch is retried as the same batch (same marker: exactly once).
 *
 * `redis` must be a connection of its own (WATCH state is per connection) with
 * the offline queue and `autoResendUnfulfilledCommands` off (checked): ioredis
 * would otherwise send a transaction's commands, queued while disconnected or
 * cut by a disconnect, on the next connection, where its WATCH no longer
 * holds, that is, unfenced.
 */
export class Publisher {
  private readonly queue: Entry[] = [];
  private head = 0;
  private bufferedBytes = 0;
  private active = false;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  dropped = 0;
  published = 0;
  private readonly maxHits: number;
  private readonly maxBytes: number;
  private readonly batchHits: number;
  private readonly target: BatchTarget;

  constructor(private readonly redis: Redis, keys: RelayKeys, token: string, private readonly opts: PublisherOptions) {
    checkDataConnection(redis);
    this.maxHits = opts.maxBufferedHits ?? 100_000;
    this.maxBytes = opts.maxBufferedBytes ?? 256 * 1024 * 1024;
    this.batchHits = opts.batchHits ?? 1000;
    this.target = { keys, token, leaseMs: opts.leaseMs, xaddHead: xaddHead(keys.stream, opts.maxlen) };
  }

  /** Hits not yet confirmed written (queued, in flight or waiting to be retried): what the bound counts. */
  get buffered(): number { return this.held; }
  private held = 0;
  private seq = 0;
  private retry?: Batch;

  /** Queues a batch of hits (from the engine) and starts writing. Never blocks, never throws. */
  push(hits: readonly StoredHit[]): void {
    for (const h of hits) {
      const raw = h.rawBytes ?? h.raw;
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
    if (this.held === 0 && !this.active) return Promise.resolve(true);
    if (this.stopped && !this.active) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.idleWaiters.push(() => { clearTimeout(t); resolve(true); });
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  /** One transaction at a time (WATCH is per connection); hits arriving meanwhile make the next batch. */
  private pump(): void {
    if (this.stopped || this.retryTimer || this.active) return;
    if (this.redis.status !== 'ready') { if (this.held > 0) this.scheduleRetry(); return; }
    // A failed batch is retried as it was (same marker): if it had been applied, the retry adds nothing.
    let batch = this.retry;
    this.retry = undefined;
    if (!batch) {
      if (this.head >= this.queue.length) return;
      const entries = this.queue.slice(this.head, this.head + this.batchHits);
      this.head += entries.length;
      if (this.head > 4096 && this.head * 2 > this.queue.length) { this.queue.splice(0, this.head); this.head = 0; }
      batch = { seq: ++this.seq, entries };
    }
    this.send(batch);
  }

  private send(batch: Batch): void {
    this.active = true;
    const { entries } = batch;
    writeBatch(this.redis, this.target, batch.seq, entries).then(
      (n) => {
        this.active = false;
        if (n === -1) { this.retry = batch; this.stopped = true; this.opts.onFenced(); return; }
        for (const e of entries) this.bufferedBytes -= e.bytes;
        this.held -= entries.length;
        this.published += entries.length;
        this.opts.onPublished?.(entries.length);
        this.afterWrite();
      },
      (err: Error) => {
        this.active = false;
        this.retry = batch;
        if (isFatalRedisError(err) && this.opts.onFatal) { this.stopped = true; this.opts.onFatal(err); return; }
        if (shouldLog(++this.failures)) this.opts.log.warn(`Redis write failed (${this.buffered} hits buffered): ${err.message}`);
        this.scheduleRetry();
      },
    );
  }

  private failures = 0;

  private afterWrite(): void {
    this.pump();
    if (this.held === 0 && !this.active) {
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

/**
 * A transaction's commands sent while disconnected, or resent after a reconnect, would reach Redis
 * on a connection without its WATCH: unfenced. With both options off they fail instead (and the batch is retried).
 */
function checkDataConnection(redis: Redis): void {
  if (redis.options.enableOfflineQueue !== false || redis.options.autoResendUnfulfilledCommands !== false) {
    throw new Error('the publishing connection needs enableOfflineQueue and autoResendUnfulfilledCommands off');
  }
}

/** `XADD <stream> MAXLEN ~ <maxlen> * raw`: the same for every entry, encoded once. */
export function xaddHead(stream: string, maxlen: number): Buffer {
  const w = new RespWriter(256).array(12);
  for (const a of ['XADD', stream, 'MAXLEN', '~', String(maxlen), '*', 'raw']) w.text(a);
  return Buffer.from(w.finish());
}

const ID_FIELD = Buffer.from('$2\r\nid\r\n', 'latin1');
const T_FIELD = Buffer.from('$1\r\nt\r\n', 'latin1');

/** Attempts of one batch whose EXEC was refused because the lease changed under it (our own renewals do that). */
const MAX_WATCH_RETRIES = 20;

export interface BatchTarget {
  keys: RelayKeys; token: string; leaseMs: number; xaddHead: Buffer;
  /**
   * Where the batch is encoded, kept for the next batch (less garbage: a batch is ~1.5 MB). Safe to
   * reuse: the next batch is encoded only once this one is answered, so its bytes were all written.
   */
  scratch?: Buffer;
}

type Reply = [Error | null, unknown];
type Replies = Reply[];

/**
 * Sends the commands back to back (nothing else can be written between them: one synchronous loop),
 * corked into one write. Not an ioredis pipeline: that costs twice as much per command, and copies the batch again.
 */
function send(redis: Redis, cmds: WireCommand[], answered: WireCommand[] = cmds): Promise<Replies> {
  const socket = redis.stream as NetStream | undefined;
  socket?.cork();
  for (const c of cmds) redis.sendCommand(c);
  socket?.uncork();
  return Promise.all(answered.map((c) => (c.promise as Promise<unknown>).then((v): Reply => [null, v], (e: Error): Reply => [e, null])));
}

function text(v: unknown): string | null {
  return v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

/**
 * Writes one batch, fenced and at most once. Returns the hits added (or that an
 * earlier attempt added), or -1 when another relay holds the lease.
 *
 * 1. `WATCH <lease>`, `GET <lease>`, `GET <marker>`: the lease must hold our
 *    token (or be gone: Redis restarted without it, taken back below, as a
 *    renewal would); a marker means an earlier attempt was applied and its
 *    reply lost with the connection: nothing more to write.
 * 2. `MULTI`, [`SET <lease> <token> PX`], the batch's XADDs, `SET <marker> n
 *    PX`, `EXEC`. Redis runs it only if the lease was not touched since the
 *    WATCH: a relay that took the lease meanwhile (or a renewal of our own)
 *    makes EXEC answer nil, and step 1 runs again. So a paused old leader
 *    that wakes up writes nothing: the fence, without a script (XADD from Lua
 *    cost Redis twice the CPU per entry).
 */
export async function writeBatch(redis: Redis, target: BatchTarget, seq: number, entries: readonly Entry[]): Promise<number> {
  checkDataConnection(redis);
  const { keys, token } = target;
  const marker = `${keys.stream}:batch:${token}:${seq}`;
  let tx: Buffer | undefined;
  for (let attempt = 1; ; attempt++) {
    const check = await send(redis, [
      new WireCommand('watch', new RespWriter(512).command('WATCH', keys.lease).command('GET', keys.lease).command('GET', marker).finish()),
      new WireCommand('get'), new WireCommand('get'),
    ]);
    const failed = check.find(([e]) => e);
    if (failed) throw failed[0]!;
    const lease = text(check[1][1]);
    const done = text(check[2][1]);
    if (done !== null || (lease !== null && lease !== token)) {
      void redis.unwatch().catch(() => undefined);
      return done !== null ? Number(done) : -1;
    }
    tx ??= encodeBatch(target, marker, entries);
    const head = new RespWriter(256).command('MULTI');
    if (lease === null) head.command('SET', keys.lease, token, 'PX', String(target.leaseMs));
    const report: QueueReport = {};
    const multi = new WireCommand('multi', head.finish());
    const exec = new WireCommand('exec');
    const queued: WireCommand[] = [multi];
    if (lease === null) queued.push(new QueuedCommand(report));
    for (let i = 0; i < entries.length; i++) queued.push(new QueuedCommand(report, i === 0 ? tx : ''));
    queued.push(new QueuedCommand(report), exec);
    const replies = await send(redis, queued, [multi, exec]);
    const [multiErr] = replies[0];
    const [execErr, result] = replies[1];
    // EXECABORT: a command was refused when queued (out of memory, say); its own reply says why.
    if (multiErr || execErr) throw report.error ?? multiErr ?? execErr!;
    if (result === null) {
      if (attempt >= MAX_WATCH_RETRIES) throw new Error(`the lease changed under ${attempt} attempts in a row to write a batch`);
      continue;
    }
    const results = result as unknown[];
    const error = results.find((r) => r instanceof Error) as Error | undefined;
    if (error) {
      // Not applied as a whole (a key of the wrong type, say): the marker must not claim it was.
      await redis.del(marker).catch(() => undefined);
      throw error;
    }
    return entries.length;
  }
}

/** The batch's XADDs and its marker, then EXEC: everything after MULTI (and the lease's re-take). */
function encodeBatch(target: BatchTarget, marker: string, entries: readonly Entry[]): Buffer {
  let size = 128 + marker.length * 3;
  for (const e of entries) size += target.xaddHead.length + (typeof e.raw === 'string' ? e.raw.length * 3 : e.raw.length) + e.id.length * 3 + 64;
  const w = new RespWriter(size, target.scratch);
  for (const e of entries) {
    w.raw(target.xaddHead);
    if (typeof e.raw === 'string') w.text(e.raw); else w.bulk(e.raw);
    w.raw(ID_FIELD).text(e.id).raw(T_FIELD).text(String(e.t));
  }
  w.command('SET', marker, String(entries.length), 'PX', String(BATCH_MARK_MS)).command('EXEC');
  target.scratch = w.backing;
  return w.finish();
}
