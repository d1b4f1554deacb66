/**
 * From decompressed bytes to hits, off the caller's thread.
 *
 * VS Code runs every extension of a window on one extension-host thread; at
 * firehose rates splitting, parsing and de-duplicating every record there
 * would slow every other extension. `WorkerPipeline` does that work in a
 * `worker_threads` worker and hands back compact batches (≤ one per 50 ms).
 * The main thread only wraps each record's bytes in a `PipelinedHit`, whose
 * `data` is parsed again lazily, for the few hits someone looks at.
 *
 * Where things live, and why: the socket, the redirects, the token and the
 * gunzip stay on the main thread (zlib inflates on libuv's pool, not on the JS
 * thread). A worker that dies therefore costs no Adobe connection and no
 * cooldown: the main thread keeps every decompressed byte after the last
 * record boundary the worker acknowledged, starts a new worker seeded with the
 * keys already delivered, and replays those bytes, so no record is lost or
 * delivered twice. After `MAX_RESTARTS` deaths within a minute it stops trying
 * and processes inline, on this thread, saying so in the log.
 *
 * `InlinePipeline` is the same processing on the caller's thread (the
 * fallback, and `pipeline: 'inline'` for comparison in the bench).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { OmittedHit, StoredHit } from '../shared/model';
import type { Logger } from './logger';
import { parseRecord } from '../shared/losslessJson';
import { keyEnds, type BatchMessage, type ToWorker, type WorkerInit } from './pipelineMessages';
import { RecordProcessor, type ProcessorCounts, type ProcessorOptions } from './recordProcessor';
import { RecordSplitter } from './recordSplitter';
import type { SharedBatchGauge, SharedBatchShare } from './sharedBatches';

export interface PipelineOptions {
  processor: ProcessorOptions;
  maxRecordBytes: number;
  /** Attach each record's bytes as `rawBytes` (the CLI writes them as received). */
  keepRawBytes: boolean;
  log: Logger;
  /** Delivers hits in stream order; `seq` and `receivedAt` are left for the engine to set. */
  deliver(hits: StoredHit[]): void;
}

export interface RecordPipeline {
  /** The response ended: its unfinished last record is discarded. */
  endResponse(): void;
  /** Decompressed bytes, in order. Returns false when the caller should pause reading until `onWritable` fires. */
  push(chunk: Buffer): boolean;
  /** Called (once per registration) when a paused caller may read again. */
  onWritable(cb: () => void): void;
  /** Resolves when every record pushed so far has been delivered. */
  drain(): Promise<void>;
  /** What was not delivered, cumulative. */
  counts(): ProcessorCounts;
  /** Cumulative ms the caller was asked to pause reading (the worker's backlog over its limit). */
  readonly heldBackMs: number;
  /** Worker restarts so far (0 for the inline pipeline). */
  readonly restarts: number;
  /** 'worker', 'off-thread' (gunzip in a thread too), or 'inline' (chosen, or after the worker kept dying). */
  readonly mode: 'worker' | 'off-thread' | 'inline';
  /**
   * Set when this pipeline gunzips the response itself, off the caller's thread: the
   * caller then hands it the compressed bytes here, not decompressed ones to `push`.
   */
  readonly inflater?: CompressedSink;
  dispose(): Promise<void>;
}

/** Where a response's compressed bytes go when the pipeline gunzips them (see inflatePipeline.ts). */
export interface CompressedSink {
  /** Compressed bytes of the current response, in order (these chunks, back to back). False: pause reading until the pipeline's `onWritable`. */
  write(chunks: readonly Buffer[]): boolean;
  /** The response's body ended: gunzip finishes, and `onEnd` hears how. */
  end(): void;
  /** Called once per response: gunzip's end (no argument) or its error, or the inflater's death. */
  onEnd(cb: (err?: InflateFailure) => void): void;
}

/** Why a response's gunzip stopped: corrupt data, or the thread that ran it died. */
export interface InflateFailure { kind: 'bad-gzip' | 'thread-died'; message: string }

