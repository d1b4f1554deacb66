/**
 * A local stand-in for Adobe's Live Stream service (see shared/docs/livestream-api.md).
 * It reproduces the protocol's sharp edges so the engine, the CLI and the extension
 * can be exercised without Adobe: endless gzip+chunked bodies whose flush
 * boundaries fall anywhere, the status-code rules in Adobe's order, the
 * load-balancer "ghost" slots behind intermittent 409s, replayed hits after a
 * reconnect, redirects, token issuance/expiry, and scripted faults that another
 * process can trigger over HTTP (`POST /_mock/control`).
 *
 * Plain Node only (no vscode): it also runs inside the extension host for the demo stream,
 * where any web page the user opens can send requests to 127.0.0.1. So the control
 * endpoint takes only requests that carry this server's random control token
 * (CONTROL_TOKEN_HEADER), a JSON content type and no Origin header (which no
 * browser request can avoid sending with a POST); every value it accepts is bounded,
 * and hit generation yields to the event loop in small slices.
 */
import http from 'node:http';
import type net from 'node:net';
import zlib from 'node:zlib';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createHitGenerator, type HitGenerator, type HitGeneratorOptions } from './hitGenerator';

export interface ScriptedResponse {
  status: number;
  /** Response body; when omitted, error statuses get an Adobe-style JSON body. */
  body?: string;
  headers?: Record<string, string>;
  /** `Location` header (302): relative (`/api/1/stream/demo2`) or absolute to anywhere. */
  location?: string;
}

export interface MockServerOptions {
  /** 0 (default) = ephemeral port. Always bound to 127.0.0.1. */
  port?: number;
  /** Generated hits per second (default 5; at most MAX_RATE, 100 000). */
  rate?: number;
  /** Seed of the hit generator (overrides `generator.seed`). */
  seed?: number;
  /** Slot limit when the client sends no `maxConnections` (default 1). */
  maxConnections?: number;
  /** A closed connection keeps its slot this long (default 0): Adobe's load-balancer ghost, the cause of 409 after a quick reconnect. */
  ghostSeconds?: number;
  /** A new connection first gets the last N hits already sent (default 5), so clients must dedupe. */
  replayOnReconnect?: number;
  /** Emit an empty record after every N hits (default 0 = never). */
  emptyRecordEvery?: number;
  /** Records end with CRLF (default true) or LF. */
  crlf?: boolean;
  /** gzip sync-flush after every N records (default 1); larger values put several records in one flush. */
  flushEveryRecords?: number;
  /** If > 0, write the plain text in slices of this many bytes, each flushed on its own, so records and UTF-8 characters are split. */
  chunkBytes?: number;
  /** If set, the stream requires `Authorization: Bearer <accessToken>`. */
  accessToken?: string;
  /** Credentials accepted by `POST /ims/token/v3`; when set, the stream also requires a token (static or issued). */
  clientId?: string;
  clientSecret?: string;
  /** `expires_in` of issued tokens (default 86399). */
  tokenTtlSeconds?: number;
  generator?: HitGeneratorOptions;
  log?: (line: string) => void;
  /** Stream names served under /api/1/stream/ and /api/2/stream/ (default demo, demo2). */
  streamNames?: string[];
  /** Hits generated while nobody is connected are kept (up to this many, default 1000) and delivered on the next connection unless it asks for `reset=largest|latest`. */
  backlogMax?: number;
  /** Per-connection buffered-bytes cap; a client slower than the rate loses hits beyond it (default 8 MiB). */
  maxBufferedBytes?: number;
  /** Serve `POST /_mock/control` (default true; it always requires `controlToken`). The CLI's `tail --demo` turns it off. */
  control?: boolean;
  /**
   * Firehose mode for benches: generate this many records once (at most MAX_POOL) and then send
   * them round-robin, each with a new unique `hitIdLow`, so generating costs one string
   * concatenation per hit and the rate is limited by gzip and the socket, not the generator.
   * Record times are those of the start. 0 (default): every hit freshly generated.
   */
  pool?: number;
}

/** From this rate on (set at run time), records come from a pool: see setRate. */
const FIREHOSE_RATE = 2000;
const FIREHOSE_POOL = 2000;

/** Largest `pool`: 10 000 records of ~1.5 KB is 15 MB. */
export const MAX_POOL = 10_000;

/** The header that must carry `controlToken` on every `POST /_mock/control`. */
export const CONTROL_TOKEN_HEADER = 'x-mock-control-token';
/** Upper bound of the hit rate (hits/s): twice what a 50 000 hits/s firehose bench needs. */
export const MAX_RATE = 100_000;
/** Largest control request body: room for a record beyond the engine's 4 MiB record limit. */
export const MAX_CONTROL_BODY_BYTES = 8 * 1024 * 1024;
/** Scripted answers waiting, per queue (stream, token). */
export const MAX_QUEUED_RESPONSES = 1000;
/** Largest scripted response body. */
export const MAX_SCRIPTED_BODY_BYTES = 64 * 1024;
/** Records per `inject` command. */
export const MAX_INJECT_RECORDS = 10_000;

export interface MockRequestLog {
  at: number;
  method: string;
  path: string;
  /** Query parameters; for the token endpoint, the form fields with client_secret masked. */
  query: Record<string, string>;
  authorization?: string;
  acceptEncoding?: string;
  apiKey?: string;
  status: number;
}

