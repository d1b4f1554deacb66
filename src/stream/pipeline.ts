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
import { parseRecord } from './losslessJson';
import type { BatchMessage, ToWorker, WorkerInit } from './pipelineMessages';
import { RecordProcessor, type ProcessorCounts, type ProcessorOptions } from './recordProcessor';
import { RecordSplitter } from './recordSplitter';

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
  /** 'worker', or 'inline' (chosen, or after the worker kept dying). */
  readonly mode: 'worker' | 'inline';
  dispose(): Promise<void>;
}

const zeroCounts = (): ProcessorCounts => ({ duplicates: 0, malformed: 0, oversized: 0, refusedIds: 0 });

function addCounts(a: ProcessorCounts, b: ProcessorCounts): ProcessorCounts {
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

  constructor(private readonly o: PipelineOptions, seed: Iterable<string> = []) {
    this.processor = new RecordProcessor(o.processor, (_l, m) => o.log.warn(m));
    this.processor.seed(seed);
    this.splitter = new RecordSplitter({
      record: (text, bytes) => {
        const r = this.processor.process(text);
        if (!r) return;
        if (o.processor.keyOnly) {
          // Only the id was restored losslessly: `data` is parsed again, losslessly, if anyone reads it.
          const lazy = new PipelinedHit(r.key, bytes);
          if (o.keepRawBytes) lazy.rawBytes = bytes;
          this.batch.push(lazy);
          return;
        }
        const hit: StoredHit = { seq: 0, key: r.key, receivedAt: 0, data: r.data, raw: text };
        if (o.keepRawBytes) hit.rawBytes = bytes;
        if (r.measured) {
          hit.measured = r.measured.problem ? { bytes: r.measured.bytes, problem: r.measured.problem } : { bytes: r.measured.bytes };
          if (r.measured.problem) hit.omitted = { reason: r.measured.problem, bytes: bytes.length };
        }
        this.batch.push(hit);
      },
      oversized: (bytes) => this.processor.oversized(bytes, o.maxRecordBytes),
    }, o.maxRecordBytes);
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

/**
 * A hit whose record was parsed in the worker. It holds a view of the batch's
 * bytes; `raw` is decoded on each read (not kept: the store's estimate counts
 * the bytes once) and `data` is parsed on first read and kept.
 */
export class PipelinedHit implements StoredHit {
  seq = 0;
  receivedAt = 0;
  omitted?: OmittedHit;
  measured?: { bytes: number; problem?: OmittedHit['reason'] };
  rawBytes?: Uint8Array;
  private parsed?: Record<string, unknown>;

  constructor(readonly key: string, private readonly bytes: Uint8Array) {}

  get raw(): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).toString('utf8');
  }

  /** The record's UTF-8 length, without decoding it. */
  get recordBytes(): number { return this.bytes.byteLength; }

  get data(): Record<string, unknown> {
    // The worker parsed the same text successfully, so this cannot throw.
    if (!this.parsed) this.parsed = parseRecord(this.raw);
    return this.parsed;
  }

  set data(v: Record<string, unknown>) { this.parsed = v; }
}

/** Pause reading when this many decompressed bytes are in flight to the worker; resume below the low mark. */
const BACKLOG_HIGH = 8 * 1024 * 1024;
const BACKLOG_LOW = 2 * 1024 * 1024;
/** More deaths than this within RESTART_WINDOW_MS: give up on workers and process inline. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

type Replay = { kind: 'chunk'; start: number; buf: Buffer } | { kind: 'end'; at: number };

export interface WorkerPipelineOptions extends PipelineOptions {
  /** The worker's script (default: next to this bundle, see defaultWorkerScript). */
  script?: string;
  /** Longest a kept record waits in the worker before it is posted (default 50 ms). */
  flushMs?: number;
  /** The worker thread's nice value (Linux): below the caller's thread, which must stay responsive. */
  nice?: number;
}