export const zeroCounts = (): ProcessorCounts => ({ duplicates: 0, malformed: 0, oversized: 0, refusedIds: 0 });

export function addCounts(a: ProcessorCounts, b: ProcessorCounts): ProcessorCounts {
  return { duplicates: a.duplicates + b.duplicates, malformed: a.malformed + b.malformed, oversized: a.oversized + b.oversized, refusedIds: a.refusedIds + b.refusedIds };
}

/** Splitting and processing on the caller's thread: hits are delivered per pushed chunk. */
export class InlinePipeline implements RecordPipeline {
  readonly restarts = 0;
  readonly heldBackMs = 0;
  readonly mode = 'inline' as const;
  private readonly processor: RecordProcessor;
  private readonly splitter: RecordSplitter;
  private batch: StoredHit[] = [];

  constructor(private readonly o: PipelineOptions, seed: Iterable<string> = [], skipping = 0) {
    this.processor = new RecordProcessor(o.processor, (_l, m) => o.log.warn(m));
    this.processor.seed(seed);
    this.splitter = new RecordSplitter({
      record: (text, bytes) => {
        const r = this.processor.process(text);
        if (!r) return;
        if (o.processor.keyOnly) {
          // Only the id was restored losslessly: `data` is parsed again, losslessly, if anyone reads it.
          const lazy = PipelinedHit.single(r.key, bytes);
          if (o.keepRawBytes) lazy.rawBytes = bytes;
          this.batch.push(lazy);
          return;
        }
        const hit: StoredHit = { seq: 0, key: r.key, receivedAt: 0, data: r.data, raw: text };
        if (o.keepRawBytes) hit.rawBytes = bytes;
        if (r.measured) {
          (hit as { measuredBytes?: number }).measuredBytes = r.measured.bytes;
          if (r.measured.problem) hit.omitted = { reason: r.measured.problem, bytes: bytes.length };
        }
        this.batch.push(hit);
      },
      oversized: (bytes) => this.processor.oversized(bytes, o.maxRecordBytes),
    }, o.maxRecordBytes);
    this.splitter.resumeSkipping(skipping);
  }

  endResponse(): void {
    const tail = this.splitter.end();
    if (tail.discardedBytes) this.o.log.warn(`Discarded ${tail.discardedBytes} bytes of an unfinished record.`);
  }

  push(chunk: Buffer): boolean {
    this.splitter.push(chunk);
    if (this.batch.length) {
      const out = this.batch;
      this.batch = [];
      this.o.deliver(out);
    }
    return true;
  }

  onWritable(cb: () => void): void { queueMicrotask(cb); }
  drain(): Promise<void> { return Promise.resolve(); }
  counts(): ProcessorCounts { return { ...this.processor.counts }; }
  async dispose(): Promise<void> { /* nothing held */ }
}

/** One batch of kept records from the worker, shared by its hits (one object per hit, nothing else). */
export interface RecordBatch {
  /** The records' bytes, back to back. */
  bytes: Uint8Array;
  /** End offset of each record in `bytes`. */
  ends: Uint32Array;
  /** The records' keys, back to back, and where each ends. */
  keys: string;
  keyEnds: Uint32Array;
  /** Estimated heap bytes of each record's parsed data. */
  measured: Float64Array;
}

/**
 * A hit whose record was parsed in the worker: an index into its batch. At
 * firehose rates the extension host receives tens of thousands of these per
 * second and keeps most of them for a while (the hit store), so each is one
 * small object: `key`, `raw` and `measuredBytes` are read from the batch when
 * asked, `raw` decoded on each read (not kept: the store's estimate counts
 * the bytes once) and `data` parsed on first read and kept.
 */
export class PipelinedHit implements StoredHit {
  seq = 0;
  receivedAt = 0;
  omitted?: OmittedHit;
  rawBytes?: Uint8Array;
  private parsed?: Record<string, unknown>;

