import type * as vscode from 'vscode';
import type { EngineSnapshot, StoredHit } from '../shared/model';
import type { VisitorBackend } from './follow';

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
  /** Seq of the oldest kept hit (the store's byte budget may keep fewer than maxHits); without it the panel derives it from `hits()`. */
  oldestSeq?(): number | undefined;
  /** The developer's own visitor ids / page hosts for the "My traffic" chip (`liveStream.myTraffic`). */
  myTraffic(): string[];
  /** New hits, delivered in batches (the service already coalesces; the panel throttles to ~100 ms). */
  readonly onHits: vscode.Event<readonly StoredHit[]>;
  /** Engine model changed. */
  readonly onState: vscode.Event<EngineSnapshot>;
  /** Hit buffer was cleared or resized: the panel must resend a snapshot. */
  readonly onReset: vscode.Event<void>;
  /** The tracking-rule failures of a hit (by its data object), for `is:violation`/`rule:` in the export filter (issue 13). */
  ruleFailures?(data: Record<string, unknown>): readonly { rule: string; kind: string }[] | undefined;
  /** A hit with its exact record text (for lossless copy). */
  bySeq(seq: number): StoredHit | undefined;
  clear(): void;
  /** Panel buttons run the same commands as the palette. */
  connect(): Promise<void>;
  connectDemo(): Promise<void>;
  disconnect(): Promise<void>;
  /** Follow my visitor and golden hits (issue 13; src/host/follow.ts). Optional: without it the panel ignores those messages. */
  visitor?: VisitorBackend;
}

/** What the panel posts to: `vscode.Webview` (a structural type, so this file stays loadable in plain Node for tests). */
export interface MessageTarget {
  postMessage(message: unknown): Thenable<boolean>;
}

/**
 * Posts a message and reports every way it can fail instead of dropping it
 * silently: `postMessage` can throw or reject (the message cannot be
 * serialized, e.g. RangeError on deep nesting) or resolve false (the page is
 * gone). Never throws; resolves true when the message was delivered.
 */
export async function postChecked(target: MessageTarget, message: unknown, what: string, log: (msg: string) => void): Promise<boolean> {
  try {
    const delivered = await target.postMessage(message);
    if (!delivered) log(`hits panel: ${what} was not delivered (the webview is gone or not listening).`);
    return delivered;
  } catch (err) {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    log(`hits panel: posting ${what} failed: ${text.slice(0, 300)}`);
    return false;
  }
}