export interface MockStatus {
  activeConnections: number;
  ghostConnections: number;
  maxConcurrentObserved: number;
  emittedCount: number;
  droppedCount: number;
  tokenRequests: number;
  paused: boolean;
  rate: number;
  queued: number;
  queuedToken: number;
  requests: Array<Omit<MockRequestLog, 'authorization'> & { authorization?: string }>;
}

interface StreamConn {
  id: number;
  name: string;
  res: http.ServerResponse;
  socket: net.Socket;
  gzip: zlib.Gzip;
  pending: string[];
  /** No more writes (dropping or closed). */
  stopped: boolean;
  closed: boolean;
  closedPromise: Promise<void>;
}

const TOKEN_PATH = '/ims/token/v3';
const STREAM_RE = /^\/api\/[12]\/stream\/([^/]+)\/?$/;
const REQUEST_LOG_CAP = 1000;
const ISSUED_TOKEN_CAP = 1000;
const TICK_MS = 20;
/** Hits generated in one synchronous run (~2 ms at ~10 µs a hit) before yielding to I/O. */
const HITS_PER_SLICE = 200;
/** Generation time allowed per tick; what does not fit is dropped, so the rate falls short instead of the event loop stalling. */
const TICK_BUDGET_MS = 15;
/** After a stalled event loop, catch up by at most this much of the rate. */
const MAX_CATCH_UP_MS = 100;

/** Fixed-capacity FIFO: the replay buffer and the backlog must not grow with the stream. */
class Ring<T> {
  private items: T[] = [];
  private head = 0;
  constructor(private cap: number) {}
  get length(): number { return this.items.length; }
  push(x: T): void {
    if (this.cap <= 0) return;
    if (this.items.length < this.cap) { this.items.push(x); return; }
    this.items[this.head] = x;
    this.head = (this.head + 1) % this.cap;
  }
  toArray(): T[] { return this.items.slice(this.head).concat(this.items.slice(0, this.head)); }
  clear(): void { this.items = []; this.head = 0; }
}

const jsonError = (error: string, description: string): string => JSON.stringify({ error, error_description: description });

export class MockLiveStreamServer {
  private readonly server: http.Server;
  private readonly gen: HitGenerator;
  /** Pooled records cut around their hitIdLow digits (pool mode), and the next pooled record / unique id. */
  private readonly pool: { before: string; after: string }[] = [];
  private poolNext = 0;
  private readonly sockets = new Set<net.Socket>();
  private conns: StreamConn[] = [];
  /** Connections hits are written to (active and not being dropped). */
  private targets: StreamConn[] = [];
  private readonly ghosts = new Set<NodeJS.Timeout>();
  /** Pending internal delays, resolved early by close() so nothing waits on a dead server. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private agreedMax: number | undefined;
  private readonly queue: ScriptedResponse[] = [];
  private readonly tokenQueue: ScriptedResponse[] = [];
  private readonly replay: Ring<string>;
  private readonly backlog: Ring<string>;
  private readonly issued = new Map<string, number>();
  private readonly log: MockRequestLog[] = [];
  private readonly hooks = new Set<(r: MockRequestLog) => void>();
  private tickTimer: NodeJS.Timeout | undefined;
  /** The next slice of a tick's hits, when one tick's work did not fit in one slice. */
  private sliceImmediate: NodeJS.Immediate | undefined;
  private readonly controlSecret = randomBytes(32).toString('base64url');
  private readonly controlDigest = createHash('sha256').update(this.controlSecret).digest();
  private lastTick = Date.now();
  private due = 0;
  private rateValue: number;
  private pausedValue = false;
  private nextConnId = 1;
  private hitsSinceEmpty = 0;
  private closing: Promise<void> | undefined;
  private portValue = 0;

  private readonly eol: string;
  private readonly minFlushEvery: number;
  private readonly chunkBytes: number;
  private readonly ghostMs: number;
  private readonly defaultMax: number;
  private readonly streamNames: Set<string>;
  private readonly maxBuffered: number;

  private maxConcurrent = 0;
  private emitted = 0;
  private dropped = 0;
  private tokenCount = 0;

  static async start(opts: MockServerOptions = {}): Promise<MockLiveStreamServer> {
    const s = new MockLiveStreamServer(opts);
    await s.listen(opts.port ?? 0);
    return s;
  }