  constructor(private readonly batch: RecordBatch, private readonly i: number) {}

  /** A batch of one record (the inline pipeline's key-only path). */
  static single(key: string, bytes: Uint8Array, measured = 0): PipelinedHit {
    const b: RecordBatch = { bytes, ends: Uint32Array.of(bytes.byteLength), keys: key, keyEnds: Uint32Array.of(key.length), measured: Float64Array.of(measured) };
    return new PipelinedHit(b, 0);
  }

  private get start(): number { return this.i === 0 ? 0 : this.batch.ends[this.i - 1]!; }

  get key(): string {
    const b = this.batch;
    return b.keys.slice(this.i === 0 ? 0 : b.keyEnds[this.i - 1]!, b.keyEnds[this.i]!);
  }

  get raw(): string {
    const b = this.batch.bytes;
    return Buffer.from(b.buffer, b.byteOffset + this.start, this.recordBytes).toString('utf8');
  }

  /** The record's UTF-8 length, without decoding it. */
  get recordBytes(): number { return this.batch.ends[this.i]! - this.start; }

  /** The record's bytes (a view of the batch). */
  bytesView(): Uint8Array { return this.batch.bytes.subarray(this.start, this.batch.ends[this.i]!); }

  get measuredBytes(): number { return this.batch.measured[this.i]!; }

  /** A record too deep to display (the worker said so): its top-level scalars stand in for its data. */
  markPlaceholder(reason: OmittedHit['reason'], data: Record<string, unknown>): void {
    this.parsed = data;
    this.omitted = { reason, bytes: this.recordBytes };
  }

  get data(): Record<string, unknown> {
    // The worker parsed the same text successfully, so this cannot throw.
    if (!this.parsed) this.parsed = parseRecord(this.raw);
    return this.parsed;
  }

  set data(v: Record<string, unknown>) { this.parsed = v; }
}

/** The hits of a worker's batch: one small object each, indexing the batch. */
export function hitsOf(m: BatchMessage, keepRawBytes: boolean): StoredHit[] {
  const n = m.ends.length;
  const batch: RecordBatch = { bytes: m.bytes, ends: m.ends, keys: m.keys, keyEnds: m.keyEnds, measured: m.measured };
  const hits: StoredHit[] = new Array(n);
  for (let i = 0; i < n; i++) hits[i] = new PipelinedHit(batch, i);
  for (const p of m.placeholders ?? []) (hits[p.i] as PipelinedHit | undefined)?.markPlaceholder(p.reason, p.data);
  if (keepRawBytes) for (const h of hits) h.rawBytes = (h as PipelinedHit).bytesView();
  return hits;
}

/**
 * Keys delivered, newest last, kept as the batches' joined keys (one string per batch, not one
 * per hit): at least the dedupe window's worth, the seed of whatever processes records next.
 */
export class RecentKeys {
  private batches: { keys: string; ends: Uint32Array }[] = [];
  private count = 0;
  constructor(private readonly max: number) {}

  add(keys: string, ends: Uint32Array): void {
    this.batches.push({ keys, ends });
    this.count += ends.length;
    // Drop whole batches while the rest still covers the window.
    while (this.batches.length > 1 && this.count - this.batches[0]!.ends.length >= this.max) this.count -= this.batches.shift()!.ends.length;
  }

  list(): string[] {
    const out: string[] = [];
    for (const b of this.batches) {
      let from = 0;
      for (const end of b.ends) { if (end > from) out.push(b.keys.slice(from, end)); from = end; }
    }
    return out.slice(-this.max);
  }
}

/**
 * A reader's pause for a backlog: whether reading is held, the time spent held (the session's
 * "falling behind"), and the callers waiting to read again.
 */
export class ReadHold {
  paused = false;
  private since = 0;
  private total = 0;
  private waiting: (() => void)[] = [];

  hold(): void {
    if (this.paused) return;
    this.paused = true;
    this.since = performance.now();
  }

