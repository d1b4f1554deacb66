/**
 * Stream options, validated before any request is made: a bad value is a clear
 * error naming the option, never a 400 from the server.
 */
import { ConfigError } from './errors';

export type ResetMode = 'smallest' | 'largest';

export interface StreamOptions {
  /** The stream URL Adobe provisioned, e.g. https://livestream.adobe.net/api/1/stream/<name>. */
  url: string;
  /** 1..8; every client of the stream must send the same value. Omitted when undefined. */
  maxConnections?: number;
  reset?: ResetMode;
  smoothing?: boolean;
  /** 1..7200 seconds; only sent with smoothing. */
  smoothingBucketSize?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** True for hosts that never leave this machine (the mock server). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.has(hostname.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Validates options and returns the request URL with the query parameters. */
export function buildStreamUrl(opts: StreamOptions): URL {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new ConfigError('url', `Stream URL is not a valid URL: ${JSON.stringify(truncate(opts.url, 200))}`);
  }
  if (url.username || url.password) throw new ConfigError('url', 'Stream URL must not contain credentials; use the token settings instead.');
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) throw new ConfigError('url', `Stream URL must use https (plain http is only allowed for a local mock server), got ${url.origin}`);
  } else if (url.protocol !== 'https:') {
    throw new ConfigError('url', `Stream URL must use https, got ${url.protocol}`);
  }
  url.hash = '';
  const q = url.searchParams;
  if (opts.maxConnections !== undefined) {
    if (!Number.isInteger(opts.maxConnections) || opts.maxConnections < 1 || opts.maxConnections > 8) {
      throw new ConfigError('maxConnections', `maxConnections must be an integer from 1 to 8, got ${opts.maxConnections}`);
    }
    q.set('maxConnections', String(opts.maxConnections));
  }
  if (opts.reset !== undefined) {
    if (opts.reset !== 'smallest' && opts.reset !== 'largest') {
      throw new ConfigError('reset', `reset must be "smallest" or "largest", got ${JSON.stringify(opts.reset)}`);
    }
    q.set('reset', opts.reset);
  }
  if (opts.smoothingBucketSize !== undefined) {
    const s = opts.smoothingBucketSize;
    if (!Number.isInteger(s) || s < 1 || s > 7200) {
      throw new ConfigError('smoothingBucketSize', `smoothingBucketSize must be an integer from 1 to 7200 seconds, got ${s}`);
    }
    if (!opts.smoothing) throw new ConfigError('smoothingBucketSize', 'smoothingBucketSize only applies with smoothing turned on');
  }
  if (opts.smoothing) {
    q.set('smoothing', '1');
    if (opts.smoothingBucketSize !== undefined) q.set('smoothingBucketSize', String(opts.smoothingBucketSize));
  }
  return url;
}

/** The key of a stream for the shared cooldown clock: origin + path, no query. */
export function streamKey(url: string | URL): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  return `${u.origin}${u.pathname}`;
}

/** Origin + path, safe to show (no query string, no credentials). */
export function displayUrl(url: string): string {
  try { return streamKey(url); } catch { return truncate(url, 200); }
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
