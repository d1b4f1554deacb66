/**
 * The off-thread pipeline: the caller's thread (the extension host's) only
 * reads the socket and hands the compressed bytes to an inflater thread
 * (inflaterSide.ts), which gunzips them and runs the record pipeline with its
 * parse worker; batches of kept records come back as they left the parse
 * worker, and this thread wraps them in hits.
 *
 * What that saves this thread at 20 000 hits/s: gunzip's callbacks and stream
 * plumbing, the copy of every decompressed byte into the ring, and ~30 MB/s of
 * gunzip output buffers for its garbage collector (which ran a full collection
 * every ~0.4 s for them). What it costs: one more thread, and a different
 * answer when a thread dies. A parse worker that dies is restarted inside the
 * inflater with the bytes replayed, on the same connection, as in pipeline.ts.
 * An inflater that dies takes its gunzip state with it: the response cannot be
 * resumed, so it ends as a lost connection (read again after the cooldown) and
 * this pipeline gunzips on this thread from then on (WorkerPipeline), seeded
 * with the keys already delivered so nothing is delivered twice.
 */
import type { Worker } from 'node:worker_threads';
import { addCounts, copyIntoRing, hitsOf, PendingDrains, ReadHold, RecentKeys, spawnWorker, WorkerPipeline, zeroCounts, type CompressedSink, type InflateFailure, type RecordPipeline, type WorkerPipelineOptions } from './pipeline';
import type { FromInflater, InflaterInit, InflaterState, ToInflater } from './pipelineMessages';
import type { ProcessorCounts } from './recordProcessor';

/** Pause reading when this many compressed bytes wait for gunzip; resume below the low mark. */
const COMPRESSED_HIGH = 1024 * 1024;
const COMPRESSED_LOW = 256 * 1024;
/**
 * Shared memory the compressed bytes are copied into for the inflater: no new buffer per chunk on
 * this thread. Room for the backlog's mark and what still arrives after reading pauses; a chunk
 * that does not fit travels as a transferred copy instead.
 */
const RING_BYTES = 4 * 1024 * 1024;

export class InflatePipeline implements RecordPipeline, CompressedSink {
  private worker?: Worker;
  private fallback?: WorkerPipeline;
  private readonly script: string;
  /** Compressed bytes sent to the inflater, and taken by its gunzip (its last report). */
  private sent = 0;
  private state: InflaterState = { taken: 0, counts: zeroCounts(), restarts: 0, heldBackMs: 0, unacknowledged: 0 };
  /** Counters up to the inflater's death (its last report). */
  private base = zeroCounts();
  private baseRestarts = 0;
  private ended?: (err?: InflateFailure) => void;
  private readonly drains = new PendingDrains();
  private readonly hold = new ReadHold();
  /** Keys delivered: the seed if this thread takes over. */
  private readonly recent: RecentKeys;
  private disposed = false;
  private reffed = true;

  private readonly ring: Uint8Array;
  /** Ring-global offsets: the next byte written, and the first byte gunzip has not taken yet. */
  private ringHead = 0;
  private ringTail = 0;
  /** Ring writes not yet taken: where they end in the compressed bytes (`sent`) and in the ring. */
  private readonly ringSegments: { end: number; ringEnd: number }[] = [];

  constructor(private readonly o: WorkerPipelineOptions & { compressedRingBytes?: number }) {
    this.ring = new Uint8Array(new SharedArrayBuffer(o.compressedRingBytes ?? RING_BYTES));
    if (!o.script) throw new Error('The stream worker script is missing (dist/streamWorker.js).');
    this.script = o.script;
    this.recent = new RecentKeys(Math.max(1, o.processor.dedupeWindow ?? 100_000));
    const w = spawnWorker(this.script);
    this.worker = w;
    w.postMessage({ t: 'inflater-init', processor: o.processor, maxRecordBytes: o.maxRecordBytes, flushMs: o.flushMs ?? 50, nice: o.nice, seed: [], ring: this.ring.buffer as SharedArrayBuffer, sharedBatches: o.gauge?.share } satisfies InflaterInit);
    w.on('message', (m: FromInflater) => {
      if (m.t === 'batch') o.gauge?.track(m.m.bytes);
      if (this.worker === w) this.onMessage(m);
    });
    w.on('error', (e) => { if (this.worker === w) this.died(`${e.name}: ${e.message}`); });
    w.on('exit', (code) => { if (this.worker === w) this.died(`exit code ${code}`); });
  }

  get mode(): 'off-thread' | 'worker' | 'inline' { return this.fallback ? this.fallback.mode : 'off-thread'; }

  /** Present while the inflater runs; after its death the fallback gunzips on this thread. */
  get inflater(): CompressedSink | undefined { return this.fallback ? undefined : this; }

  // CompressedSink

