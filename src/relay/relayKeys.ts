/**
 * The Redis keys of one relayed stream. Everything hangs off the stream key
 * (`livestream:<stream name>` by default) so one Redis can carry several streams.
 */
export interface RelayKeys {
  /** The Redis Stream of hits (XADD/XREAD). */
  stream: string;
  /** Who holds the Adobe connection: `<fence>:<relay id>`, with a TTL (SET NX PX). */
  lease: string;
  /** INCR counter: each new leader's fence number. */
  fence: string;
  /** The shared cooldown clock (hash: lastLossAt, notBefore, holder). */
  cooldown: string;
  /** The relay's health (hash; see relayStatus.ts). */
  status: string;
  /**
   * Who stands by (ZSET: member = relay id, score = when its registration expires, ms of Redis
   * `TIME`). A leader that knew of a standby at its last renewal steps down after a long Redis
   * outage, since that standby may take the lease (see outageFence.ts).
   */
  standbys: string;
}

export function relayKeys(stream: string): RelayKeys {
  return { stream, lease: `${stream}:lease`, fence: `${stream}:fence`, cooldown: `${stream}:cooldown`, status: `${stream}:status`, standbys: `${stream}:standbys` };
}

/** `livestream:<last path segment of the stream URL>`: the default key. */
export function defaultStreamKey(streamUrl: string): string {
  let name = 'stream';
  try { name = new URL(streamUrl).pathname.split('/').filter(Boolean).pop() ?? 'stream'; } catch { /* reported elsewhere */ }
  return `livestream:${name}`;
}

/** Longest key accepted (Redis allows 512 MB; a key is typed or configured by a person). */
export const MAX_KEY_CHARS = 200;

export function checkStreamKey(key: string): string | undefined {
  if (!key) return 'the Redis key is empty';
  if (key.length > MAX_KEY_CHARS) return `the Redis key is longer than ${MAX_KEY_CHARS} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f]/.test(key)) return 'the Redis key contains spaces or control characters';
  return undefined;
}
