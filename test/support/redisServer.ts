// A real redis-server (Debian package `redis-server`) for the relay tests: its own
// instance on a free loopback port, in a temp dir, stopped afterwards. No Redis mock.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

const root = join(__dirname, '../..');

/** Installs redis-server when missing (as root with apt), like the browser for the webview tests. */
export function ensureRedisServer(): void {
  const r = spawnSync(process.execPath, [join(root, 'scripts/setup/system.mjs'), 'redis'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('redis-server is missing (see the line above)');
}

/** A suite's redis-server: installed if missing and started before its tests, stopped after; call the result inside a test. */
export function useRedisServer(opts: RedisOptions = {}): () => RedisServer {
  let server: RedisServer | undefined;
  before(async function () {
    this.timeout(120_000);
    ensureRedisServer();
    server = await RedisServer.start(opts);
  });
  after(() => server?.stop());
  return () => server!;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

export interface RedisOptions {
  /** requirepass */
  password?: string;
  /** Keep data across restart() (appendonly). */
  persist?: boolean;
  /** TLS only: cert/key/CA files; the port is then a TLS port. */
  tls?: { cert: string; key: string; ca: string };
}

export class RedisServer {
  private proc?: ChildProcess;
  private readonly clients: Redis[] = [];
  private constructor(readonly port: number, readonly dir: string, private readonly opts: RedisOptions) {}

  static async start(opts: RedisOptions = {}): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'lsi-redis-'));
    const s = new RedisServer(await freePort(), dir, opts);
    await s.launch();
    return s;
  }

  /** redis[s]://127.0.0.1:port/0 (without the password). */
  get url(): string { return `${this.opts.tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}/0`; }

  private args(): string[] {
    const a = ['--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', this.opts.persist ? 'yes' : 'no', '--protected-mode', 'no', '--loglevel', 'warning'];
    if (this.opts.persist) a.push('--appendfsync', 'always');
    if (this.opts.password) a.push('--requirepass', this.opts.password);
    if (this.opts.tls) a.push('--port', '0', '--tls-port', String(this.port), '--tls-cert-file', this.opts.tls.cert, '--tls-key-file', this.opts.tls.key, '--tls-ca-cert-file', this.opts.tls.ca, '--tls-auth-clients', 'no');
    else a.push('--port', String(this.port));
    return a;
  }

  private async launch(): Promise<void> {
    let log = '';
    const p = spawn('redis-server', this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d) => { log += d; });
    p.stderr!.on('data', (d) => { log += d; });
    this.proc = p;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`redis-server exited (${p.exitCode}): ${log}`);
      const c = this.client();
      try { await c.ping(); c.disconnect(); return; } catch { c.disconnect(); }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${this.port}: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** A plain client for the test's own checks (closed by stop()). */
  client(): Redis {
    const c = new Redis({
      host: '127.0.0.1', port: this.port, password: this.opts.password, lazyConnect: false, maxRetriesPerRequest: 1,
      retryStrategy: () => 100, tls: this.opts.tls ? { ca: readFileSync(this.opts.tls.ca) } : undefined,
    });
    c.on('error', () => undefined);
    this.clients.push(c);
    return c;
  }

  /** Stops the server (SIGKILL when `hard`), keeping its directory. */
  async halt(hard = false): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  }

  /** Starts it again on the same port (and directory: with `persist`, the data is back). */
  async restart(): Promise<void> {
    await this.halt();
    await this.launch();
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.disconnect();
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
