// A TCP proxy on 127.0.0.1 for partition drills: one client reaches a server through it,
// and the test cuts that path (every socket destroyed, new connections refused) and heals it.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private refusing = false;

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    server.on('connection', (client) => proxy.pipe(client, targetPort));
    return proxy;
  }

  /** redis://127.0.0.1:<proxy port>/0 */
  get url(): string { return `redis://127.0.0.1:${this.port}/0`; }

  /** Destroys every connection through the proxy and refuses new ones until heal(). */
  cut(): void {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  heal(): void { this.refusing = false; this.dropAfter = undefined; this.dropping = false; }

  /**
   * From the moment a client sends `needle` (e.g. `EXEC`), nothing more the server answers reaches the
   * clients: the server did the work, the client never hears of it (an ambiguous failure). Ends with cut().
   */
  dropRepliesAfter(needle: string): void { this.dropAfter = needle; this.dropping = false; }

  private dropAfter?: string;
  private dropping = false;

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private pipe(client: Socket, targetPort: number): void {
    if (this.refusing) { client.destroy(); return; }
    const upstream = connect(targetPort, '127.0.0.1');
    const end = () => { client.destroy(); upstream.destroy(); this.sockets.delete(client); this.sockets.delete(upstream); };
    for (const s of [client, upstream]) { this.sockets.add(s); s.on('error', end); s.on('close', end); }
    let seen = '';
    client.on('data', (d: Buffer) => {
      if (this.dropAfter) {
        seen = (seen + d.toString('latin1')).slice(-(this.dropAfter.length + 64));
        if (seen.includes(this.dropAfter)) this.dropping = true;
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => { if (!this.dropping) client.write(d); });
  }
}
