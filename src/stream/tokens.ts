import { request } from 'undici';
import type { Clock } from './clock';
import { LiveStreamError, describeBody } from './errors';
import { isLoopbackHost } from './streamConfig';
import { assertTrustedFor } from './credentialHosts';

/** Supplies the bearer token; `invalidate` is called after a 401. */
export interface TokenProvider {
  /** A token to use now. */
  getToken(signal?: AbortSignal): Promise<string>;
  /** Forget the cached token. Returns false when a fresh token cannot differ (a pasted token). */
  invalidate(): boolean;
  /** Values that must never appear in logs or errors. */
  secrets(): string[];
}

/** A pasted access token: nothing to refresh. */
export class StaticTokenProvider implements TokenProvider {
  constructor(private readonly token: string) {
    if (!token.trim()) throw LiveStreamError.symbolic('config', 'The access token is empty.', 'Set an access token.');
  }
  async getToken(): Promise<string> { return this.token.trim(); }
  invalidate(): boolean { return false; }
  secrets(): string[] { return [this.token]; }
}

/**
 * What IMS is asked when the user set nothing. The values live in package.json
 * (the settings' one home, read in session/settings.ts); the caller passes them
 * in, so the stream layer never reads settings itself.
 */
export interface ImsDefaults {
  imsUrl: string;
  /** Comma-separated. */
  scopes: string;
}

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  /** Comma-separated. */
  scopes?: string;
  imsUrl?: string;
  /** Hosts the user allowed to receive the secret besides https *.adobelogin.com (see credentialHosts.ts). */
  trustedHosts?: readonly string[];
  /** Used when `imsUrl` is unset or `scopes` blank. */
  defaults: ImsDefaults;
}

/**
 * OAuth server-to-server (client credentials) against Adobe IMS. The token is
 * cached until shortly before `expires_in` and refetched after a 401.
 */
export class ImsTokenProvider implements TokenProvider {
  private cached?: { token: string; expiresAt: number };
  private inflight?: Promise<string>;
  private readonly url: URL;
  /** Token requests made (for tests and the log). */
  fetches = 0;

  constructor(private readonly creds: ClientCredentials, private readonly clock: Clock, private readonly timeoutMs = 30_000) {
    if (!creds.clientId.trim() || !creds.clientSecret.trim()) {
      throw LiveStreamError.symbolic('config', 'Client id and client secret are both required.', 'Set the client id and secret.');
    }
    let url: URL;
    try { url = new URL(creds.imsUrl ?? creds.defaults.imsUrl); } catch {
      throw LiveStreamError.symbolic('config', 'The IMS token URL is not a valid URL.', 'Fix the IMS URL setting.');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
      throw LiveStreamError.symbolic('config', `The IMS token URL must use https, got ${url.origin}`, 'Fix the IMS URL setting.');
    }
    try {
      assertTrustedFor(url, 'clientSecret', creds.trustedHosts);
    } catch (e) {
      throw LiveStreamError.symbolic('untrusted-host', (e as Error).message, 'Use Adobe IMS (ims-na1.adobelogin.com), or allow the host in your user settings.');
    }
    this.url = url;
  }

  secrets(): string[] {
    return [this.creds.clientSecret, ...(this.cached ? [this.cached.token] : [])];
  }

  invalidate(): boolean {
    this.cached = undefined;
    return true;
  }

  async getToken(signal?: AbortSignal): Promise<string> {
    // Refresh a little early: 5 minutes, or 10% of a short lifetime.
    if (this.cached && this.clock.now() < this.cached.expiresAt) return this.cached.token;
    this.inflight ??= this.fetchToken(signal).finally(() => { this.inflight = undefined; });
    return this.inflight;
  }

  private async fetchToken(signal?: AbortSignal): Promise<string> {
    this.fetches++;
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.creds.clientId,
      client_secret: this.creds.clientSecret,
      scope: this.creds.scopes?.trim() || this.creds.defaults.scopes,
    }).toString();
    let res;
    try {
      res = await request(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw LiveStreamError.symbolic('token', `Token request to ${this.url.host} failed: ${(e as Error).message}`);
    }
    const text = await readCapped(res.body, 64 * 1024);
    if (res.statusCode !== 200) {
      const desc = describeBody(res.statusCode, text);
      const err = LiveStreamError.symbolic('token', `Adobe IMS refused the client credentials (${res.statusCode}): ${desc}`);
      throw err;
    }
    let json: { access_token?: unknown; expires_in?: unknown };
    try { json = JSON.parse(text) as typeof json; } catch {
      throw LiveStreamError.symbolic('token', 'Adobe IMS answered with something that is not JSON.');
    }
    if (typeof json.access_token !== 'string' || !json.access_token) {
      throw LiveStreamError.symbolic('token', 'Adobe IMS answer has no access_token.');
    }
    const ttlMs = (typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600) * 1000;
    const margin = Math.min(5 * 60_000, ttlMs * 0.1);
    this.cached = { token: json.access_token, expiresAt: this.clock.now() + ttlMs - margin };
    return json.access_token;
  }
}

/** Reads at most `limit` bytes of a body as text and discards the rest. */
export async function readCapped(body: BodyLike, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of body) {
      const b = Buffer.from(chunk);
      if (n + b.length >= limit) { parts.push(b.subarray(0, limit - n)); n = limit; break; }
      parts.push(b);
      n += b.length;
    }
  } catch { /* a truncated error body is still worth showing */ }
  discardBody(body);
  return Buffer.concat(parts, n).toString('utf8');
}

type BodyLike = AsyncIterable<Buffer | Uint8Array> & { destroy?: () => void; on?: (ev: 'error', fn: () => void) => unknown };

/** Releases a response body we no longer read (undici reports an abort as an 'error' event). */
export function discardBody(body: BodyLike): void {
  body.on?.('error', () => undefined);
  body.destroy?.();
}