  private constructor(private readonly opts: MockServerOptions) {
    this.gen = createHitGenerator({ ...opts.generator, seed: opts.seed ?? opts.generator?.seed });
    this.rateValue = checkRate(opts.rate ?? 5);
    this.eol = opts.crlf === false ? '\n' : '\r\n';
    this.minFlushEvery = Math.max(1, Math.floor(opts.flushEveryRecords ?? 1));
    this.chunkBytes = Math.max(0, Math.floor(opts.chunkBytes ?? 0));
    this.ghostMs = Math.max(0, (opts.ghostSeconds ?? 0) * 1000);
    this.defaultMax = opts.maxConnections ?? 1;
    this.streamNames = new Set(opts.streamNames ?? ['demo', 'demo2']);
    this.maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.replay = new Ring(Math.max(0, Math.floor(opts.replayOnReconnect ?? 5)));
    this.backlog = new Ring(Math.max(0, Math.floor(opts.backlogMax ?? 1000)));
    this.fillPool(Math.min(MAX_POOL, Math.max(0, Math.floor(opts.pool ?? 0))));

    this.server = http.createServer((req, res) => this.onHttpRequest(req, res));
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      // Small records must leave at once, not wait for Nagle.
      socket.setNoDelay(true);
      // Clients abort all the time; that must never crash the host (it may be the extension host).
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (_err, socket) => { socket.destroy(); });
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        this.portValue = typeof addr === 'object' && addr ? addr.port : port;
        this.lastTick = Date.now();
        this.tickTimer = setInterval(() => this.tick(), TICK_MS);
        this.tickTimer.unref();
        resolve();
      });
    });
  }

  // ---- addresses -----------------------------------------------------------

  get port(): number { return this.portValue; }
  get origin(): string { return `http://127.0.0.1:${this.portValue}`; }
  get streamUrl(): string { return `${this.origin}/api/1/stream/demo`; }
  get tokenUrl(): string { return `${this.origin}${TOKEN_PATH}`; }
  get controlUrl(): string { return `${this.origin}/_mock/control`; }
  /**
   * The secret every control request must send in CONTROL_TOKEN_HEADER: 32 random
   * bytes, new for each server. It never leaves the process unless its owner
   * passes it on (the CLI's `mock --control` prints it to stderr).
   */
  get controlToken(): string { return this.controlSecret; }
  /** Headers for a control request: the token and the JSON content type. */
  get controlHeaders(): Record<string, string> {
    return { 'content-type': 'application/json', [CONTROL_TOKEN_HEADER]: this.controlSecret };
  }
  get statusUrl(): string { return `${this.origin}/_mock/status`; }

  // ---- introspection -------------------------------------------------------

  get activeConnections(): number { return this.conns.length; }
  get ghostConnections(): number { return this.ghosts.size; }
  /** Peak of active + ghost connections. */
  get maxConcurrentObserved(): number { return this.maxConcurrent; }
  /** Distinct generated hits written to a stream (replays not counted; injected records not counted). */
  get emittedCount(): number { return this.emitted; }
  /** Hits not written because a client's buffer was over `maxBufferedBytes`. */
  get droppedCount(): number { return this.dropped; }
  get tokenRequests(): number { return this.tokenCount; }
  get paused(): boolean { return this.pausedValue; }
  get rate(): number { return this.rateValue; }
  /** Last 1000 requests (stream, token), oldest first; control/status requests are not logged. */
  get requests(): readonly MockRequestLog[] { return this.log; }

  /** Calls `cb` after each logged request has been answered; returns an unsubscribe function. */
  onRequest(cb: (r: MockRequestLog) => void): () => void {
    this.hooks.add(cb);
    return () => { this.hooks.delete(cb); };
  }

  status(): MockStatus {
    return {
      activeConnections: this.activeConnections,
      ghostConnections: this.ghostConnections,
      maxConcurrentObserved: this.maxConcurrent,
      emittedCount: this.emitted,
      droppedCount: this.dropped,
      tokenRequests: this.tokenCount,
      paused: this.pausedValue,
      rate: this.rateValue,
      queued: this.queue.length,
      queuedToken: this.tokenQueue.length,
      // Never echo credentials: keep the scheme, mask the rest.
      requests: this.log.slice(-100).map((r) => ({
        ...r,
        authorization: r.authorization === undefined ? undefined : `${r.authorization.split(' ')[0]} ***`,
      })),
    };
  }

  // ---- scripted behaviour --------------------------------------------------

  /** The next stream requests get these answers, in order, before any other rule; then normal behaviour resumes. `{status: 200}` without body passes through. */
  enqueue(...responses: ScriptedResponse[]): void { pushBounded(this.queue, responses.map(checkScripted), 'enqueue'); }
  /** Same for the token endpoint. */
  enqueueToken(...responses: ScriptedResponse[]): void { pushBounded(this.tokenQueue, responses.map(checkScripted), 'enqueueToken'); }

  pause(): void {
    this.pausedValue = true;
    // What was generated must arrive, so an idle stream is idle at a record boundary.
    for (const c of this.targets) this.flushConn(c);
  }
  resume(): void {
    if (!this.pausedValue) return;
    this.pausedValue = false;
    this.lastTick = Date.now();
    this.due = 0;
  }
  setRate(n: number): void {
    this.rateValue = checkRate(n);
    // Firehose rates (the demo raised to thousands per second): generation must not be the
    // bottleneck, nor load the thread it shares (the demo runs in the extension host).
    if (this.rateValue >= FIREHOSE_RATE && this.pool.length === 0) this.fillPool(FIREHOSE_POOL);
  }

  /** Gzip flushes per record: as configured, and at high rates at most ~500 flushes/s (each costs a deflate call and a write). */
  private get flushEvery(): number {
    return Math.max(this.minFlushEvery, Math.ceil(this.rateValue / 500));
  }

  /** Pre-generates `n` records, resent with unique ids (pool mode). */
  private fillPool(n: number): void {
    for (let i = 0; i < n; i++) {
      const text = this.gen.next(Date.now());
      const m = /"hitIdLow":(\d+)/.exec(text);
      if (m) this.pool.push({ before: text.slice(0, m.index + 11), after: text.slice(m.index + m[0].length) });
    }
  }

  /** Sends `text` as one record (plus the line ending) to every active stream at once. Returns how many streams got it. */
  inject(text: string): number {
    for (const c of this.targets) {
      c.pending.push(text + this.eol);
      this.flushConn(c);
    }
    return this.targets.length;
  }

  /** Writes raw bytes into every active gzip stream, with no record framing. */
  injectBytes(buf: Buffer | Uint8Array): number {
    for (const c of this.targets) {
      this.flushConn(c);
      this.writeRaw(c, Buffer.from(buf));
    }
    return this.targets.length;
  }

  /** Invalidates every token the token endpoint issued (the static `accessToken` stays valid). */
  expireTokens(): void {
    for (const t of this.issued.keys()) this.issued.set(t, 0);
  }

  /**
   * Ends every active stream. 'end': clean end of the chunked body. 'reset': half a
   * record is written first, then the TCP connection is reset, so the client
   * holds a partial record. Resolves when all those connections are closed.
   * The hits cut in half are kept for the next connection, as Adobe resumes.
   */
  async dropAll(mode: 'end' | 'reset' = 'end'): Promise<void> {
    const victims = this.conns.filter((c) => !c.stopped);
    for (const c of victims) { this.flushConn(c); c.stopped = true; }
    this.targets = this.conns.filter((c) => !c.stopped);
    if (mode === 'end') {
      for (const c of victims) c.gzip.end();
    } else {
      await Promise.all(victims.map(async (c) => {
        const text = this.gen.next(Date.now());
        const bytes = Buffer.from(text + this.eol, 'utf8');
        await new Promise<void>((resolve) => { c.gzip.write(bytes.subarray(0, bytes.length >> 1), () => resolve()); });
        await this.drained(c);
        // Give the peer's event loop a moment to read the bytes before the RST
        // (an RST can make the receiver discard unread data).
        await this.delay(25);
        this.backlog.push(text);
        // RST rather than FIN: what a dropped load-balancer connection looks like (ECONNRESET).
        if (typeof c.socket.resetAndDestroy === 'function' && !c.socket.destroyed) c.socket.resetAndDestroy();
        else c.socket.destroy();
      }));
    }
    await Promise.all(victims.map((c) => c.closedPromise));
  }

  /** Stops everything and destroys every socket; resolves promptly even with open streams. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = new Promise<void>((resolve) => {
      if (this.tickTimer) clearInterval(this.tickTimer);
      if (this.sliceImmediate) clearImmediate(this.sliceImmediate);
      for (const t of this.ghosts) clearTimeout(t);
      this.ghosts.clear();
      for (const [t, wake] of this.timers) { clearTimeout(t); wake(); }
      this.timers.clear();
      for (const c of this.conns) { c.stopped = true; c.gzip.destroy(); }
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
    return this.closing;
  }

  // ---- emission ------------------------------------------------------------

  private tick(): void {
    const now = Date.now();
    const dt = now - this.lastTick;
    this.lastTick = now;
    if (this.pausedValue || this.rateValue <= 0) { this.due = 0; return; }
    // After a stalled event loop, catch up by a little at most instead of bursting.
    this.due = Math.min(this.due + (this.rateValue * dt) / 1000, Math.max(2, (this.rateValue * (TICK_MS + MAX_CATCH_UP_MS)) / 1000));
    if (!this.sliceImmediate) this.generate(now + TICK_BUDGET_MS);
  }

  /**
   * Emits what is due in slices of at most HITS_PER_SLICE, yielding to I/O
   * between slices, until nothing is due or the tick's budget is spent (the
   * rest waits for the next tick). No single run blocks the event loop for long,
   * even at MAX_RATE on a slow machine.
   */
  private generate(deadline: number): void {
    this.sliceImmediate = undefined;
    if (this.closing || this.pausedValue) return;
    const now = Date.now();
    const k = Math.min(Math.floor(this.due), HITS_PER_SLICE);
    if (k <= 0) return;
    this.due -= k;
    for (let i = 0; i < k; i++) this.emitHit(now);
    if (this.due >= 1 && Date.now() < deadline) this.sliceImmediate = setImmediate(() => this.generate(deadline));
  }

  /** The next record: freshly generated, or (pool mode) a pooled one with a new unique hitIdLow (1e18 + n: 19 digits, beyond 2^53, below 2^64). */
  private nextRecord(now: number): string {
    if (this.pool.length === 0) return this.gen.next(now);
    const n = this.poolNext++;
    const p = this.pool[n % this.pool.length]!;
    return `${p.before}1${String(n).padStart(18, '0')}${p.after}`;
  }

  private emitHit(now: number): void {
    const text = this.nextRecord(now);
    const targets = this.targets;
    if (targets.length === 0) {
      this.backlog.push(text);
      return;
    }
    // Like Adobe with several connections: hits are split between them, grouped by visitor.
    const c = targets.length === 1 ? targets[0]! : targets[(this.pool.length ? this.poolNext : this.gen.lastVisitor) % targets.length]!;
    if (this.writeRecord(c, text)) {
      this.emitted++;
      this.replay.push(text);
    }
    const every = this.opts.emptyRecordEvery ?? 0;
    if (every > 0 && ++this.hitsSinceEmpty >= every) {
      this.hitsSinceEmpty = 0;
      for (const t of targets) this.writeRecord(t, '');
    }
  }

  private writeRecord(c: StreamConn, text: string): boolean {
    if (c.stopped) return false;
    const buffered = c.gzip.writableLength + c.gzip.readableLength + c.socket.writableLength;
    if (buffered > this.maxBuffered) { this.dropped++; return false; }
    c.pending.push(text + this.eol);
    if (c.pending.length >= this.flushEvery) this.flushConn(c);
    return true;
  }

  private flushConn(c: StreamConn): void {
    if (c.pending.length === 0 || c.stopped) return;
    const text = c.pending.length === 1 ? c.pending[0]! : c.pending.join('');
    c.pending = [];
    this.writeRaw(c, Buffer.from(text, 'utf8'));
  }

  /** Each gzip write is sync-flushed (see createGzip below), so a write is exactly what the client can inflate next. */
  private writeRaw(c: StreamConn, buf: Buffer): void {
    if (c.gzip.destroyed || c.gzip.writableEnded) return;
    if (this.chunkBytes > 0) {
      for (let i = 0; i < buf.length; i += this.chunkBytes) c.gzip.write(buf.subarray(i, i + this.chunkBytes));
    } else {
      c.gzip.write(buf);
    }
  }

  private async drained(c: StreamConn): Promise<void> {
    for (let i = 0; i < 200 && !c.closed; i++) {
      if (c.gzip.writableLength === 0 && c.gzip.readableLength === 0 && c.socket.writableLength === 0) return;
      await this.delay(5);
    }
  }

  private delay(ms: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.timers.delete(t); resolve(); }, ms);
      this.timers.set(t, resolve);
    });
  }

  // ---- HTTP ----------------------------------------------------------------

  private onHttpRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (path === '/_mock/control') { void this.handleControl(req, res); return; }
    if (path === '/_mock/status') {
      if (req.method !== 'GET') { send(res, 405, jsonError('method_not_allowed', 'use GET'), { Allow: 'GET' }); return; }
      send(res, 200, JSON.stringify(this.status()));
      return;
    }
    if (path === TOKEN_PATH) { void this.handleToken(req, res); return; }
    this.handleStream(req, res, url);
  }

  private record(req: http.IncomingMessage, path: string, query: Record<string, string>, status: number): void {
    const h = req.headers;
    const entry: MockRequestLog = { at: Date.now(), method: req.method ?? '', path, query, status };
    if (h.authorization !== undefined) entry.authorization = h.authorization;
    if (h['accept-encoding'] !== undefined) entry.acceptEncoding = h['accept-encoding'];
    const apiKey = h['x-api-key'];
    if (apiKey !== undefined) entry.apiKey = Array.isArray(apiKey) ? apiKey.join(',') : apiKey;
    this.log.push(entry);
    if (this.log.length > REQUEST_LOG_CAP) this.log.splice(0, this.log.length - REQUEST_LOG_CAP);
    this.opts.log?.(`${entry.method} ${path}${Object.keys(query).length ? '?' + new URLSearchParams(query).toString() : ''} -> ${status}`);
    for (const cb of this.hooks) {
      try { cb(entry); } catch { /* a test hook must not break the server */ }
    }
  }

  private handleStream(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const name = STREAM_RE.exec(path)?.[1] ?? 'demo';
    const answer = (status: number, body: string, headers: Record<string, string> = {}): void => {
      send(res, status, body, headers);
      this.record(req, path, query, status);
    };

    const scripted = this.queue.shift();
    if (scripted && !(scripted.status === 200 && scripted.body === undefined)) {
      const { body, headers } = scriptedParts(scripted, name, this.defaultMax);
      answer(scripted.status, body, headers);
      return;
    }

    // Adobe's order of checks.
    if (req.method !== 'GET') { answer(405, jsonError('method_not_allowed', `Method ${req.method} not allowed; use GET`), { Allow: 'GET' }); return; }
    if (req.httpVersion !== '1.1') { answer(505, jsonError('http_version_not_supported', `HTTP/${req.httpVersion} not supported; use HTTP/1.1`)); return; }
    const ae = req.headers['accept-encoding'] ?? '';
    if (!/\bgzip\b/i.test(ae)) { answer(406, jsonError('not_acceptable', 'Accept-Encoding: gzip is required')); return; }
    const bad = validateQuery(url.searchParams);
    if (bad) { answer(400, jsonError('invalid_request', bad)); return; }
    const authError = this.checkAuth(req.headers.authorization);
    if (authError) { answer(401, jsonError('unauthorized', authError), { 'WWW-Authenticate': 'Bearer' }); return; }
    const m = STREAM_RE.exec(path);
    if (!m || !this.streamNames.has(m[1]!)) { answer(404, jsonError('not_found', `Stream not found: ${path}`)); return; }

    const requested = url.searchParams.has('maxConnections') ? Number(url.searchParams.get('maxConnections')) : this.defaultMax;
    const holders = this.conns.length + this.ghosts.size;
    if (holders === 0) this.agreedMax = requested;
    const limit = this.agreedMax ?? requested;
    if (requested !== limit) {
      answer(409, jsonError('conflict', `maxConnections mismatch (${requested} requested, ${limit} in use) for stream ${name}`));
      return;
    }
    if (holders >= limit) {
      answer(409, jsonError('conflict', `Maximum connections reached (${limit}) for stream ${name}`));
      return;
    }

    this.openStream(req, res, name, url.searchParams.get('reset'));
    this.record(req, path, query, 200);
  }

  private openStream(req: http.IncomingMessage, res: http.ServerResponse, name: string, reset: string | null): void {
    const socket = req.socket;
    // Z_SYNC_FLUSH as the default flag: every write() comes out as a complete deflate
    // block, which lets us place gzip boundaries exactly (mid-record, mid-character).
    const gzip = zlib.createGzip({ flush: zlib.constants.Z_SYNC_FLUSH, level: 1, chunkSize: 64 * 1024 });
    gzip.on('error', () => undefined);
    let markClosed!: () => void;
    const c: StreamConn = {
      id: this.nextConnId++, name, res, socket, gzip, pending: [], stopped: false, closed: false,
      closedPromise: new Promise<void>((r) => { markClosed = r; }),
    };
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Encoding': 'gzip',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache',
    });
    // An idle report suite is a 200 followed by silence: the headers must go out now.
    res.flushHeaders();
    gzip.pipe(res);
    res.on('close', () => {
      if (c.closed) return;
      c.closed = true;
      c.stopped = true;
      gzip.unpipe(res);
      gzip.destroy();
      this.conns = this.conns.filter((x) => x !== c);
      this.targets = this.targets.filter((x) => x !== c);
      if (this.ghostMs > 0 && !this.closing) this.addGhost();
      this.opts.log?.(`stream #${c.id} closed (${this.conns.length} active, ${this.ghosts.size} ghost)`);
      markClosed();
    });
    this.conns.push(c);
    this.targets.push(c);
    this.maxConcurrent = Math.max(this.maxConcurrent, this.conns.length + this.ghosts.size);

    if (reset !== 'largest' && reset !== 'latest') {
      // At-least-once delivery: repeat what was already sent, then what accumulated while nobody listened.
      for (const r of this.replay.toArray()) this.writeRecord(c, r);
      for (const r of this.backlog.toArray()) {
        if (this.writeRecord(c, r)) { this.emitted++; this.replay.push(r); }
      }
    }
    this.backlog.clear();
    this.flushConn(c);
  }

  private addGhost(): void {
    const t = setTimeout(() => { this.ghosts.delete(t); }, this.ghostMs);
    t.unref();
    this.ghosts.add(t);
  }

  private checkAuth(header: string | undefined): string | undefined {
    const { accessToken, clientId } = this.opts;
    if (!accessToken && !clientId) return undefined;
    if (!header) return 'Authorization header missing';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return 'Authorization must be a Bearer token';
    const token = m[1]!;
    if (accessToken && token === accessToken) return undefined;
    const exp = this.issued.get(token);
    if (exp !== undefined && exp > Date.now()) return undefined;
    return exp !== undefined ? 'Oauth token is expired' : 'Oauth token is not valid';
  }

  private async handleToken(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let fields: Record<string, string> = {};
    const answer = (status: number, body: string, headers: Record<string, string> = {}): void => {
      send(res, status, body, headers);
      const masked = { ...fields };
      if (masked.client_secret !== undefined) masked.client_secret = '***';
      this.record(req, TOKEN_PATH, masked, status);
    };
    if (req.method !== 'POST') { answer(405, jsonError('method_not_allowed', 'use POST'), { Allow: 'POST' }); return; }
    let body: string;
    try { body = (await readBody(req, 64 * 1024)).toString('utf8'); } catch { answer(413, jsonError('invalid_request', 'body too large')); return; }
    fields = Object.fromEntries(new URLSearchParams(body));
    this.tokenCount++;
    const scripted = this.tokenQueue.shift();
    if (scripted && !(scripted.status === 200 && scripted.body === undefined)) {
      const { body: b, headers } = scriptedParts(scripted, 'demo', this.defaultMax);
      answer(scripted.status, b, headers);
      return;
    }
    if (fields.grant_type !== 'client_credentials') { answer(400, JSON.stringify({ error: 'unsupported_grant_type' })); return; }
    if (!fields.client_id || !fields.client_secret) { answer(400, JSON.stringify({ error: 'invalid_request', error_description: 'client_id and client_secret are required' })); return; }
    const { clientId, clientSecret } = this.opts;
    if (!clientId || fields.client_id !== clientId || fields.client_secret !== (clientSecret ?? '')) {
      answer(401, JSON.stringify({ error: 'invalid_client', error_description: 'invalid client_id or client_secret' }));
      return;
    }
    const ttl = this.opts.tokenTtlSeconds ?? 86399;
    const token = `mock-${randomBytes(16).toString('hex')}`;
    this.issued.set(token, Date.now() + ttl * 1000);
    // Map keeps insertion order: drop the oldest tokens to bound memory.
    while (this.issued.size > ISSUED_TOKEN_CAP) this.issued.delete(this.issued.keys().next().value!);
    answer(200, JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: ttl }));
  }

  /**
   * `POST /_mock/control`. A web page can make a browser send a POST to 127.0.0.1
   * (as text/plain, without a preflight), so this refuses, before reading the body:
   * any request with an Origin header (browsers always send one with a POST),
   * any without this server's token, and any body that is not declared JSON.
   */
  private async handleControl(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const refuse = (status: number, error: string, description: string, headers: Record<string, string> = {}): void => {
      send(res, status, jsonError(error, description), { Connection: 'close', ...headers });
      req.resume();
    };
    if (this.opts.control === false) { refuse(404, 'not_found', 'control is disabled on this server'); return; }
    if (req.method !== 'POST') { refuse(405, 'method_not_allowed', 'use POST', { Allow: 'POST' }); return; }
    if (req.headers.origin !== undefined) { refuse(403, 'forbidden', 'control requests from web pages (with an Origin header) are refused'); return; }
    if (!this.tokenMatches(req.headers[CONTROL_TOKEN_HEADER])) {
      refuse(401, 'unauthorized', `the ${CONTROL_TOKEN_HEADER} header is missing or wrong`);
      return;
    }
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') { refuse(415, 'unsupported_media_type', `Content-Type must be application/json, got ${JSON.stringify(type || null)}`); return; }
    let cmd: unknown;
    try {
      cmd = JSON.parse((await readBody(req, MAX_CONTROL_BODY_BYTES)).toString('utf8'));
    } catch (e) {
      const big = (e as Error).message === 'body too large';
      if (big) refuse(413, 'invalid_request', `body larger than ${MAX_CONTROL_BODY_BYTES} bytes`);
      else send(res, 400, jsonError('invalid_request', `body must be a JSON object (${(e as Error).message})`));
      return;
    }
    try {
      await this.applyControl(cmd);
    } catch (e) {
      send(res, 400, jsonError('invalid_request', (e as Error).message));
      return;
    }
    send(res, 200, JSON.stringify(this.status()));
  }

  /** Constant-time comparison with the control token (digests, so a length difference reveals nothing either). */
  private tokenMatches(given: string | string[] | undefined): boolean {
    if (typeof given !== 'string' || given.length === 0) return false;
    return timingSafeEqual(createHash('sha256').update(given).digest(), this.controlDigest);
  }

  /** Applies a control command (the JSON of `POST /_mock/control`); all keys are validated before any is applied. */
  async applyControl(cmd: unknown): Promise<void> {
    if (typeof cmd !== 'object' || cmd === null || Array.isArray(cmd)) throw new Error('body must be a JSON object');
    const c = cmd as Record<string, unknown>;
    const known = ['enqueue', 'enqueueToken', 'setRate', 'pause', 'resume', 'inject', 'injectBytes', 'expireTokens', 'dropAll'];
    for (const k of Object.keys(c)) if (!known.includes(k)) throw new Error(`unknown command "${k}"; known: ${known.join(', ')}`);
    const asList = (v: unknown, key: string, queued: number): ScriptedResponse[] => {
      if (!Array.isArray(v)) throw new Error(`${key} must be an array of {status, body?, headers?, location?}`);
      if (queued + v.length > MAX_QUEUED_RESPONSES) throw new Error(`${key}: at most ${MAX_QUEUED_RESPONSES} scripted responses may wait (${queued} already do, ${v.length} more asked)`);
      return v.map((x) => checkScripted(x as ScriptedResponse));
    };
    const enqueue = c.enqueue === undefined ? undefined : asList(c.enqueue, 'enqueue', this.queue.length);
    const enqueueToken = c.enqueueToken === undefined ? undefined : asList(c.enqueueToken, 'enqueueToken', this.tokenQueue.length);
    if (c.setRate !== undefined) checkRate(c.setRate);
    if (c.pause !== undefined && typeof c.pause !== 'boolean') throw new Error('pause must be a boolean');
    if (c.resume !== undefined && c.resume !== true) throw new Error('resume must be true');
    if (c.expireTokens !== undefined && c.expireTokens !== true) throw new Error('expireTokens must be true');
    const inject = c.inject === undefined ? undefined : Array.isArray(c.inject) ? c.inject : [c.inject];
    if (inject?.some((x) => typeof x !== 'string')) throw new Error('inject must be a string or an array of strings');
    if (inject && inject.length > MAX_INJECT_RECORDS) throw new Error(`inject: at most ${MAX_INJECT_RECORDS} records per command, got ${inject.length}`);
    if (c.injectBytes !== undefined && (typeof c.injectBytes !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(c.injectBytes))) throw new Error('injectBytes must be base64 text');
    if (c.dropAll !== undefined && c.dropAll !== 'end' && c.dropAll !== 'reset') throw new Error('dropAll must be "end" or "reset"');

    if (enqueue) this.enqueue(...enqueue);
    if (enqueueToken) this.enqueueToken(...enqueueToken);
    if (c.setRate !== undefined) this.setRate(c.setRate as number);
    if (c.pause === true) this.pause();
    if (c.pause === false || c.resume === true) this.resume();
    if (c.expireTokens === true) this.expireTokens();
    for (const t of (inject ?? []) as string[]) this.inject(t);
    if (typeof c.injectBytes === 'string') this.injectBytes(Buffer.from(c.injectBytes, 'base64'));
    if (c.dropAll === 'end' || c.dropAll === 'reset') await this.dropAll(c.dropAll);
  }
}

