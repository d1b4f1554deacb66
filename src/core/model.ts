/**
 * The observable model the engine publishes. The status bar, the hits panel
 * header and the CLI's stderr lines are all rendered from exactly this.
 */

/** One hit as the UI sees it. */
export interface Hit {
  /** Monotonic receipt sequence number: a stable row key. */
  seq: number;
  /** `${hitIdHigh}:${hitIdLow}` with the exact digits the server sent ('' when the record has no id). */
  key: string;
  /** When this client received the record (ms since epoch). */
  receivedAt: number;
  /**
   * The record, parsed losslessly: every integer beyond 2^53 and every
   * `*IdHigh`/`*IdLow` field is a string holding the exact digits.
   * Unknown fields are kept as they came.
   */
  data: Record<string, unknown>;
}

/** A hit as the host stores it: with the exact record text for lossless copy/export. */
export interface StoredHit extends Hit {
  raw: string;
  /** The record's bytes as received (only with EngineOptions.keepRawBytes; for the CLI's zero-re-encode output). */
  rawBytes?: Uint8Array;
}

export type ConnectionState =
  | { kind: 'idle' }
  | { kind: 'connecting'; since: number; attempt: number }
  | { kind: 'connected'; since: number }
  /** Waiting before the next attempt; `until` is when it will be made. `code` is what caused the wait. */
  | { kind: 'cooldown'; since: number; until: number; code: string; auto: boolean }
  /** Not retrying. `code` names the cause ('user', '404', 'redirect-refused', ...). */
  | { kind: 'stopped'; since: number; code: string; reason: string };

export type ConnectionStateKind = ConnectionState['kind'];

export interface LastError {
  /** HTTP status as text ('409') or a symbolic code ('ECONNRESET', 'idle-timeout', 'redirect-refused', ...). */
  code: string;
  /** HTTP status when there was one. */
  status?: number;
  /** What the server or the network said (409's error_description verbatim). */
  description: string;
  /** One line a person can act on. */
  explanation: string;
  /** ms since epoch. */
  at: number;
}

export interface EngineStats {
  /** Distinct hits delivered. */
  received: number;
  /** Records dropped as duplicates of a hit already delivered (same hitIdHigh/hitIdLow). */
  duplicates: number;
  /** Records that were not valid JSON objects. */
  malformed: number;
  /** Records dropped for exceeding the size limit. */
  oversized: number;
  /** Hits per second over the last few seconds. */
  hitsPerSecond: number;
}

export interface EngineSnapshot {
  /** Stream URL without credentials or query string. */
  streamUrl: string;
  state: ConnectionState;
  lastError?: LastError;
  stats: EngineStats;
}
