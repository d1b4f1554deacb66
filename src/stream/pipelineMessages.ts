/** Messages between the stream pipeline (pipeline.ts, main thread) and its worker (pipelineWorker.ts). */
import type { OmittedHit } from '../shared/model';
import type { ProcessorCounts, ProcessorOptions } from './recordProcessor';
import type { SharedBatchShare } from './sharedBatches';

/** First message to a (re)started worker. */
export interface WorkerInit {
  t: 'init';
  processor: ProcessorOptions;
  maxRecordBytes: number;
  flushMs: number;
  /**
   * The decompressed bytes, written by the main thread: global offset `o` is at
   * `o % ring.byteLength`. Only bytes the worker has not acknowledged are
   * guaranteed to be there (see `ack`).
   */
  ring: SharedArrayBuffer;
  /** Global offset of the first byte it will read. */
  offset: number;
  /** The bytes before `offset` belong to an oversized record being skipped (this many so far). */
  skipping?: number;
  /** Keys already delivered (a restarted worker must not deliver them again). */
  seed: string[];
  /** Run this thread at this nice value (Linux), below the thread that owns the window. */
  nice?: number;
  /** Batches in shared memory within this budget (sharedBatches.ts); absent: ordinary buffers. */
  sharedBatches?: SharedBatchShare;
}

export type ToWorker =
  /** The ring holds bytes up to this global offset: process them. */
  | { t: 'data'; end: number }
  /** The response ended at this global offset (every byte before it was announced): discard its unfinished last record. */
  | { t: 'end'; at: number }
  /** Post a batch now (even an empty one) carrying this id: everything sent before it has been processed. */
  | { t: 'flush'; id: number };

/** Kept records since the last batch, and where the worker is. */
export interface BatchMessage {
  t: 'batch';
  /** The kept records' bytes, back to back (shared memory or a transferred buffer: sharedBatches.ts). */
  bytes: Uint8Array;
  /** End offset of each record in `bytes`. */
  ends: Uint32Array;
  /** Their keys, back to back ('' for a record without an id), and where each ends: one string per batch. */
  keys: string;
  keyEnds: Uint32Array;
  /** Estimated heap bytes of each record's parsed data. */
  measured: Float64Array;
  /** Records too deep to display: their top-level scalars. */
  placeholders?: { i: number; reason: OmittedHit['reason']; data: Record<string, unknown> }[];
  /**
   * Global offset after the last record boundary processed: every record before it is in this batch or an
   * earlier one, and the main thread may reuse the ring's space before it.
   */
  ack: number;
  /** At `ack`, an oversized record is being skipped, this many bytes so far (a restarted worker goes on skipping). */
  ackSkipping?: number;
  /** Global offset of all bytes processed (for the main thread's back-pressure). */
  processed: number;
  /** Cumulative counters of this worker. */
  counts: ProcessorCounts;
  logs?: string[];
  flushId?: number;
}

/**
 * The off-thread pipeline (inflatePipeline.ts): the main thread sends the
 * response's compressed bytes to an inflater thread, which gunzips them and
 * runs a WorkerPipeline of its own (ring, replay, restarts of the parse worker).
 */
export interface InflaterInit {
  t: 'inflater-init';
  processor: ProcessorOptions;
  maxRecordBytes: number;
  flushMs: number;
  nice?: number;
  /** Keys already delivered (a replacement inflater must not deliver them again). */
  seed: string[];
  /** Shared memory the main thread copies compressed bytes into ('ring' messages say where). */
  ring: SharedArrayBuffer;
  /** Passed on to the parse worker (sharedBatches.ts); the main thread keeps the gauge. */
  sharedBatches?: SharedBatchShare;
}

export type ToInflater =
  /** Compressed bytes of the current response, in order (a new response starts a new gunzip)... */
  | { t: 'chunk'; buf: Uint8Array }
  /** ...or where they are in the shared ring (never across its end); the main thread rewrites them only once taken. */
  | { t: 'ring'; at: number; len: number }
  /** The response's body ended: finish gunzip, then report 'gz-end' or 'gz-error'. */
  | { t: 'end' }
  /** The response is over (ended, failed or aborted): drop its gunzip, discard its unfinished record. */
  | { t: 'response-end' }
  /** Answer with 'drained' once everything sent before has been delivered. */
  | { t: 'flush'; id: number }
  /** Test hook: terminate the parse worker (the restart path). */
  | { t: 'kill-parser' };

export type FromInflater =
  | { t: 'batch'; m: BatchMessage; state: InflaterState }
  /** Compressed bytes taken by gunzip so far (the main thread's back-pressure), sent as they advance. */
  | { t: 'progress'; state: InflaterState }
  | { t: 'gz-end' }
  | { t: 'gz-error'; message: string }
  | { t: 'drained'; id: number; state: InflaterState }
  | { t: 'log'; level: 'warn' | 'error'; message: string };

export interface InflaterState {
  /** Compressed bytes gunzip has taken (its write callbacks), over the inflater's life. */
  taken: number;
  counts: ProcessorCounts;
  restarts: number;
  heldBackMs: number;
  /** Decompressed bytes a parse-worker restart would replay (tests). */
  unacknowledged: number;
}

/** Where each key ends in the keys joined (a batch's `keyEnds`). */
export function keyEnds(keys: readonly string[]): Uint32Array {
  const ends = new Uint32Array(keys.length);
  let k = 0;
  for (let i = 0; i < keys.length; i++) { k += keys[i]!.length; ends[i] = k; }
  return ends;
}
