import type { RedisOptions } from 'ioredis';
import { isIP } from 'node:net';
import { redact } from '../stream/logger';

/**
 * Where a relay or viewer finds Redis: parsed once from `redis[s]://[user[:password]@]host[:port][/db]`.
 * The password may also come from LIVESTREAM_REDIS_PASSWORD (preferred: a URL with a
 * password ends up in shell history and process lists). It never appears in
 * `display`, logs or error messages (see `redactRedis`).
 */
export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string;
  password?: string;
  /** The URL without userinfo: safe to log and show. */
  display: string;
}

export class RedisUrlError extends Error {}

/** Parses a Redis URL; `envPassword` (LIVESTREAM_REDIS_PASSWORD) wins over one in the URL. */
export function parseRedisUrl(text: string, envPassword?: string): RedisTarget {
  let u: URL;
  try { u = new URL(text); } catch { throw new RedisUrlError(`not a Redis URL: ${JSON.stringify(stripUserinfo(text))} (expected redis://host:port/db or rediss://host:port/db)`); }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new RedisUrlError(`the Redis URL must start with redis:// or rediss:// (TLS), not ${u.protocol}//`);
  if (!u.hostname) throw new RedisUrlError('the Redis URL has no host');
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0 || db > 15) throw new RedisUrlError(`the Redis database must be a number 0..15, got ${JSON.stringify(dbText)}`);
  const port = u.port ? Number(u.port) : 6379;
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const urlPassword = u.password ? decodeURIComponent(u.password) : undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host, port, db, tls: u.protocol === 'rediss:', username,
    password: envPassword || urlPassword || undefined,
    display: `${u.protocol}//${u.host}/${db}`,
  };
}

function stripUserinfo(text: string): string {
  return text.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1***@');
}

/** Removes the target's password (every form) and any URL userinfo from a text. */
export function redactRedis(text: string, target?: Pick<RedisTarget, 'password'>): string {
  return stripUserinfo(redact(text, target?.password ? [target.password] : []));
}

/** Reconnect back-off: 200 ms doubling to 5 s, with jitter (so many viewers do not reconnect in step). */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(5_000, 200 * 2 ** Math.min(attempt - 1, 5));
  return Math.round(base * (0.75 + random() * 0.5));
}

/** ioredis options for one connection. Commands fail at once while disconnected (our own buffers are bounded). */
export function clientOptions(t: RedisTarget, name: string, extra: { ca?: string; onAttempt?: (n: number, delay: number) => void } = {}): RedisOptions {
  return {
    host: t.host, port: t.port, db: t.db, username: t.username, password: t.password,
    // SNI takes a host name only; an IP address is verified against the certificate's IP SANs.
    tls: t.tls ? { ...(isIP(t.host) ? {} : { servername: t.host }), ...(extra.ca ? { ca: extra.ca } : {}) } : undefined,
    connectionName: name,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 5_000,
    enableReadyCheck: true,
    retryStrategy: (n: number) => { const d = reconnectDelay(n); extra.onAttempt?.(n, d); return d; },
    // ioredis would otherwise reconnect on READONLY only; a failover is handled by retryStrategy.
    reconnectOnError: () => false,
  };
}

/** A clear, secret-free description of a Redis error (wrong password, TLS, refused). */
export function describeRedisError(e: unknown, t?: RedisTarget): string {
  const err = e as NodeJS.ErrnoException & { message?: string };
  const msg = String(err?.message ?? e);
  if (/WRONGPASS|invalid username-password/i.test(msg)) return 'Redis refused the credentials (WRONGPASS): check LIVESTREAM_REDIS_PASSWORD or the user in the URL.';
  if (/NOAUTH/i.test(msg)) return 'Redis needs a password (NOAUTH): set LIVESTREAM_REDIS_PASSWORD.';
  if (/NOPERM/i.test(msg)) return `Redis refused a command for this user (NOPERM): ${redactRedis(msg, t)}`;
  if (err?.code === 'ECONNREFUSED') return `Redis at ${t?.display ?? 'the given address'} refused the connection (not running, or wrong port).`;
  if (/certificate|SSL|TLS|EPROTO/i.test(msg)) return `TLS to Redis failed: ${redactRedis(msg, t)}`;
  return redactRedis(msg, t);
}

/** Whether an error is one a retry cannot fix (credentials, permissions). */
export function isFatalRedisError(e: unknown): boolean {
  return /WRONGPASS|NOAUTH|invalid username-password|NOPERM/i.test(String((e as Error)?.message ?? e));
}
