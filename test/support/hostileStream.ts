/**
 * Hostile Live Stream shapes for the memory tests, served for real: a
 * loopback HTTP server (127.0.0.1 only) answering 200 with a gzip, chunked
 * body, written with back-pressure so the server never buffers the whole
 * stream. The records are generated lazily (hundreds of megabytes in all).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createGzip } from 'node:zlib';

/** A normal hit with ids (hi, lo), shaped like Adobe's sample. */
export function normalHit(hi: number, lo: number): string {
  return `{"hitIdHigh":${hi},"hitIdLow":${lo},"pageName":"page ${lo}","pageURL":"https://example.com/p/${lo}","timeGMT":${1_790_000_000 + lo},"reportSuite":"rs","evars":{"evars":{"eVar1":"x"}}}`;
}

/** A record whose hitIdHigh is a bare integer of `digits` digits (unique per `n`). */
export function longIdHit(n: number, digits = 64 * 1024): string {
  const id = `9${String(n).padStart(11, '0')}${'7'.repeat(digits - 12)}`;
  return `{"hitIdHigh":${id},"hitIdLow":${n},"pageName":"long id ${n}","timeGMT":${1_790_000_000 + n}}`;
}

/** A record of about `bytes` bytes (a long string field), with ids (hi, n). */
export function bigHit(hi: number, n: number, bytes: number): string {
  const head = `{"hitIdHigh":${hi},"hitIdLow":${n},"pageName":"big ${n}","timeGMT":${1_790_000_000 + n},"blob":"`;
  return head + 'b'.repeat(Math.max(0, bytes - head.length - 2)) + '"}';
}

/** A record of about `bytes` bytes whose field "x" is arrays nested bytes/2 levels deep. */
export function deepHit(hi: number, n: number, bytes = 400 * 1024): string {
  const head = `{"hitIdHigh":${hi},"hitIdLow":${n},"pageName":"deep ${n}","timeGMT":${1_790_000_000 + n},"x":`;
  const levels = Math.floor((bytes - head.length - 1) / 2);
  return head + '['.repeat(levels) + ']'.repeat(levels) + '}';
}

/**
 * Serves `records()` (called once per connection) as one endless Live Stream
 * response; after the last record the connection stays open (silence is healthy).
 */
export class HostileStreamServer {
  /** Records written so far (all connections). */
  sent = 0;
  /** Bytes before compression written so far. */
  sentBytes = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(records: () => Iterable<string>): Promise<HostileStreamServer> {
    const server = createServer();
    const s = new HostileStreamServer(server);
    server.on('connection', (sock) => { s.sockets.add(sock); sock.on('close', () => s.sockets.delete(sock)); });
    server.on('request', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      const gz = createGzip({ level: 1 });
      gz.pipe(res);
      const it = records()[Symbol.iterator]();
      const pump = () => {
        for (;;) {
          if (res.destroyed) return;
          const next = it.next();
          if (next.done) { gz.flush(); return; }
          s.sent++;
          s.sentBytes += next.value.length + 1;
          if (!gz.write(`${next.value}\n`)) { gz.once('drain', pump); return; }
        }
      };
      req.on('close', () => gz.destroy());
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return s;
  }

  get url(): string { return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/1/stream/hostile`; }

  async close(): Promise<void> {
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
