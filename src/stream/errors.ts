/**
 * The error classes of the connection and the session, in one module, and what
 * each Live Stream answer means and what the engine does about it (the table in
 * docs: livestream-api.md "Status codes").
 */
export type Disposition =
  /** Wait the (backed-off) cooldown, then try again. */
  | 'retry'
  /** Configuration or client problem: retrying cannot help; stop. */
  | 'permanent'
  /** Get a new token once; stop if that does not help. */
  | 'auth';

export interface Classification {
  disposition: Disposition;
  /** One line a person can act on. */
  explanation: string;
}

const TABLE: Record<number, Classification> = {
  400: { disposition: 'permanent', explanation: 'A query parameter was rejected (maxConnections must be 1–8, reset smallest|largest, smoothingBucketSize 1–7200). Fix the setting and connect again.' },
  401: { disposition: 'auth', explanation: 'The access token is missing, wrong or expired. Set new credentials (Live Stream: Set Credentials or LIVESTREAM_ACCESS_TOKEN).' },
  404: { disposition: 'permanent', explanation: 'No stream at this URL: check the stream URL, or the stream was disabled after 90 days unused (ask Adobe to re-enable it).' },
  405: { disposition: 'permanent', explanation: 'The server only accepts GET (client bug; please report it).' },
  406: { disposition: 'permanent', explanation: 'The server requires Accept-Encoding: gzip (client bug or a proxy stripping the header).' },
  409: { disposition: 'retry', explanation: 'Too many connections for maxConnections, or clients disagree on it. A connection lost moments ago may still hold the slot: waiting before reconnecting, as Adobe advises.' },
  424: { disposition: 'permanent', explanation: 'The stream is not enabled for this API version. Enable it once with GET https://livestream.adobe.net/api/2/enable/<stream-name>, then connect again.' },
  500: { disposition: 'retry', explanation: 'Adobe Live Stream service failure: retrying with back-off.' },
  502: { disposition: 'retry', explanation: 'Bad gateway in front of Live Stream: retrying with back-off.' },
  503: { disposition: 'retry', explanation: 'Stream unavailable (no hits yet for this report suite, or a stream migration): retrying with back-off.' },
  504: { disposition: 'retry', explanation: 'Gateway timeout in front of Live Stream: retrying with back-off.' },
  505: { disposition: 'permanent', explanation: 'The server requires HTTP/1.1 (client bug or a proxy upgrading the protocol).' },
};

/** Classifies an HTTP status that is not 200 or a redirect. */
export function classifyStatus(status: number): Classification {
  const known = TABLE[status];
  if (known) return known;
  if (status >= 500) return { disposition: 'retry', explanation: `Unexpected server error ${status}: retrying with back-off.` };
  return { disposition: 'permanent', explanation: `Unexpected answer ${status} from the stream; not retrying. Check the stream URL and proxy settings.` };
}

/**
 * The symbolic (non-HTTP) causes, a closed set: an unknown code is a compile
 * error, never silently explained as something else.
 */
export type SymbolicCode =
  | 'untrusted-host' | 'redirect-refused' | 'too-many-redirects'
  | 'idle-timeout' | 'stream-ended' | 'network' | 'bad-gzip'
  | 'token' | 'config' | 'user';

/** An HTTP status as text ('409'): made only by `LiveStreamError.http`. */
export type HttpCode = `${number}`;

/** What `LiveStreamError.code` (and so the model's `LastError.code`) can be. */
export type ErrorCode = SymbolicCode | HttpCode;

