// The extension's demo stream in its own worker thread (src/session/demoServerHandle.ts): real worker, real loopback HTTP.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { startDemoServer, type DemoServer } from '../../src/session/demoServerHandle';
import { LiveStreamEngine } from '../../src/stream/liveStreamEngine';
import { collectHits, until } from '../support/engineHelpers';

describe('demo server in a worker thread', function () {
  this.timeout(30_000);
  let demo: DemoServer | undefined;
  let engine: LiveStreamEngine | undefined;
  afterEach(async () => { await engine?.dispose(); await demo?.close(); engine = undefined; demo = undefined; });

  it('streams from its own thread, takes control requests with its token, reports its counters, and closes', async () => {
    const logs: string[] = [];
    demo = await startDemoServer({ rate: 50, ghostSeconds: 0 }, (l) => logs.push(l));
    assert.equal(demo.thread, 'worker');
    if (process.platform === 'linux') {
      // Its thread runs at nice 10, below the thread that owns the window; this (main) thread is untouched.
      assert.ok(readdirSync('/proc/self/task').some((tid) => getPriority(Number(tid)) === 10), 'a thread at nice 10');
      assert.equal(getPriority(process.pid), 0);
    }
    assert.match(demo.streamUrl, /^http:\/\/127\.0\.0\.1:\d+\//);
    engine = new LiveStreamEngine({ stream: { url: demo.streamUrl } });
    const got = collectHits(engine);
    void engine.start();
    await got.until(10, 10_000);
    await until(() => demo!.activeConnections === 1 && demo!.emittedCount >= 10, 5000, 'counters from the worker');
    // Control needs the token; with it, the rate goes to firehose levels (records from a pool, unique ids).
    const post = (headers: Record<string, string>) => fetch(demo!.controlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ setRate: 5000 }) });
    assert.equal((await post({})).status, 401);
    assert.equal((await post(demo.controlHeaders)).status, 200);
    const before = got.hits.length;
    await got.until(before + 2000, 10_000);
    const keys = got.hits.map((h) => h.key);
    assert.equal(new Set(keys).size, keys.length, 'pooled records keep unique ids');
    await engine.dispose();
    engine = undefined;
    await demo.close();
    const url = demo.streamUrl;
    demo = undefined;
    await assert.rejects(fetch(url), 'the server is gone after close');
  });
});