/** The bundle's worker (dist/streamWorker.js), or this source file's sibling under tsx (tests, bench). */
export function defaultWorkerScript(): string | undefined {
  for (const f of ['streamWorker.js', 'pipelineWorker.ts']) {
    const p = join(__dirname, f);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function spawnWorker(script: string): Worker {
  if (!script.endsWith('.ts')) return new Worker(script);
  // Tests and the bench run the TypeScript sources: load them through tsx's require hook.
  const tsx = createRequire(__filename).resolve('tsx/cjs');
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(script)});`, { eval: true });
}

export class WorkerPipeline implements RecordPipeline {
  private worker?: Worker;
  private inline?: InlinePipeline;
  private readonly script: string;
  private readonly flushMs: number;
  /** Global offset of the next byte pushed. */
  private sent = 0;
  /** Global offset the worker has processed. */
  private processed = 0;
  /** Global offset of the last record boundary the worker acknowledged. */
  private acked = 0;
  /** Everything after the last acknowledged record boundary, for a restarted worker. */
  private replay: Replay[] = [];
  /** Counters of workers that died (their last report). */
  private base = zeroCounts();
  private current = zeroCounts();
  /** Keys delivered, newest last (a ring as large as the dedupe window): the seed of a restarted worker. */
  private readonly recent: string[];
  private recentHead = 0;
  private recentCount = 0;
  private readonly drains = new Map<number, () => void>();
  private nextDrain = 1;
  private writable: (() => void)[] = [];
  private paused = false;
  private pausedAt = 0;
  private heldBackTotal = 0;
  private deaths: number[] = [];
  private disposed = false;
  restarts = 0;

  constructor(private readonly o: WorkerPipelineOptions) {
    const script = o.script ?? defaultWorkerScript();
    if (!script) throw new Error('The stream worker script is missing (dist/streamWorker.js).');
    this.script = script;
    this.flushMs = o.flushMs ?? 50;
    this.recent = new Array(Math.max(1, o.processor.dedupeWindow ?? 100_000));
    this.start();
  }

  get mode(): 'worker' | 'inline' { return this.inline ? 'inline' : 'worker'; }

  private start(): void {
    const w = spawnWorker(this.script);
    this.worker = w;
    this.reffed = true;
    const ack = this.replayStart();
    const init: WorkerInit = { t: 'init', processor: this.o.processor, maxRecordBytes: this.o.maxRecordBytes, flushMs: this.flushMs, offset: ack, seed: this.recentKeys(), nice: this.o.nice };
    w.postMessage(init);
    for (const r of this.replay) this.sendReplay(w, r, ack);
    for (const id of this.drains.keys()) w.postMessage({ t: 'flush', id } satisfies ToWorker);
    w.on('message', (m: BatchMessage) => { if (this.worker === w) this.onBatch(m); });
    w.on('error', (e) => { if (this.worker === w) this.died(`${e.name}: ${e.message}`); });
    w.on('exit', (code) => { if (this.worker === w) this.died(`exit code ${code}`); });
    this.updateRef();
  }

  /** Where a restarted worker begins: the last acknowledged record boundary (the replay holds everything after it). */
  private replayStart(): number { return this.acked; }

  private sendReplay(w: Worker, r: Replay, from: number): void {
    if (r.kind === 'end') { w.postMessage({ t: 'end' } satisfies ToWorker); return; }
    const skip = Math.max(0, from - r.start);
    const copy = new Uint8Array(r.buf.subarray(skip));
    w.postMessage({ t: 'chunk', buf: copy } satisfies ToWorker, [copy.buffer]);
  }

  private recentKeys(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.recentCount; i++) out.push(this.recent[(this.recentHead + i) % this.recent.length]!);
    return out;
  }

  private remember(key: string): void {
    if (key === '') return;
    const cap = this.recent.length;
    if (this.recentCount < cap) this.recent[(this.recentHead + this.recentCount++) % cap] = key;
    else { this.recent[this.recentHead] = key; this.recentHead = (this.recentHead + 1) % cap; }
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
    this.o.log.warn(`The stream worker died (${why}): restarted it and replayed ${this.replay.length} buffered part(s); the connection is unaffected.`);
    this.start();
  }

  private toInline(): void {
    const inline = new InlinePipeline(this.o, this.recentKeys());
    this.inline = inline;
    const from = this.replayStart();
    for (const r of this.replay) {
      if (r.kind === 'end') inline.endResponse();
      else inline.push(r.buf.subarray(Math.max(0, from - r.start)));
    }
    this.replay = [];
    for (const resolve of this.drains.values()) resolve();
    this.drains.clear();
    this.resumeIfPaused();
  }

  endResponse(): void {
    if (this.inline) { this.inline.endResponse(); return; }
    this.replay.push({ kind: 'end', at: this.sent });
    this.worker?.postMessage({ t: 'end' } satisfies ToWorker);
  }

  push(chunk: Buffer): boolean {
    if (this.inline) return this.inline.push(chunk);
    if (chunk.length === 0) return !this.paused;
    // Kept for a replay; the worker gets its own copy, transferred (zlib's chunks are views of larger buffers).
    this.replay.push({ kind: 'chunk', start: this.sent, buf: chunk });
    this.sent += chunk.length;
    const copy = new Uint8Array(chunk);
    this.worker?.postMessage({ t: 'chunk', buf: copy } satisfies ToWorker, [copy.buffer]);
    this.updateRef();
    if (!this.paused && this.sent - this.processed > BACKLOG_HIGH) {
      this.paused = true;
      this.pausedAt = performance.now();
    }
    return !this.paused;
  }

  onWritable(cb: () => void): void {
    if (!this.paused) queueMicrotask(cb);
    else this.writable.push(cb);
  }

  drain(): Promise<void> {
    if (this.inline || this.disposed) return Promise.resolve();
    const id = this.nextDrain++;
    return new Promise((resolve) => {
      this.drains.set(id, resolve);
      this.updateRef();
      this.worker?.postMessage({ t: 'flush', id } satisfies ToWorker);
    });
  }

  counts(): ProcessorCounts {
    return this.inline ? addCounts(this.base, this.inline.counts()) : addCounts(this.base, this.current);
  }

  private onBatch(m: BatchMessage): void {
    this.current = m.counts;
    this.processed = m.processed;
    this.acked = m.ack;
    // Everything before `ack` is delivered by this batch: drop it from the replay.
    while (this.replay.length) {
      const r = this.replay[0]!;
      const end = r.kind === 'chunk' ? r.start + r.buf.length : r.at;
      if (end > m.ack) break;
      this.replay.shift();
    }
    for (const line of m.logs ?? []) this.o.log.warn(line);
    const n = m.keys.length;
    if (n) {
      const hits: StoredHit[] = new Array(n);
      const placeholders = new Map((m.placeholders ?? []).map((p) => [p.i, p]));
      let start = 0;
      for (let i = 0; i < n; i++) {
        const end = m.ends[i]!;
        const view = m.bytes.subarray(start, end);
        const hit = new PipelinedHit(m.keys[i]!, view);
        const p = placeholders.get(i);
        if (p) {
          hit.data = p.data;
          hit.omitted = { reason: p.reason, bytes: end - start };
          hit.measured = { bytes: m.measured[i]!, problem: p.reason };
        } else {
          hit.measured = { bytes: m.measured[i]! };
        }
        if (this.o.keepRawBytes) hit.rawBytes = view;
        this.remember(hit.key);
        hits[i] = hit;
        start = end;
      }
      this.o.deliver(hits);
    }
    if (m.flushId !== undefined) {
      // A flush answers for every earlier one too (the worker handles them in order).
      for (const [id, resolve] of this.drains) if (id <= m.flushId) { resolve(); this.drains.delete(id); }
    }
    this.updateRef();
    if (this.paused && this.sent - this.processed < BACKLOG_LOW) this.resumeIfPaused();
  }

  get heldBackMs(): number {
    return this.heldBackTotal + (this.paused ? performance.now() - this.pausedAt : 0);
  }

  /**
   * The worker keeps the process alive while it has work or someone waits for
   * it, and only then: with reading paused for its backlog, nothing else may
   * hold the event loop (a CLI would exit mid-stream), and an idle worker must
   * not keep a finished CLI running.
   */
  private updateRef(): void {
    const busy = this.sent > this.acked || this.drains.size > 0;
    if (busy === this.reffed || !this.worker) return;
    this.reffed = busy;
    if (busy) this.worker.ref(); else this.worker.unref();
  }
  private reffed = true;

  private resumeIfPaused(): void {
    if (this.paused) this.heldBackTotal += performance.now() - this.pausedAt;
    this.paused = false;
    const cbs = this.writable;
    this.writable = [];
    for (const cb of cbs) cb();
  }

  /** Decompressed bytes received but not yet acknowledged by the worker (what a restart would replay). */
  get unacknowledgedBytes(): number { return this.sent - this.acked; }

  /** Test hook for the restart path: the worker as a test may terminate it. */
  get workerForTest(): Worker | undefined { return this.worker; }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const resolve of this.drains.values()) resolve();
    this.drains.clear();
    const w = this.worker;
    this.worker = undefined;
    this.replay = [];
    await w?.terminate().catch(() => undefined);
  }
}