// ---- helpers ----------------------------------------------------------------

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const h: Record<string, string | number> = { ...headers };
  if (body && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
  h['Content-Length'] = Buffer.byteLength(body);
  res.writeHead(status, h);
  res.end(body);
}

/** Reads a body of at most `cap` bytes; beyond that it rejects and discards the rest (so the client still reads the 413). */
function readBody(req: http.IncomingMessage, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (d: Buffer) => {
      if (over) return;
      size += d.length;
      if (size > cap) { over = true; parts = []; reject(new Error('body too large')); return; }
      parts.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function validateQuery(q: URLSearchParams): string | undefined {
  const mc = q.get('maxConnections');
  if (mc !== null && !/^[1-8]$/.test(mc)) return `maxConnections must be an integer from 1 to 8, got "${mc}"`;
  const reset = q.get('reset');
  if (reset !== null && !['smallest', 'largest', 'earliest', 'latest'].includes(reset)) return `reset must be smallest or largest, got "${reset}"`;
  const sb = q.get('smoothingBucketSize');
  if (sb !== null && !(/^\d{1,4}$/.test(sb) && Number(sb) >= 1 && Number(sb) <= 7200)) return `smoothingBucketSize must be an integer from 1 to 7200, got "${sb}"`;
  return undefined;
}

function scriptedParts(s: ScriptedResponse, name: string, max: number): { body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { ...s.headers };
  if (s.location !== undefined) headers.Location = s.location;
  return { body: s.body ?? defaultBody(s.status, name, max), headers };
}

/** Adobe-style bodies for scripted statuses, so a bare `{status: 409}` looks like the real thing. */
function defaultBody(status: number, name: string, max: number): string {
  switch (status) {
    case 400: return jsonError('invalid_request', 'Invalid request parameter');
    case 401: return jsonError('unauthorized', 'Oauth token is not valid');
    case 404: return jsonError('not_found', `Stream ${name} not found`);
    case 409: return jsonError('conflict', `Maximum connections reached (${max}) for stream ${name}`);
    case 424: return jsonError('failed_dependency', `Stream ${name} is not enabled for this API version; enable it with GET /api/2/enable/${name}`);
    case 500: return jsonError('server_error', 'Internal server error');
    case 503: return jsonError('service_unavailable', 'Service unavailable, retry later');
    default: return status >= 400 ? jsonError('mock_error', `Scripted ${status}`) : '';
  }
}

/**
 * Validates a scripted response completely, so that answering it later cannot
 * throw (an invalid header value thrown from a request handler would take the
 * whole process down, and in the demo that process is the extension host).
 */
function checkScripted(s: ScriptedResponse): ScriptedResponse {
  if (typeof s !== 'object' || s === null || !Number.isInteger(s.status) || s.status < 100 || s.status > 599) {
    throw new RangeError(`scripted response needs an integer status 100..599, got ${JSON.stringify(s)?.slice(0, 200)}`);
  }
  if (s.body !== undefined && (typeof s.body !== 'string' || Buffer.byteLength(s.body) > MAX_SCRIPTED_BODY_BYTES)) {
    throw new RangeError(`scripted body must be a string of at most ${MAX_SCRIPTED_BODY_BYTES} bytes`);
  }
  const headers: Record<string, string> = {};
  if (s.headers !== undefined) {
    if (typeof s.headers !== 'object' || s.headers === null || Array.isArray(s.headers)) throw new RangeError('scripted headers must be an object of strings');
    const entries = Object.entries(s.headers as Record<string, unknown>);
    if (entries.length > MAX_SCRIPTED_HEADERS) throw new RangeError(`at most ${MAX_SCRIPTED_HEADERS} scripted headers`);
    for (const [k, v] of entries) {
      if (typeof v !== 'string') throw new RangeError(`scripted header ${JSON.stringify(k)} must be a string`);
      checkHeader(k, v);
      headers[k] = v;
    }
  }
  if (s.location !== undefined) {
    if (typeof s.location !== 'string') throw new RangeError('location must be a string');
    checkHeader('Location', s.location);
  }
  return { status: s.status, body: s.body, headers: s.headers === undefined ? undefined : headers, location: s.location };
}

const MAX_SCRIPTED_HEADERS = 64;

function checkHeader(name: string, value: string): void {
  try {
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
  } catch (e) {
    throw new RangeError(`invalid scripted header ${JSON.stringify(name).slice(0, 100)}: ${(e as Error).message}`);
  }
  if (Buffer.byteLength(value) > 8192) throw new RangeError(`scripted header ${JSON.stringify(name)} is longer than 8192 bytes`);
}

function pushBounded(queue: ScriptedResponse[], items: ScriptedResponse[], what: string): void {
  if (queue.length + items.length > MAX_QUEUED_RESPONSES) throw new RangeError(`${what}: at most ${MAX_QUEUED_RESPONSES} scripted responses may wait`);
  queue.push(...items);
}

function checkRate(n: unknown): number {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > MAX_RATE) {
    throw new RangeError(`rate must be a number from 0 to ${MAX_RATE} hits/s, got ${JSON.stringify(n) ?? String(n)}`);
  }
  return n;
}
