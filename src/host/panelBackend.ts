import type * as vscode from 'vscode';
import type { EngineSnapshot, Hit, StoredHit } from '../core/model';

/**
 * The seam between the extension-host service (which owns the connection and
 * the hit ring buffer) and the hits panel. The panel only subscribes.
 */
export interface PanelBackend {
  /** Current engine model (state, last error, counters). */
  snapshot(): EngineSnapshot;
  /** Hits currently kept, oldest first. */
  hits(): readonly StoredHit[];
  /** `liveStream.maxHits`. */
  maxHits(): number;
  /** The developer's own visitor ids / page hosts for the "My traffic" chip (`liveStream.myTraffic`). */
  myTraffic(): string[];
  /** New hits, delivered in batches (the service already coalesces; the panel throttles to ~100 ms). */
  readonly onHits: vscode.Event<readonly Hit[]>;
  /** Engine model changed. */
  readonly onState: vscode.Event<EngineSnapshot>;
  /** Hit buffer was cleared or resized: the panel must resend a snapshot. */
  readonly onReset: vscode.Event<void>;
  /** A hit with its exact record text (for lossless copy). */
  bySeq(seq: number): StoredHit | undefined;
  clear(): void;
  /** Panel buttons run the same commands as the palette. */
  connect(): Promise<void>;
  connectDemo(): Promise<void>;
  disconnect(): Promise<void>;
}