  /** Lifts the hold (if any) and calls everyone waiting. */
  release(): void {
    if (this.paused) this.total += performance.now() - this.since;
    this.paused = false;
    const cbs = this.waiting;
    this.waiting = [];
    for (const cb of cbs) cb();
  }

  onWritable(cb: () => void): void {
    if (!this.paused) queueMicrotask(cb);
    else this.waiting.push(cb);
  }

  get heldMs(): number { return this.total + (this.paused ? performance.now() - this.since : 0); }
}

/** Flush requests waiting for their answer, by id; an answer covers every earlier id (they are handled in order). */
export class PendingDrains {
  private readonly waiting = new Map<number, () => void>();
  private next = 1;

  add(resolve: () => void): number {
    const id = this.next++;
    this.waiting.set(id, resolve);
    return id;
  }

  answer(upTo: number): void {
    for (const [id, resolve] of this.waiting) if (id <= upTo) { resolve(); this.waiting.delete(id); }
  }

  resolveAll(): void {
    for (const resolve of this.waiting.values()) resolve();
    this.waiting.clear();
  }

  get size(): number { return this.waiting.size; }
  ids(): IterableIterator<number> { return this.waiting.keys(); }
}

/** Copies `chunk` into `ring` from the ring-global offset `at` on, wrapping at the ring's end (the caller checked the room). */
export function copyIntoRing(ring: Uint8Array, at: number, chunk: Uint8Array): void {
  const size = ring.length;
  for (let done = 0; done < chunk.length;) {
    const i = (at + done) % size;
    const n = Math.min(chunk.length - done, size - i);
    ring.set(n === chunk.length ? chunk : chunk.subarray(done, done + n), i);
    done += n;
  }
}

/** Pause reading when this many decompressed bytes are in flight to the worker; resume below the low mark. */
const BACKLOG_HIGH = 8 * 1024 * 1024;
const BACKLOG_LOW = 2 * 1024 * 1024;
/**
 * The shared ring the main thread writes decompressed bytes into. It must hold the backlog, the
 * record the worker is in the middle of (up to the record limit) and what gunzip still emits after
 * reading pauses; bytes that do not fit yet wait in a queue (and reading stays paused).
 */
const RING_BYTES = 16 * 1024 * 1024;
/** More deaths than this within RESTART_WINDOW_MS: give up on workers and process inline. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

/** What waits for room in the ring, in order: bytes, the end of a response, a flush request. */
type Queued = { kind: 'chunk'; buf: Buffer } | { kind: 'end' } | { kind: 'flush'; id: number };

export interface WorkerPipelineOptions extends PipelineOptions {
  /** The worker's script (default: next to this bundle, see defaultWorkerScript). */
  script?: string;
  /** Longest a kept record waits in the worker before it is posted (default 50 ms). */
  flushMs?: number;
  /** The worker thread's nice value (Linux): below the caller's thread, which must stay responsive. */
  nice?: number;
  /** The shared ring's size (tests use a small one to exercise wrap-around and waiting for room). */
  ringBytes?: number;
  /** Keys delivered before this pipeline existed (it must not deliver them again). */
  seed?: readonly string[];
  /**
   * Hand each batch on as it came from the worker instead of making hits of it (the inflater
   * thread forwards batches to the main thread, which makes the hits; `deliver` is then unused).
   */
  forward?(m: BatchMessage): void;
  /**
   * This thread keeps the hits: the worker's batches are shared memory within this gauge's budget
   * (sharedBatches.ts). Absent: ordinary buffers throughout.
   */
  gauge?: SharedBatchGauge;
  /** The receiving thread's gauge, for a pipeline that forwards its batches there (the inflater's). */
  sharedBatches?: SharedBatchShare;
}

