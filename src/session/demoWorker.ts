/**
 * The demo stream server in its own worker thread (bundled as
 * `dist/demoWorker.js`). The demo runs inside the extension host; raised to
 * firehose rates (the issue-11 drills), generating and compressing tens of
 * thousands of hits per second on the host's one thread would load the very
 * thread whose responsiveness is being measured. Here it has its own thread,
 * and the host talks to it over loopback HTTP (the stream, the control API)
 * and a status message every 100 ms (see demoServerHandle.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThreadPriority } from '../stream/threadPriority';
import { MockLiveStreamServer, type MockServerOptions } from '../mock/mockServer';

export interface DemoWorkerStatus {
  t: 'status';
  activeConnections: number;
  ghostConnections: number;
  emittedCount: number;
}

export type DemoWorkerMessage =
  | { t: 'ready'; streamUrl: string; controlUrl: string; controlHeaders: Record<string, string> }
  | DemoWorkerStatus
  | { t: 'log'; line: string }
  | { t: 'closed' }
  | { t: 'error'; message: string };

if (parentPort) {
  const port = parentPort;
  const opts = workerData as Omit<MockServerOptions, 'log'>;
  // A synthetic load: it yields to the extension host's thread and to the stream worker.
  lowerThisThreadPriority(10);
  void (async () => {
    try {
      const mock = await MockLiveStreamServer.start({ ...opts, log: (line) => port.postMessage({ t: 'log', line } satisfies DemoWorkerMessage) });
      const status = () => port.postMessage({ t: 'status', activeConnections: mock.activeConnections, ghostConnections: mock.ghostConnections, emittedCount: mock.emittedCount } satisfies DemoWorkerMessage);
      const timer = setInterval(status, 100);
      port.on('message', (m: { t: 'close' }) => {
        if (m.t !== 'close') return;
        clearInterval(timer);
        void mock.close().finally(() => { status(); port.postMessage({ t: 'closed' } satisfies DemoWorkerMessage); });
      });
      port.postMessage({ t: 'ready', streamUrl: mock.streamUrl, controlUrl: mock.controlUrl, controlHeaders: mock.controlHeaders } satisfies DemoWorkerMessage);
      status();
    } catch (e) {
      port.postMessage({ t: 'error', message: (e as Error).message } satisfies DemoWorkerMessage);
    }
  })();
}
