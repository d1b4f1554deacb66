import type { EngineSnapshot } from '../shared/model';

/**
 * The relay's health as it publishes it to `<key>:status` (a Redis hash) and
 * viewers show it. Written by the leader about once a second (fenced, so a
 * deposed leader cannot overwrite it). Read by viewers as untrusted text:
 * `parseRelayStatus` bounds and checks every field.
 */
export interface RelayStatus {
  /** The leader's engine state kind (connected, cooldown, connecting, stopped) or 'released' after a clean shutdown. */
  state: string;
  /** When the current state began (ms). */
  since?: number;
  /** When the current cooldown ends (ms), if cooling down. */
  until?: number;
  lastErrorCode?: string;
  lastErrorDescription?: string;
  connectedSince?: number;
  hits: number;
  hitsPerSecond: number;
  /** Hits that did not fit the relay's buffer while Redis was unreachable. */
  dropped: number;
  /** Hits waiting in the relay's buffer. */
  buffered: number;
  /** `<host>/<pid>/<random>` of the leader. */
  leader: string;
  fence: number;
  /** When the leader last wrote this (ms): a stale heartbeat means no relay is running. */
  heartbeat: number;
  streamUrl?: string;
  /** The leader's lease and `--max-redis-outage` (ms): standbys check theirs against them (outageFence.ts). */
  leaseMs?: number;
  maxRedisOutageMs?: number;
}

/** Heartbeat interval of the status key. */
export const STATUS_INTERVAL_MS = 1_000;

/** A heartbeat older than this means no relay is publishing. */
export const STATUS_STALE_MS = 10_000;

export function statusFields(s: RelayStatus): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(s)) if (v !== undefined) out.push(k, String(v));
  return out;
}

export function statusFromSnapshot(snap: EngineSnapshot, extra: { leader: string; fence: number; dropped: number; buffered: number; connectedSince?: number; now: number; leaseMs?: number; maxRedisOutageMs?: number }): RelayStatus {
  const st = snap.state;
  return {
    state: st.kind,
    since: 'since' in st ? st.since : undefined,
    until: st.kind === 'cooldown' ? st.until : undefined,
    lastErrorCode: snap.lastError?.code,
    lastErrorDescription: snap.lastError?.description.slice(0, 500),
    connectedSince: extra.connectedSince,
    hits: snap.stats.received,
    hitsPerSecond: Math.round(snap.stats.hitsPerSecond * 10) / 10,
    dropped: extra.dropped,
    buffered: extra.buffered,
    leader: extra.leader,
    fence: extra.fence,
    heartbeat: extra.now,
    streamUrl: snap.streamUrl,
    leaseMs: extra.leaseMs,
    maxRedisOutageMs: extra.maxRedisOutageMs,
  };
}

const MAX_FIELD_CHARS = 500;
/** Longest lease or Redis-outage bound a relay accepts (the CLI's limits), ms. */
const MAX_DURATION_MS = 3_600_000;
const KNOWN_STATES = new Set(['idle', 'connecting', 'connected', 'cooldown', 'stopped', 'released', 'standby']);

/** Reads a status hash (HGETALL) from Redis; undefined when there is none. Untrusted: every field is checked. */
export function parseRelayStatus(h: Record<string, string> | null | undefined): RelayStatus | undefined {
  if (!h || typeof h !== 'object' || !('state' in h)) return undefined;
  const str = (k: string) => (typeof h[k] === 'string' && h[k] !== '' ? h[k].slice(0, MAX_FIELD_CHARS) : undefined);
  const num = (k: string) => { const n = Number(h[k]); return h[k] !== undefined && Number.isFinite(n) ? n : undefined; };
  const state = str('state') ?? 'unknown';
  // A duration a relay could have been configured with (the CLI's ranges), else unknown.
  const duration = (k: string) => { const n = num(k); return n !== undefined && n > 0 && n <= MAX_DURATION_MS ? n : undefined; };
  return {
    state: KNOWN_STATES.has(state) ? state : 'unknown',
    since: num('since'), until: num('until'),
    lastErrorCode: str('lastErrorCode')?.slice(0, 40), lastErrorDescription: str('lastErrorDescription'),
    connectedSince: num('connectedSince'),
    hits: num('hits') ?? 0, hitsPerSecond: num('hitsPerSecond') ?? 0,
    dropped: num('dropped') ?? 0, buffered: num('buffered') ?? 0,
    leader: str('leader')?.slice(0, 200) ?? '', fence: num('fence') ?? 0,
    heartbeat: num('heartbeat') ?? 0, streamUrl: str('streamUrl'),
    leaseMs: duration('leaseMs'), maxRedisOutageMs: duration('maxRedisOutageMs'),
  };
}
