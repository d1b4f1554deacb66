import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LiveStreamEngine } from '../../src/stream/liveStreamEngine';
import type { ConnectionStateKind, EngineSnapshot, StoredHit } from '../../src/shared/model';

/** A bare loopback HTTP server whose requests are answered by the test, one handler per request. */
export class ScriptedServer {
  readonly requests: IncomingMessage[] = [];
  private handlers: ((req: IncomingMessage, res: ServerResponse) => void)[] = [];
  private fallback?: (req: IncomingMessage, res: ServerResponse) => void;
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<ScriptedServer> {
    const server = createServer();
    const s = new ScriptedServer(server);
    server.on('request', (req, res) => {
      s.requests.push(req);
      const h = s.handlers.shift() ?? s.fallback;
      if (h) h(req, res); else { res.statusCode = 500; res.end('no handler'); }
    });
    server.on('connection', (sock) => { s.sockets.add(sock); sock.on('close', () => s.sockets.delete(sock)); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return s;
  }

  get url(): string { return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/1/stream/test`; }
  get origin(): string { return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`; }

  /** Answers the next requests in order. */
  next(...h: ((req: IncomingMessage, res: ServerResponse) => void)[]): void { this.handlers.push(...h); }
  /** Answers every request not scripted with next(). */
  otherwise(h: (req: IncomingMessage, res: ServerResponse) => void): void { this.fallback = h; }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export function status(code: number, body = ''): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(body); };
}

/** Resolves with the first snapshot whose state is `kind` (checks the current one first). */
export function waitForState(engine: LiveStreamEngine, kind: ConnectionStateKind, timeoutMs = 5000): Promise<EngineSnapshot> {
  return new Promise((resolve, reject) => {
    const cur = engine.snapshot();
    if (cur.state.kind === kind) { resolve(cur); return; }
    const t = setTimeout(() => { off(); reject(new Error(`timed out waiting for ${kind}; state is ${JSON.stringify(engine.snapshot().state)}`)); }, timeoutMs);
    const off = engine.onState((s) => { if (s.state.kind === kind) { clearTimeout(t); off(); resolve(s); } });
  });
}

/** Collects hits; `until(n)` resolves once n hits arrived. */
export function collectHits(engine: LiveStreamEngine): { hits: StoredHit[]; until(n: number, timeoutMs?: number): Promise<StoredHit[]> } {
  const hits: StoredHit[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  engine.onHits((batch) => {
    hits.push(...batch);
    for (const w of [...waiters]) if (hits.length >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  });
  return {
    hits,
    until(n, timeoutMs = 5000) {
      if (hits.length >= n) return Promise.resolve(hits);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out: ${hits.length}/${n} hits`)), timeoutMs);
        waiters.push({ n, resolve: () => { clearTimeout(t); resolve(hits); } });
      });
    },
  };
}

/** Polls `cond` every 5 ms (real time) until true. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  // An async condition (a Redis query) is polled less often than a synchronous one.
  let r = cond();
  const pause = r instanceof Promise ? 50 : 5;
  while (!(await r)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, pause));
    r = cond();
  }
}
