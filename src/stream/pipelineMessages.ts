/** Messages between the stream pipeline (pipeline.ts, main thread) and its worker (pipelineWorker.ts). */
import type { OmittedHit } from '../shared/model';
import type { ProcessorCounts, ProcessorOptions } from './recordProcessor';

/** First message to a (re)started worker. */
export interface WorkerInit {
  t: 'init';
  processor: ProcessorOptions;
  maxRecordBytes: number;
  flushMs: number;
  /** Global offset of the first byte it will receive. */
  offset: number;
  /** Keys already delivered (a restarted worker must not deliver them again). */
  seed: string[];
  /** Run this thread at this nice value (Linux), below the thread that owns the window. */
  nice?: number;
}

export type ToWorker =
  /** Decompressed bytes, in order. */
  | { t: 'chunk'; buf: Uint8Array }
  /** The response ended here: discard its unfinished last record. */
  | { t: 'end' }
  /** Post a batch now (even an empty one) carrying this id: everything sent before it has been processed. */
  | { t: 'flush'; id: number };

/** Kept records since the last batch, and where the worker is. */
export interface BatchMessage {
  t: 'batch';
  /** The kept records' bytes, back to back. */
  bytes: Uint8Array;
  /** End offset of each record in `bytes`. */
  ends: Uint32Array;
  keys: string[];
  /** Estimated heap bytes of each record's parsed data. */
  measured: Float64Array;
  /** Records too deep to display: their top-level scalars. */
  placeholders?: { i: number; reason: OmittedHit['reason']; data: Record<string, unknown> }[];
  /** Global offset after the last record boundary processed: every record before it is in this batch or an earlier one. */
  ack: number;
  /** Global offset of all bytes processed (for the main thread's back-pressure). */
  processed: number;
  /** Cumulative counters of this worker. */
  counts: ProcessorCounts;
  logs?: string[];
  flushId?: number;
}