  write(chunks: readonly Buffer[]): boolean {
    const w = this.worker;
    if (!w) return !this.hold.paused;
    let n = 0;
    for (const c of chunks) n += c.byteLength;
    if (n === 0) return !this.hold.paused;
    if (n <= this.ring.length - (this.ringHead - this.ringTail)) {
      // Copied into the shared ring, then announced as one region (two across the ring's end).
      let at = this.ringHead;
      for (const c of chunks) { copyIntoRing(this.ring, at, c); at += c.byteLength; }
      const start = this.ringHead % this.ring.length;
      const first = Math.min(n, this.ring.length - start);
      w.postMessage({ t: 'ring', at: start, len: first } satisfies ToInflater);
      if (first < n) w.postMessage({ t: 'ring', at: 0, len: n - first } satisfies ToInflater);
      this.ringHead += n;
      this.sent += n;
      this.ringSegments.push({ end: this.sent, ringEnd: this.ringHead });
    } else {
      // No room: a copy of exactly these bytes, moved (not cloned) to the inflater (a chunk may share its memory).
      const buf = new Uint8Array(n);
      let at = 0;
      for (const c of chunks) { buf.set(c, at); at += c.byteLength; }
      this.sent += n;
      w.postMessage({ t: 'chunk', buf } satisfies ToInflater, [buf.buffer]);
    }
    if (this.sent - this.state.taken > COMPRESSED_HIGH) this.hold.hold();
    this.updateRef();
    return !this.hold.paused;
  }

  end(): void { this.post({ t: 'end' }); }

  onEnd(cb: (err?: InflateFailure) => void): void { this.ended = cb; }

  // RecordPipeline

  push(chunk: Buffer): boolean {
    // Decompressed bytes come only after a fallback (consume() asks for `inflater` per response).
    return this.fallback ? this.fallback.push(chunk) : true;
  }

  endResponse(): void {
    this.ended = undefined;
    if (this.fallback) this.fallback.endResponse();
    else this.post({ t: 'response-end' });
  }

  onWritable(cb: () => void): void {
    if (this.fallback) this.fallback.onWritable(cb);
    else this.hold.onWritable(cb);
  }

  drain(): Promise<void> {
    if (this.fallback) return this.fallback.drain();
    if (this.disposed || !this.worker) return Promise.resolve();
    return new Promise((resolve) => {
      const id = this.drains.add(resolve);
      this.updateRef();
      this.post({ t: 'flush', id });
    });
  }

  counts(): ProcessorCounts {
    const before = addCounts(this.base, this.fallback ? zeroCounts() : this.state.counts);
    return this.fallback ? addCounts(before, this.fallback.counts()) : before;
  }

  get restarts(): number { return this.baseRestarts + (this.fallback ? this.fallback.restarts : this.state.restarts); }

  get heldBackMs(): number {
    return Math.max(this.hold.heldMs, this.state.heldBackMs) + (this.fallback?.heldBackMs ?? 0);
  }

  /** Test hooks: decompressed bytes a parse-worker restart would replay; terminate the parse worker; the inflater thread. */
  get unacknowledgedBytes(): number { return this.state.unacknowledged; }
  /** Compressed bytes sent and not yet taken by the inflater's gunzip (what the back-pressure bounds). */
  get compressedInFlight(): number { return this.sent - this.state.taken; }
  killParserForTest(): void { this.post({ t: 'kill-parser' }); }
  get inflaterForTest(): Worker | undefined { return this.worker; }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.drains.resolveAll();
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate().catch(() => undefined);
    await this.fallback?.dispose();
  }

  private post(m: ToInflater): void { this.worker?.postMessage(m); }

  private onMessage(m: FromInflater): void {
    switch (m.t) {
      case 'batch':
        this.state = m.state;
        if (m.m.ends.length) {
          this.recent.add(m.m.keys, m.m.keyEnds);
          this.o.deliver(hitsOf(m.m, this.o.keepRawBytes));
        }
        break;
      case 'progress':
        this.state = m.state;
        break;
      case 'drained':
        this.state = m.state;
        this.drains.answer(m.id);
        break;
      case 'gz-end':
      case 'gz-error': {
        const cb = this.ended;
        this.ended = undefined;
        cb?.(m.t === 'gz-end' ? undefined : { kind: 'bad-gzip', message: m.message });
        break;
      }
      case 'log':
        this.o.log[m.level](m.message);
        break;
    }
    // Ring space gunzip is done with may be written again.
    while (this.ringSegments.length && this.ringSegments[0]!.end <= this.state.taken) this.ringTail = this.ringSegments.shift()!.ringEnd;
    if (this.hold.paused && this.sent - this.state.taken < COMPRESSED_LOW) this.hold.release();
    this.updateRef();
  }

  private died(why: string): void {
    if (this.disposed) return;
    const old = this.worker;
    this.worker = undefined;
    void old?.terminate().catch(() => undefined);
    this.base = addCounts(this.base, this.state.counts);
    this.baseRestarts += this.state.restarts;
    this.o.log.error(`The stream's inflater thread died (${why}): the response cannot be resumed without its gunzip state, so it is read again after the cooldown, and gunzip runs on this thread from now on.`);
    this.fallback = new WorkerPipeline({ ...this.o, seed: this.recent.list() });
    this.drains.resolveAll();
    const cb = this.ended;
    this.ended = undefined;
    cb?.({ kind: 'thread-died', message: `The stream's inflater thread died (${why}).` });
    this.hold.release();
  }

  /** The inflater keeps the process alive while it has work or someone waits for it (as in pipeline.ts). */
  private updateRef(): void {
    const busy = this.sent > this.state.taken || this.drains.size > 0 || this.state.unacknowledged > 0;
    if (busy === this.reffed || !this.worker) return;
    this.reffed = busy;
    if (busy) this.worker.ref(); else this.worker.unref();
  }
}

