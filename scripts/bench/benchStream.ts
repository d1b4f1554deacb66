// The bench's stream: a generated payload served from memory as fast as the
// socket takes it (shared by the engine and relay benches, so their numbers compare).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createHitGenerator } from '../../src/mock/hitGenerator';

export function payload(n: number, seed = 7): { gz: Buffer; raw: Buffer } {
  const gen = createHitGenerator({ seed });
  const now = Date.now();
  const lines: string[] = new Array(n);
  for (let i = 0; i < n; i++) lines[i] = gen.next(now);
  const raw = Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
  return { raw, gz: gzipSync(raw, { level: 6 }) };
}

/** Serves the gzip payload as one chunked response as fast as the socket takes it, then holds the connection open. */
export async function serveForever(gz: Buffer): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
    let off = 0;
    const pump = () => {
      while (off < gz.length) {
        const piece = gz.subarray(off, off + 16 * 1024);
        off += piece.length;
        if (!res.write(piece)) { res.once('drain', pump); return; }
      }
      // The real stream never ends: keep the connection open.
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}
