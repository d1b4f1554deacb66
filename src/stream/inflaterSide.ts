/**
 * The inflater thread of the off-thread pipeline (inflatePipeline.ts): it
 * gunzips the response's compressed bytes and runs the record pipeline of
 * pipeline.ts (the shared ring, the parse worker, its restarts and replay),
 * then forwards each batch of kept records to the main thread as it came.
 *
 * Why a thread of its own: on the extension host's thread, gunzip's callbacks
 * and its output buffers (the decompressed stream, ~30 MB/s at 20 000 hits/s)
 * were the largest share of the work and of what the garbage collector had to
 * collect. Here they cost that thread nothing. The parse worker stays a thread
 * of its own below this one, so a parse worker that dies is restarted with
 * the decompressed bytes replayed from the ring, on the same connection, as
 * before. This thread runs only zlib and the ring's bookkeeping; if it dies
 * anyway, its gunzip state is gone with it, and the main thread treats that as
 * a lost connection (read again after the cooldown, processing on its own
 * thread from then on).
 */
import type { MessagePort } from 'node:worker_threads';
import { createGunzip, type Gunzip, type ZlibOptions } from 'node:zlib';
import type { StoredHit } from '../shared/model';
import type { Logger } from './logger';
import { WorkerPipeline } from './pipeline';
import { keyEnds, type BatchMessage, type FromInflater, type InflaterInit, type InflaterState, type ToInflater } from './pipelineMessages';
import { lowerThisThreadPriority } from './threadPriority';
import { transfersOf } from './sharedBatches';

/** Report gunzip's progress (the main thread's back-pressure) at least this often, in compressed bytes. */
const PROGRESS_BYTES = 256 * 1024;

export class InflaterSide {
  private readonly inner: WorkerPipeline;
  private gunzip?: Gunzip;
  /** Compressed bytes received and taken by gunzip (or discarded with a response), over this thread's life. */
  private received = 0;
  private taken = 0;
  private reported = 0;

  private readonly ring: SharedArrayBuffer;

  constructor(private readonly port: MessagePort, init: InflaterInit) {
    this.ring = init.ring;
    if (init.nice) lowerThisThreadPriority(init.nice);
    const log: Logger = {
      debug() {}, info() {},
      warn: (message) => this.post({ t: 'log', level: 'warn', message }),
      error: (message) => this.post({ t: 'log', level: 'error', message }),
    };
    this.inner = new WorkerPipeline({
      processor: init.processor, maxRecordBytes: init.maxRecordBytes, keepRawBytes: true, log, flushMs: init.flushMs, nice: init.nice, seed: init.seed,
      sharedBatches: init.sharedBatches,
      forward: (m) => this.forward(m),
      // Only the inner pipeline's inline fallback (its parse worker kept dying) delivers hits here.
      deliver: (hits) => this.forward(batchOf(hits)),
    });
  }

  handle(msg: ToInflater): void {
    switch (msg.t) {
      case 'chunk':
        this.inflate(msg.buf);
        break;
      case 'ring':
        // A view, not a copy: the main thread rewrites these bytes only after gunzip took them.
        this.inflate(Buffer.from(this.ring, msg.at, msg.len));
        break;
      case 'end':
        (this.gunzip ?? this.open()).end();
        break;
      case 'response-end': {
        const g = this.gunzip;
        this.gunzip = undefined;
        if (g) { g.removeAllListeners('data'); g.removeAllListeners('end'); g.on('error', () => undefined); g.destroy(); }
        // What the dropped gunzip still held is discarded: taken, as far as back-pressure goes.
        this.taken = this.received;
        this.progress();
        this.inner.endResponse();
        break;
      }
      case 'flush':
        void this.inner.drain().then(() => this.post({ t: 'drained', id: msg.id, state: this.state() }));
        break;
      case 'kill-parser':
        void this.inner.workerForTest?.terminate();
        break;
    }
  }

  private inflate(buf: Uint8Array): void {
    const g = this.gunzip ?? this.open();
    const n = buf.byteLength;
    this.received += n;
    g.write(buf, () => { if (this.gunzip === g) { this.taken += n; this.progress(); } });
  }

  private open(): Gunzip {
    // Large output buffers: fewer callbacks and fewer writes into the ring per MB.
    const g = createGunzip({ chunkSize: 256 * 1024, highWaterMark: 1024 * 1024 } as ZlibOptions);
    this.gunzip = g;
    g.on('data', (chunk: Buffer) => {
      if (this.inner.push(chunk)) return;
      // The parse worker is behind: gunzip stops, its write callbacks stop, and the main thread stops reading.
      g.pause();
      this.inner.onWritable(() => { if (this.gunzip === g) g.resume(); });
    });
    g.on('end', () => { if (this.gunzip === g) this.post({ t: 'gz-end' }); });
    g.on('error', (e: Error) => { if (this.gunzip === g) this.post({ t: 'gz-error', message: e.message }); });
    return g;
  }

  private progress(): void {
    if (this.taken - this.reported < PROGRESS_BYTES && this.taken < this.received) return;
    if (this.taken === this.reported) return;
    this.reported = this.taken;
    this.post({ t: 'progress', state: this.state() });
  }

  private state(): InflaterState {
    return { taken: this.taken, counts: this.inner.counts(), restarts: this.inner.restarts, heldBackMs: this.inner.heldBackMs, unacknowledged: this.inner.unacknowledgedBytes };
  }

  private forward(m: BatchMessage): void {
    // Moved on as they came (shared bytes by reference); the key ends are copied: the inner pipeline
    // keeps them (its restart seed).
    this.post({ t: 'batch', m, state: this.state() }, transfersOf(m.bytes, m.ends.buffer, m.measured.buffer));
  }

  private post(msg: FromInflater, transfer?: ArrayBuffer[]): void {
    this.port.postMessage(msg, transfer);
  }
}

/** A batch message made of hits (the inner pipeline's inline fallback). */
function batchOf(hits: readonly StoredHit[]): BatchMessage {
  const parts = hits.map((h) => h.rawBytes ?? Buffer.from(h.raw, 'utf8'));
  const ends = new Uint32Array(parts.length);
  let total = 0;
  parts.forEach((p, i) => { total += p.byteLength; ends[i] = total; });
  const bytes = new Uint8Array(total);
  parts.forEach((p, i) => bytes.set(p, i === 0 ? 0 : ends[i - 1]!));
  const keys = hits.map((h) => h.key);
  const placeholders = hits.flatMap((h, i) => (h.omitted ? [{ i, reason: h.omitted.reason, data: h.data }] : []));
  return {
    t: 'batch', bytes, ends, keys: keys.join(''), keyEnds: keyEnds(keys),
    measured: Float64Array.from(hits, (h) => (h as { measuredBytes?: number }).measuredBytes ?? 0),
    ...(placeholders.length ? { placeholders } : {}),
    ack: 0, processed: 0, counts: { duplicates: 0, malformed: 0, oversized: 0, refusedIds: 0 },
  };
}