/** The bundle's worker (dist/streamWorker.js), or this source file's sibling under tsx (tests, bench). */
export function defaultWorkerScript(): string | undefined {
  for (const f of ['streamWorker.js', 'pipelineWorker.ts']) {
    const p = join(__dirname, f);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function spawnWorker(script: string): Worker {
  if (!script.endsWith('.ts')) return new Worker(script);
  // Tests and the bench run the TypeScript sources: load them through tsx's require hook.
  const tsx = createRequire(__filename).resolve('tsx/cjs');
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(script)});`, { eval: true });
}

/**
 * The main thread's side of the worker pipeline. Decompressed bytes go into a
 * ring of shared memory, and the worker is told how far it may read: no copy
 * per chunk for a transfer, no buffer for the garbage collector per chunk
 * (at firehose rates those dominated this thread's share). The ring is also
 * the replay buffer: everything after the last record boundary the worker
 * acknowledged stays in it until a later acknowledgement, so a restarted
 * worker reads it again.
 */
export class WorkerPipeline implements RecordPipeline {
  private worker?: Worker;
  private inline?: InlinePipeline;
  private readonly script: string;
  private readonly flushMs: number;
  private readonly ringBuffer: SharedArrayBuffer;
  private readonly ring: Uint8Array;
  /** Global offset of the next byte written to the ring. */
  private sent = 0;
  /** Global offset the worker has processed. */
  private processed = 0;
  /** Global offset of the last record boundary the worker acknowledged. */
  private acked = 0;
  /** At `acked`, the worker was skipping an oversized record (bytes so far). */
  private ackedSkipping = 0;
  /** Where responses ended (global offsets), not yet acknowledged: a restarted worker is told again. */
  private ends: number[] = [];
  /** Waiting for room in the ring. */
  private queue: Queued[] = [];
  private queuedBytes = 0;
  /** Counters of workers that died (their last report). */
  private base = zeroCounts();
  private current = zeroCounts();
  /** Keys delivered: the seed of a restarted worker. */
  private readonly recent: RecentKeys;
  private readonly drains = new PendingDrains();
  private readonly hold = new ReadHold();
  private deaths: number[] = [];
  private disposed = false;
  restarts = 0;
  /** Shared batch memory counted here (when this thread keeps the hits), and what the worker is told. */
  readonly gauge?: SharedBatchGauge;
  private readonly share?: SharedBatchShare;

  constructor(private readonly o: WorkerPipelineOptions) {
    const script = o.script ?? defaultWorkerScript();
    if (!script) throw new Error('The stream worker script is missing (dist/streamWorker.js).');
    this.script = script;
    this.flushMs = o.flushMs ?? 50;
    // Room for at least two records at the limit: the one the worker holds unfinished and the next.
    this.ringBuffer = new SharedArrayBuffer(Math.max(o.ringBytes ?? RING_BYTES, 2 * o.maxRecordBytes + 64 * 1024));
    this.ring = new Uint8Array(this.ringBuffer);
    this.recent = new RecentKeys(Math.max(1, o.processor.dedupeWindow ?? 100_000));
    if (o.seed?.length) this.recent.add(o.seed.join(''), keyEnds(o.seed));
    this.gauge = o.forward ? undefined : o.gauge;
    this.share = o.sharedBatches ?? this.gauge?.share;
    this.start();
  }

  get mode(): 'worker' | 'inline' { return this.inline ? 'inline' : 'worker'; }

  private start(): void {
    const w = spawnWorker(this.script);
    this.worker = w;
    this.reffed = true;
    const init: WorkerInit = {
      t: 'init', ring: this.ringBuffer, processor: this.o.processor, maxRecordBytes: this.o.maxRecordBytes, flushMs: this.flushMs,
      offset: this.acked, skipping: this.ackedSkipping || undefined, seed: this.recent.list(), nice: this.o.nice,
      sharedBatches: this.share,
    };
    w.postMessage(init);
    // A restarted worker reads again from the last acknowledged boundary, told where responses ended.
    for (const at of this.ends) w.postMessage({ t: 'end', at } satisfies ToWorker);
    if (this.sent > (this.ends.at(-1) ?? this.acked)) w.postMessage({ t: 'data', end: this.sent } satisfies ToWorker);
    for (const id of this.drains.ids()) if (!this.queue.some((q) => q.kind === 'flush' && q.id === id)) w.postMessage({ t: 'flush', id } satisfies ToWorker);
    // Counted even from a worker that died since: its shared bytes are in memory all the same.
    w.on('message', (m: BatchMessage) => { this.gauge?.track(m.bytes); if (this.worker === w) this.onBatch(m); });
    w.on('error', (e) => { if (this.worker === w) this.died(`${e.name}: ${e.message}`); });
    w.on('exit', (code) => { if (this.worker === w) this.died(`exit code ${code}`); });
    this.updateRef();
  }

  private died(why: string): void {
    if (this.disposed) return;
    this.base = addCounts(this.base, this.current);
    this.current = zeroCounts();
    const old = this.worker;
    this.worker = undefined;
    void old?.terminate().catch(() => undefined);
    const now = Date.now();
    this.deaths = this.deaths.filter((t) => now - t < RESTART_WINDOW_MS);
    this.deaths.push(now);
    if (this.deaths.length > MAX_RESTARTS) {
      this.o.log.error(`The stream worker died (${why}), ${this.deaths.length} times within a minute: processing records on the main thread from now on (slower at high rates). The connection is unaffected.`);
      this.toInline();
      return;
    }
    this.restarts++;
    this.o.log.warn(`The stream worker died (${why}): restarted it and replayed ${this.sent - this.acked} buffered bytes; the connection is unaffected.`);
    this.start();
  }

  /** Copies the ring's bytes [from, to) out (the inline pipeline keeps views of what it is given). */
  private copyOut(from: number, to: number): Buffer {
    const out = Buffer.allocUnsafe(to - from);
    const size = this.ring.length;
    let at = 0;
    while (from < to) {
      const i = from % size;
      const n = Math.min(to - from, size - i);
      out.set(this.ring.subarray(i, i + n), at);
      at += n;
      from += n;
    }
    return out;
  }

  private toInline(): void {
    const inline = new InlinePipeline(this.o, this.recent.list(), this.ackedSkipping);
    this.inline = inline;
    let from = this.acked;
    for (const at of this.ends) {
      if (at > from) inline.push(this.copyOut(from, at));
      inline.endResponse();
      from = Math.max(from, at);
    }
    if (this.sent > from) inline.push(this.copyOut(from, this.sent));
    for (const q of this.queue) {
      if (q.kind === 'chunk') inline.push(q.buf);
      else if (q.kind === 'end') inline.endResponse();
    }
    this.queue = [];
    this.queuedBytes = 0;
    this.ends = [];
    this.drains.resolveAll();
    this.hold.release();
  }

  endResponse(): void {
    if (this.inline) { this.inline.endResponse(); return; }
    if (this.queue.length) { this.queue.push({ kind: 'end' }); return; }
    this.ends.push(this.sent);
    this.worker?.postMessage({ t: 'end', at: this.sent } satisfies ToWorker);
  }

  push(chunk: Buffer): boolean {
    if (this.inline) return this.inline.push(chunk);
    if (chunk.length === 0) return !this.hold.paused;
    if (this.queue.length || !this.write(chunk)) {
      // No room until the worker acknowledges more (zlib does not rewrite a chunk it emitted: kept as is).
      this.queue.push({ kind: 'chunk', buf: chunk });
      this.queuedBytes += chunk.length;
    }
    this.updateRef();
    if (this.queue.length || this.sent + this.queuedBytes - this.processed > BACKLOG_HIGH) this.hold.hold();
    return !this.hold.paused;
  }

  /** Copies a chunk into the ring and tells the worker; false when it does not fit yet. */
  private write(chunk: Uint8Array): boolean {
    if (this.sent + chunk.length - this.acked > this.ring.length) return false;
    copyIntoRing(this.ring, this.sent, chunk);
    this.sent += chunk.length;
    this.worker?.postMessage({ t: 'data', end: this.sent } satisfies ToWorker);
    return true;
  }

  /** Moves what waited for room into the ring, in order, as far as it fits. */
  private writeQueued(): void {
    while (this.queue.length) {
      const q = this.queue[0]!;
      if (q.kind === 'chunk') {
        if (q.buf.length > this.ring.length) {
          // Larger than the whole ring (a test's tiny ring): in parts.
          const n = this.ring.length - (this.sent - this.acked);
          if (n <= 0 || !this.write(q.buf.subarray(0, n))) return;
          q.buf = q.buf.subarray(n);
          this.queuedBytes -= n;
          continue;
        }
        if (!this.write(q.buf)) return;
        this.queuedBytes -= q.buf.length;
      } else if (q.kind === 'end') {
        this.ends.push(this.sent);
        this.worker?.postMessage({ t: 'end', at: this.sent } satisfies ToWorker);
      } else {
        this.worker?.postMessage({ t: 'flush', id: q.id } satisfies ToWorker);
      }
      this.queue.shift();
    }
  }

  onWritable(cb: () => void): void { this.hold.onWritable(cb); }

  drain(): Promise<void> {
    if (this.inline || this.disposed) return Promise.resolve();
    return new Promise((resolve) => {
      const id = this.drains.add(resolve);
      this.updateRef();
      // After whatever still waits for room: the answer must cover it.
      if (this.queue.length) this.queue.push({ kind: 'flush', id });
      else this.worker?.postMessage({ t: 'flush', id } satisfies ToWorker);
    });
  }

  counts(): ProcessorCounts {
    return this.inline ? addCounts(this.base, this.inline.counts()) : addCounts(this.base, this.current);
  }

  private onBatch(m: BatchMessage): void {
    this.current = m.counts;
    this.processed = m.processed;
    this.acked = m.ack;
    this.ackedSkipping = m.ackSkipping ?? 0;
    // Ends before the acknowledged boundary were handled (an end exactly there discards nothing).
    while (this.ends.length && this.ends[0]! <= m.ack) this.ends.shift();
    for (const line of m.logs ?? []) this.o.log.warn(line);
    if (m.ends.length) this.recent.add(m.keys, m.keyEnds);
    // Forwarded even when empty: its counters (duplicates dropped, ...) must reach the main thread too.
    if (this.o.forward) this.o.forward(m);
    else if (m.ends.length) this.o.deliver(hitsOf(m, this.o.keepRawBytes));
    if (m.flushId !== undefined) this.drains.answer(m.flushId);
    if (this.queue.length) this.writeQueued();
    this.updateRef();
    if (this.hold.paused && !this.queue.length && this.sent - this.processed < BACKLOG_LOW) this.hold.release();
  }

  get heldBackMs(): number { return this.hold.heldMs; }

  /**
   * The worker keeps the process alive while it has work or someone waits for
   * it, and only then: with reading paused for its backlog, nothing else may
   * hold the event loop (a CLI would exit mid-stream), and an idle worker must
   * not keep a finished CLI running.
   */
  private updateRef(): void {
    const busy = this.sent > this.acked || this.queue.length > 0 || this.drains.size > 0;
    if (busy === this.reffed || !this.worker) return;
    this.reffed = busy;
    if (busy) this.worker.ref(); else this.worker.unref();
  }
  private reffed = true;

  /** Decompressed bytes received but not yet acknowledged by the worker (what a restart would replay). */
  get unacknowledgedBytes(): number { return this.sent + this.queuedBytes - this.acked; }

  /** Test hook for the restart path: the worker as a test may terminate it. */
  get workerForTest(): Worker | undefined { return this.worker; }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.drains.resolveAll();
    const w = this.worker;
    this.worker = undefined;
    this.queue = [];
    this.queuedBytes = 0;
    await w?.terminate().catch(() => undefined);
  }
}
