/**
 * The observable model the engine publishes. The status bar, the hits panel
 * header and the CLI's stderr lines are all rendered from exactly this.
 */

import type { HitRuleResult } from '../analytics/rules/checker';

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
  /**
   * Set when the record cannot be shown (see `OmittedHit`): the row is a
   * placeholder and `data` holds only the record's top-level scalar fields.
   * The host keeps the exact record text for copy and export.
   */
  omitted?: OmittedHit;
  /** Tracking-rule results (issue 13), set by the host's rules checker as the hit arrives; absent without rules. */
  rules?: HitRuleResult;
}

/** Why a kept hit is shown as a placeholder row instead of its fields. */
export interface OmittedHit {
  /** 'too-deep': nested beyond MAX_DISPLAY_DEPTH; 'too-large': beyond MAX_DISPLAY_CHARS once serialized. */
  reason: 'too-deep' | 'too-large';
  /** The record's size in bytes (UTF-8, as received). */
  bytes: number;
}

/**
 * Deepest nesting a hit may have and still be shown. Serializing for the
 * webview (`JSON.stringify`, structured clone) and the recursive renderers
 * overflow the stack on deep nesting: a 400 KB record of nested arrays is
 * 200 000 levels deep and throws RangeError. Real records nest less than 8
 * levels (products → evars → evars → eVarN).
 */
export const MAX_DISPLAY_DEPTH = 64;

/**
 * Largest hit (estimated JSON characters) sent to the webview. Records over the
 * host's per-record limit (1 MiB) never get this far, so this only guards
 * against a configuration that raises that limit.
 */
export const MAX_DISPLAY_CHARS = 2 * 1024 * 1024;

/** A hit as the host stores it: with the exact record text for lossless copy/export. */
export interface StoredHit extends Hit {
  raw: string;
  /** The record's bytes as received (only with EngineOptions.keepRawBytes; for the CLI's zero-re-encode output). */
  rawBytes?: Uint8Array;
  /**
   * Measured where the record was parsed (the stream pipeline's worker): the
   * estimated heap of `data` (a record too deep/large to display is already
   * marked `omitted`). The hit store uses it instead of walking `data` again
   * on the host's thread. A number, not an object: tens of thousands per second.
   */
  readonly measuredBytes?: number;
  /** The record's UTF-8 length, when known without decoding `raw` (the pipeline's lazy hits). */
  readonly recordBytes?: number;
  /** The record's UTF-8 bytes without decoding `raw` (the pipeline's lazy hits; a view, do not modify). */
  bytesView?(): Uint8Array;
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
  /** HTTP status as text ('409') or a symbolic code ('idle-timeout', 'redirect-refused', ...: `SymbolicCode` in src/stream/errors.ts). */
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
  /** Records dropped for exceeding the size limit (the engine's, and the host's hit store's). */
  oversized: number;
  /** Records refused because their hit id (hitIdHigh:hitIdLow) is longer than any real id (MAX_HIT_KEY_CHARS). */
  refusedIds?: number;
  /** Hits kept but too deep or too large to display: the panel shows a placeholder row (host only). */
  placeholders?: number;
  /** Hits per second over the last few seconds. */
  hitsPerSecond: number;
  /** The window's thread cannot keep up with the stream (host only): shown as "falling behind", never silent. */
  fallingBehind?: boolean;
  /** Times the stream worker died and was restarted (no connection was lost for it). */
  workerRestarts?: number;
}

export interface EngineSnapshot {
  /** Stream URL without credentials or query string. */
  streamUrl: string;
  state: ConnectionState;
  lastError?: LastError;
  stats: EngineStats;
  /** Set when the hits come from a team relay (Redis) instead of Adobe: `state` is then this viewer's Redis connection. */
  relay?: RelayView;
}

/** A viewer of a team relay: its own Redis connection plus what the relay publishes about its Adobe connection. */
export interface RelayView {
  /** `redis[s]://host:port/db` (never with a password). */
  redisUrl: string;
  /** The Redis Stream key. */
  key: string;
  /** This viewer's Redis connection. */
  redis: 'connecting' | 'connected' | 'reconnecting' | 'failed';
  /** Why the Redis connection is not up (secret-free). */
  redisError?: string;
  /** The relay's Adobe connection state ('connected', 'cooldown', …), 'none' when no relay has published a status, 'silent' when its heartbeat stopped. */
  relayState: string;
  /** When the relay's cooldown ends (ms), while it cools down. */
  relayUntil?: number;
  relayLastErrorCode?: string;
  relayLastErrorDescription?: string;
  relayHitsPerSecond?: number;
  /** Hits the relay dropped because Redis was unreachable too long. */
  relayDropped?: number;
  leader?: string;
}
