/**
 * The extension's demo stream: the mock server run in a worker thread
 * (demoWorker.ts), or in this thread when no worker script is found. Either
 * way the session sees the same small surface.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DemoWorkerMessage } from './demoWorker';
import { MockLiveStreamServer, type MockServerOptions } from '../mock/mockServer';

export interface DemoServer {
  readonly streamUrl: string;
  /** POST JSON here with `controlHeaders` (the token) to script the demo (setRate, enqueue, dropAll …). */
  readonly controlUrl: string;
  readonly controlHeaders: Record<string, string>;
  /** Counters, at most ~100 ms old when the server runs in a worker. */
  readonly activeConnections: number;
  readonly ghostConnections: number;
  readonly emittedCount: number;
  /** Where it runs. */
  readonly thread: 'worker' | 'main';
  close(): Promise<void>;
}

/** The bundle's demo worker (dist/demoWorker.js), or this source file's sibling under tsx (tests). */
function demoWorkerScript(): string | undefined {
  for (const f of ['demoWorker.js', 'demoWorker.ts']) {
    const p = join(__dirname, f);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export async function startDemoServer(opts: Omit<MockServerOptions, 'log'>, log: (line: string) => void): Promise<DemoServer> {
  const script = demoWorkerScript();
  if (!script) {
    const mock = await MockLiveStreamServer.start({ ...opts, log });
    return Object.assign(mock, { thread: 'main' as const });
  }
  const worker = script.endsWith('.ts')
    ? new Worker(`require(${JSON.stringify(createRequire(__filename).resolve('tsx/cjs'))}); require(${JSON.stringify(script)});`, { eval: true, workerData: opts })
    : new Worker(script, { workerData: opts });
  // The demo lives as long as the window; it must never keep a process alive by itself.
  worker.unref();
  const status = { activeConnections: 0, ghostConnections: 0, emittedCount: 0 };
  let closed: (() => void) | undefined;
  const ready = await new Promise<Extract<DemoWorkerMessage, { t: 'ready' }>>((resolve, reject) => {
    worker.on('message', (m: DemoWorkerMessage) => {
      if (m.t === 'ready') resolve(m);
      else if (m.t === 'status') Object.assign(status, { activeConnections: m.activeConnections, ghostConnections: m.ghostConnections, emittedCount: m.emittedCount });
      else if (m.t === 'log') log(m.line);
      else if (m.t === 'closed') closed?.();
      else if (m.t === 'error') reject(new Error(`The demo server could not start: ${m.message}`));
    });
    worker.on('error', (e) => { log(`demo worker failed: ${e.message}`); reject(e); closed?.(); });
    worker.on('exit', () => closed?.());
  });
  return {
    streamUrl: ready.streamUrl,
    controlUrl: ready.controlUrl,
    controlHeaders: ready.controlHeaders,
    get activeConnections() { return status.activeConnections; },
    get ghostConnections() { return status.ghostConnections; },
    get emittedCount() { return status.emittedCount; },
    thread: 'worker',
    async close() {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        closed = () => { clearTimeout(t); resolve(); };
        worker.postMessage({ t: 'close' });
      });
      await worker.terminate();
    },
  };
}
