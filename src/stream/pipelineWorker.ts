/**
 * The stream pipeline's worker thread: split the gunzipped bytes into records,
 * parse them losslessly, check ids, de-duplicate and measure, then hand the
 * main thread compact batches at most every `flushMs`: one byte buffer with
 * the kept records (transferred, not copied), their end offsets, keys and
 * measures. Only the hits a reader actually opens are parsed again on the
 * main thread (see PipelinedHit in pipeline.ts).
 *
 * Offsets are global byte positions in the decompressed bytes the main thread
 * sent (across responses), so the main thread can replay everything after the
 * last acknowledged record boundary to a restarted worker.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { batchBuffer, transfersOf } from './sharedBatches';
import { lowerThisThreadPriority } from './threadPriority';
import { RecordProcessor } from './recordProcessor';
import { RecordSplitter } from './recordSplitter';
import { keyEnds, type BatchMessage, type InflaterInit, type ToInflater, type ToWorker, type WorkerInit } from './pipelineMessages';
import { InflaterSide } from './inflaterSide';

/** Flush early when a batch holds this many record bytes (bounds the worker's memory and the batch's latency). */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export class PipelineWorkerSide {
  private readonly processor: RecordProcessor;
  private readonly splitter: RecordSplitter;
  /** Global offset of the next byte to process. */
  private offset: number;
  /** Global offset after the last complete record (or discarded tail) processed. */
  private boundary: number;
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private keys: string[] = [];
  private measured: number[] = [];
  private placeholders: NonNullable<BatchMessage['placeholders']> = [];
  private logs: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlush = 0;
  private dirty = false;
  private readonly ring: Uint8Array;

  constructor(private readonly port: MessagePort, private readonly init: WorkerInit) {
    if (init.nice) lowerThisThreadPriority(init.nice);
    this.ring = new Uint8Array(init.ring);
    this.offset = init.offset;
    this.boundary = init.offset;
    this.processor = new RecordProcessor(init.processor, (_level, m) => this.logs.length < 50 && this.logs.push(m));
    this.processor.seed(init.seed);
    this.splitter = new RecordSplitter({
      record: (text, bytes) => {
        const r = this.processor.process(text);
        if (!r) return;
        this.parts.push(bytes);
        this.partBytes += bytes.length;
        this.keys.push(r.key);
        this.measured.push(r.measured?.bytes ?? 0);
        if (r.measured?.problem) this.placeholders.push({ i: this.keys.length - 1, reason: r.measured.problem, data: r.data });
      },
      oversized: (bytes) => this.processor.oversized(bytes, init.maxRecordBytes),
    }, init.maxRecordBytes);
    this.splitter.resumeSkipping(init.skipping ?? 0);
  }

  handle(msg: ToWorker): void {
    switch (msg.t) {
      case 'data': {
        this.readTo(msg.end);
        if (this.partBytes >= MAX_BATCH_BYTES) this.flush();
        else this.schedule();
        break;
      }
      case 'end': {
        this.readTo(msg.at);
        // The response ended: its unfinished record can never complete.
        const tail = this.splitter.end();
        if (tail.discardedBytes) this.logs.push(`Discarded ${tail.discardedBytes} bytes of an unfinished record.`);
        this.boundary = this.offset;
        this.dirty = true;
        this.schedule();
        break;
      }
      case 'flush':
        this.flush(msg.id);
        break;
    }
  }

  /** Splits the ring's bytes from where it is up to `end` (in two views when they wrap around). */
  private readTo(end: number): void {
    const size = this.ring.length;
    while (this.offset < end) {
      const at = this.offset % size;
      const n = Math.min(end - this.offset, size - at);
      // A view, not a copy: the main thread rewrites these bytes only after this worker acknowledged them.
      this.splitter.push(Buffer.from(this.ring.buffer, this.ring.byteOffset + at, n));
      this.offset += n;
    }
    this.boundary = this.offset - this.splitter.heldBytes;
    this.dirty = true;
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.init.flushMs - (Date.now() - this.lastFlush));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(flushId?: number): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    if (!this.dirty && flushId === undefined) return;
    this.lastFlush = Date.now();
    this.dirty = false;
    // One fresh buffer per batch, so the hits' views keep only it alive: shared memory within the
    // receiving thread's budget (no full collections of its heap for it), else transferred.
    const bytes = batchBuffer(this.partBytes, this.init.sharedBatches);
    const ends = new Uint32Array(this.parts.length);
    let at = 0;
    for (let i = 0; i < this.parts.length; i++) {
      bytes.set(this.parts[i]!, at);
      at += this.parts[i]!.length;
      ends[i] = at;
    }
    const measured = Float64Array.from(this.measured);
    const kEnds = keyEnds(this.keys);
    const msg: BatchMessage = {
      t: 'batch', bytes, ends, keys: this.keys.join(''), keyEnds: kEnds, measured, ack: this.boundary, processed: this.offset,
      counts: { ...this.processor.counts },
    };
    const skipping = this.splitter.skippingBytes;
    if (skipping) msg.ackSkipping = skipping;
    if (this.placeholders.length) msg.placeholders = this.placeholders;
    if (this.logs.length) msg.logs = this.logs;
    if (flushId !== undefined) msg.flushId = flushId;
    this.parts = [];
    this.partBytes = 0;
    this.keys = [];
    this.measured = [];
    this.placeholders = [];
    this.logs = [];
    this.port.postMessage(msg, transfersOf(bytes, ends.buffer, kEnds.buffer, measured.buffer));
  }
}

// Runs only as a worker, as one of two threads: the first message says which (the parse worker's
// init, or the inflater's: inflaterSide.ts), then its data, ends and flushes come in order.
if (parentPort) {
  const port = parentPort;
  let side: PipelineWorkerSide | undefined;
  let inflater: InflaterSide | undefined;
  port.on('message', (msg: ToWorker | WorkerInit | ToInflater | InflaterInit) => {
    if (msg.t === 'init') side = new PipelineWorkerSide(port, msg);
    else if (msg.t === 'inflater-init') inflater = new InflaterSide(port, msg);
    else if (inflater) inflater.handle(msg as ToInflater);
    else side?.handle(msg as ToWorker);
  });
}