/** Symbolic causes with their explanations. */
export const SYMBOLIC: Readonly<Record<SymbolicCode, Classification>> = {
  'untrusted-host': { disposition: 'permanent', explanation: 'The stream URL points to a host that may not receive your credentials; nothing was sent. Use the URL Adobe provisioned, or allow the host in your user settings.' },
  'redirect-refused': { disposition: 'permanent', explanation: 'A redirect pointed somewhere credentials must not go; not following it. Check the stream URL.' },
  'too-many-redirects': { disposition: 'permanent', explanation: 'More than 5 redirects: not following further. Check the stream URL.' },
  'idle-timeout': { disposition: 'retry', explanation: 'No bytes for longer than the idle timeout: treating the connection as lost and reconnecting after the cooldown.' },
  'stream-ended': { disposition: 'retry', explanation: 'The server closed the stream: reconnecting after the cooldown.' },
  'network': { disposition: 'retry', explanation: 'Network error: reconnecting after the cooldown.' },
  'bad-gzip': { disposition: 'retry', explanation: "The stream's gzip data was corrupt: treating the connection as lost and reconnecting after the cooldown." },
  'token': { disposition: 'auth', explanation: 'Could not get an access token from Adobe IMS: check the client id, secret and scopes.' },
  'config': { disposition: 'permanent', explanation: 'Invalid configuration: nothing was sent.' },
  'user': { disposition: 'permanent', explanation: 'Disconnected by you.' },
};

/** An error the engine can explain: an HTTP answer (`http`) or a symbolic cause (`symbolic`). */
export class LiveStreamError extends Error {
  private constructor(
    readonly code: ErrorCode,
    message: string,
    readonly disposition: Disposition,
    readonly explanation: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LiveStreamError';
  }

  static http(status: number, body: string): LiveStreamError {
    const c = classifyStatus(status);
    return new LiveStreamError(String(status) as HttpCode, describeBody(status, body), c.disposition, c.explanation, status);
  }

  /** A symbolic cause; `explanation` replaces the table's when the caller knows better what helps. */
  static symbolic(code: SymbolicCode, message: string, explanation?: string): LiveStreamError {
    const c = SYMBOLIC[code];
    return new LiveStreamError(code, message, c.disposition, explanation ?? c.explanation);
  }
}

/**
 * What the server said: `error_description` verbatim when the body is Adobe's
 * JSON error (409 carries the useful text there), otherwise the first 500 bytes.
 */
export function describeBody(status: number, body: string): string {
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      const j = JSON.parse(trimmed) as Record<string, unknown>;
      if (typeof j.error_description === 'string' && j.error_description) return j.error_description;
      if (typeof j.message === 'string' && j.message) return j.message;
      if (typeof j.error === 'string' && j.error) return j.error;
    } catch { /* not JSON after all: fall through to the raw text */ }
  }
  const head = Buffer.from(trimmed, 'utf8').subarray(0, 500).toString('utf8');
  return head ? `HTTP ${status}: ${head}` : `HTTP ${status}`;
}

/** A stream option is invalid; nothing was sent. `option` names it. */
export class ConfigError extends Error {
  constructor(readonly option: string, message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A redirect would take the credentials somewhere they must not go (see redirectPolicy.ts). */
export class RedirectRefused extends Error {
  constructor(readonly host: string, message: string) {
    super(message);
    this.name = 'RedirectRefused';
  }
}

/** Which secret a host check is about: the bearer token or the OAuth client secret. */
export type SecretKind = 'token' | 'clientSecret';

/** The secret would go to a host nobody vouched for; nothing was sent (see credentialHosts.ts). */
export class UntrustedHostError extends Error {
  constructor(readonly host: string, readonly kind: SecretKind, readonly setting: string, message: string) {
    super(message);
    this.name = 'UntrustedHostError';
  }
}

/** Why an established stream ended (the engine records it as a loss). */
export class StreamLoss extends Error {
  constructor(readonly code: SymbolicCode, message: string) { super(message); }
}

/** A problem the user must fix; `action` names what helps. */
export class UserError extends Error {
  constructor(message: string, readonly action?: 'settings' | 'credentials' | 'takeover' | 'trustHost', readonly setting?: string, readonly host?: string) {
    super(message);
    this.name = 'UserError';
  }
}
