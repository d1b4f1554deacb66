// The stream pipeline's worker boundary (src/stream/pipeline.ts): real worker
// threads, a real loopback HTTP server, real gzip.
import { strict as assert } from 'node:assert';
import type { ServerResponse } from 'node:http';
import { createGzip, gzipSync } from 'node:zlib';
import { LiveStreamEngine } from '../../src/stream/liveStreamEngine';
import { defaultWorkerScript, WorkerPipeline } from '../../src/stream/pipeline';
import { InflatePipeline } from '../../src/stream/inflatePipeline';
import { batchBuffer, isShared, SharedBatchGauge } from '../../src/stream/sharedBatches';
import type { StoredHit } from '../../src/shared/model';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../../src/stream/logger';
import { collectHits, ScriptedServer, until } from '../support/engineHelpers';

/** A deterministic PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

const ALPHABET = ['a', 'Z', '7', ' ', 'é', 'ß', '東', '京', '😀', '\\"', '\\\\', '\\n', '\\u0000', '€', '\u00a0'];

/** Record i: exact 64-bit ids beyond 2^53, multi-byte text, escapes, sometimes CRLF. */
function record(i: number, rnd: () => number): string {
  const hi = (9_000_000_000_000_000_000n + BigInt(i) * 7_919n).toString();
  const lo = (18_000_000_000_000_000_000n + BigInt(i)).toString();
  let text = '';
  const n = Math.floor(rnd() * 300);
  for (let k = 0; k < n; k++) text += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
  return `{"hitIdHigh":${hi},"hitIdLow":${lo},"visIdHigh":${hi},"pageName":"p${i}","text":"${text}","n":${i}}`;
}

interface Script { lines: string[]; crlf: boolean[] }

function script(count: number, seed: number, repeatFrom = count): Script {
  const rnd = prng(seed);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(record(i, rnd));
  // The tail of the stream again: the de-duplication must drop every repeat.
  for (let i = repeatFrom; i < count; i++) lines.push(lines[i]!);
  return { lines, crlf: lines.map(() => rnd() < 0.2) };
}

/** Streams the script gzipped in random-sized writes, `perTick` records per 2 ms, then holds the stream open. */
function serve(s: Script, seed: number, perTick = 200, endStream = false): (req: unknown, res: ServerResponse) => void {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    const gz = createGzip({ level: 1 });
    gz.pipe(res);
    const rnd = prng(seed);
    let i = 0;
    const tick = () => {
      const end = Math.min(s.lines.length, i + perTick);
      let chunk = '';
      for (; i < end; i++) chunk += s.lines[i] + (s.crlf[i] ? '\r\n' : '\n');
      // Cut the bytes anywhere, also inside multi-byte characters.
      const bytes = Buffer.from(chunk);
      for (let at = 0; at < bytes.length;) {
        const len = 1 + Math.floor(rnd() * 5000);
        gz.write(bytes.subarray(at, at + len));
        at += len;
      }
      gz.flush();
      if (i < s.lines.length) setTimeout(tick, 2);
      else if (endStream) gz.end();
    };
    tick();
  };
}

const quietLog = (): Logger & { warns: string[]; errors: string[] } => {
  const warns: string[] = [];
  const errors: string[] = [];
  return { warns, errors, debug() {}, info() {}, warn: (m) => warns.push(m), error: (m) => errors.push(m) };
};

describe('stream pipeline: the worker boundary', function () {
  this.timeout(60_000);
  let server: ScriptedServer;
  let engine: LiveStreamEngine | undefined;
  beforeEach(async () => { server = await ScriptedServer.start(); });
  afterEach(async () => { await engine?.dispose(); engine = undefined; await server.close(); });

  function makeEngine(pipeline: 'off-thread' | 'worker' | 'inline', log = quietLog()): LiveStreamEngine {
    engine = new LiveStreamEngine({ stream: { url: server.url }, pipeline, keepRawBytes: true, log, cooldownMs: 60_000 });
    return engine;
  }

  it('preserves every byte of every record and their order, with exact ids, as the inline path does', async () => {
    const s = script(4000, 11);
    const results: Record<string, { raw: string[]; bytes: string[]; keys: string[]; mode: string }> = {};
    for (const mode of ['off-thread', 'worker', 'inline'] as const) {
      server.next(serve(s, 5));
      const e = makeEngine(mode);
      const got = collectHits(e);
      void e.start();
      await got.until(4000, 30_000);
      results[mode] = {
        raw: got.hits.map((h) => h.raw),
        bytes: got.hits.map((h) => Buffer.from(h.rawBytes!).toString('hex')),
        keys: got.hits.map((h) => h.key),
        mode: e.pipelineForTest!.mode,
      };
      // Parsed lazily on this thread for the worker's hits: still lossless.
      assert.equal(got.hits[3999]!.data.hitIdLow, (18_000_000_000_000_000_000n + 3999n).toString());
      assert.deepEqual(got.hits.map((h) => h.seq), got.hits.map((_h, i) => i + 1), 'numbered in stream order');
      await e.dispose();
      engine = undefined;
    }
    assert.equal(results.worker!.mode, 'worker', 'the records really went through a worker');
    assert.equal(results['off-thread']!.mode, 'off-thread', 'gunzip really ran in the inflater thread');
    for (const mode of ['off-thread', 'worker'] as const) {
      assert.deepEqual(results[mode]!.raw, s.lines.slice(0, 4000), `${mode}: every record, in order, byte for byte`);
      assert.deepEqual(results[mode]!.bytes, s.lines.slice(0, 4000).map((l) => Buffer.from(l).toString('hex')));
      assert.deepEqual(results[mode], { ...results.inline, mode });
    }
  });

  // The parse worker killed twice mid-stream, on this thread's pipeline and inside the inflater.
  for (const mode of ['worker', 'off-thread'] as const) {
    it(`${mode}: a parse worker killed mid-stream is restarted on the same connection: nothing lost, nothing twice`, async () => {
      // 6000 records, then the last 2000 again (de-duplication must span the restarts).
      const s = script(6000, mode === 'worker' ? 23 : 29, 4000);
      server.next(serve(s, 9, 20));
      const log = quietLog();
      const e = makeEngine(mode, log);
      const got = collectHits(e);
      void e.start();
      for (const at of [1000, 3000]) {
        await got.until(at, 30_000);
        if (mode === 'worker') {
          const p = e.pipelineForTest as WorkerPipeline;
          await until(() => p.unacknowledgedBytes > 0, 30_000, 'bytes in flight to the worker');
          await p.workerForTest!.terminate();
        } else {
          const p = e.pipelineForTest as InflatePipeline;
          await until(() => p.unacknowledgedBytes > 0, 30_000, 'bytes in flight to the parse worker');
          const before = p.restarts;
          p.killParserForTest();
          await until(() => p.restarts === before + 1, 30_000, 'the parse worker restarted').catch((err: Error) => { throw new Error(`${err.message}: ${log.warns.join('; ')} ${log.errors.join('; ')} restarts ${p.restarts}`); });
        }
      }
      await got.until(6000, 30_000);
      // The repeats come after the last kill: wait until they have all been seen and dropped.
      await until(() => e.snapshot().stats.duplicates === 2000, 30_000, 'all repeats dropped');
      assert.deepEqual(got.hits.map((h) => h.raw), s.lines.slice(0, 6000));
      assert.equal(e.pipelineForTest!.mode, mode);
      const st = e.snapshot().stats;
      assert.equal(st.received, 6000);
      assert.equal(st.workerRestarts, 2);
      assert.equal(server.requests.length, 1, 'no new connection for a restart');
      assert.equal(e.snapshot().state.kind, 'connected', JSON.stringify(e.snapshot().lastError));
      const restarts = log.warns.filter((w) => /stream worker died.*restarted/.test(w));
      assert.equal(restarts.length, 2, log.warns.join('\n'));
      // Killed mid-stream: each time there were bytes the dead worker had not acknowledged, and they were replayed.
      // (Inside the inflater, the count this thread waited on is the inflater's last report, so it is not checked there.)
      if (mode === 'worker') for (const w of restarts) assert.match(w, /replayed [1-9]\d* buffered/);
    });
  }

  it('a worker that keeps dying: after 3 restarts in a minute the records are processed on this thread, still all of them', async () => {
    const s = script(5000, 31);
    server.next(serve(s, 3, 20));
    const log = quietLog();
    const e = makeEngine('worker', log);
    const got = collectHits(e);
    void e.start();
    for (const at of [500, 1000, 1500, 2000]) {
      await got.until(at, 30_000);
      const w = (e.pipelineForTest as WorkerPipeline).workerForTest;
      await w?.terminate();
    }
    await got.until(5000, 30_000);
    assert.equal(e.pipelineForTest!.mode, 'inline');
    assert.deepEqual(got.hits.map((h) => h.raw), s.lines);
    assert.equal(server.requests.length, 1);
    assert.ok(log.errors.some((m) => /processing records on the main thread/.test(m)), log.errors.join('\n'));
  });

  for (const mode of ['worker', 'off-thread'] as const) {
    it(`${mode}: the end of a stream is reported only after every record received before it was delivered`, async () => {
      const s = script(3000, 41);
      server.next(serve(s, 1, 3000, true));
      engine = new LiveStreamEngine({ stream: { url: server.url }, pipeline: mode, log: quietLog(), autoReconnect: false });
      const got = collectHits(engine);
      let atStop = -1;
      engine.onState((snap) => { if (snap.state.kind === 'stopped') atStop = got.hits.length; });
      await engine.start();
      assert.equal(engine.pipelineForTest!.mode, mode);
      assert.equal(engine.snapshot().lastError?.code, 'stream-ended');
      assert.equal(atStop, 3000);
    });
  }

  describe('gunzip off the caller\'s thread (the inflater)', () => {
    it('an inflater that dies ends the response as a loss, read again after the cooldown with gunzip on this thread: nothing twice', async () => {
      // The same records again on the second connection (a replay, as Live Stream may send after a reconnect).
      const s = script(3000, 37);
      server.next(serve(s, 4, 20), serve(s, 4, 200));
      const log = quietLog();
      engine = new LiveStreamEngine({ stream: { url: server.url }, pipeline: 'off-thread', keepRawBytes: true, log, cooldownMs: 300, autoReconnect: true });
      const e = engine;
      const got = collectHits(e);
      void e.start();
      await got.until(1000, 30_000);
      await (e.pipelineForTest as InflatePipeline).inflaterForTest!.terminate();
      await until(() => server.requests.length === 2, 30_000, 'read again');
      await got.until(3000, 30_000);
      await until(() => e.snapshot().stats.duplicates >= 1000, 30_000, 'the replayed records dropped');
      assert.deepEqual(got.hits.map((h) => h.raw), s.lines, 'every record once, in order');
      assert.equal(e.pipelineForTest!.mode, 'worker', 'gunzip on this thread from then on');
      assert.ok(log.errors.some((m) => /inflater thread died .*read again after the cooldown/.test(m)), log.errors.join('\n'));
      const history = e.snapshot().lastError;
      assert.equal(history?.code, 'network');
      assert.match(history?.description ?? '', /inflater thread died/);
    });

    for (const ringBytes of [undefined, 100 * 1024]) it(`back-pressure: compressed bytes waiting for the inflater's gunzip stay bounded, and every record arrives in order (${ringBytes ? 'a 100 KiB ring: wrap-around and chunks that do not fit' : 'the default ring'})`, async () => {
      // The pipeline on its own, fed as fast as it accepts: write() must ask for a pause before the
      // compressed backlog passes its mark, and onWritable() must let the writer go on.
      const s = script(30_000, 43);
      const gz = gzipSync(`${s.lines.join('\n')}\n`, { level: 1 });
      const got: string[] = [];
      const p = new InflatePipeline({ compressedRingBytes: ringBytes, script: defaultWorkerScript(), processor: { keyOnly: true }, maxRecordBytes: 1 << 20, keepRawBytes: true, log: quietLog(), deliver: (hits) => { for (const h of hits) got.push(h.raw); } });
      try {
        let most = 0;
        let pauses = 0;
        for (let at = 0; at < gz.length; at += 64 * 1024) {
          if (!p.write([gz.subarray(at, at + 32 * 1024), gz.subarray(at + 32 * 1024, at + 64 * 1024)])) {
            pauses++;
            most = Math.max(most, p.compressedInFlight);
            await new Promise<void>((r) => p.onWritable(r));
          }
          most = Math.max(most, p.compressedInFlight);
        }
        const ended = new Promise<unknown>((r) => p.onEnd(r));
        p.end();
        assert.equal(await ended, undefined, 'gunzip ended cleanly');
        p.endResponse();
        await p.drain();
        assert.ok(gz.length > 4 * 1024 * 1024, `a payload (${gz.length} bytes) larger than the mark`);
        assert.ok(pauses > 0, 'the writer was asked to pause');
        assert.ok(most <= 1024 * 1024 + 64 * 1024, `at most ${most} compressed bytes waited`);
        assert.deepEqual(got, s.lines);
      } finally {
        await p.dispose();
      }
    });
  });
});

describe('stream pipeline: batches in shared memory, within a budget (sharedBatches.ts)', function () {
  this.timeout(60_000);

  it('batchBuffer: shared while the gauge has room (counted at once), ordinary past the budget (not counted)', () => {
    const g = new SharedBatchGauge(8 * 1024);
    const a = batchBuffer(3000, g.share);
    assert.ok(isShared(a), 'shared under budget');
    assert.equal(g.bytes, 3 * 1024, 'counted in whole KiB');
    const b = batchBuffer(5 * 1024, g.share);
    assert.ok(isShared(b), 'exactly at the budget: still shared');
    assert.equal(g.bytes, 8 * 1024);
    const c = batchBuffer(1, g.share);
    assert.ok(!isShared(c) && c.byteLength === 1, 'past the budget: an ordinary buffer');
    assert.equal(g.bytes, 8 * 1024, 'an ordinary buffer is not counted');
    assert.ok(!isShared(batchBuffer(10, undefined)), 'no gauge: ordinary');
    assert.ok(!isShared(batchBuffer(0, g.share)), 'an empty batch: ordinary');
  });

  /** Pushes `lines` through a pipeline, paced, and waits until every record was delivered. */
  async function run(p: { push(b: Buffer): boolean; endResponse(): void; drain(): Promise<void>; onWritable(cb: () => void): void } | InflatePipeline, lines: string[], inflate: boolean): Promise<void> {
    const body = Buffer.from(`${lines.join('\n')}\n`);
    if (inflate) {
      const ip = p as InflatePipeline;
      const gz = gzipSync(body, { level: 1 });
      for (let at = 0; at < gz.length; at += 16 * 1024) {
        if (!ip.write([gz.subarray(at, at + 16 * 1024)])) await new Promise<void>((r) => ip.onWritable(r));
        await new Promise((r) => setTimeout(r, 8)); // paced: batches of a piece or so each
      }
      const ended = new Promise<unknown>((r) => ip.onEnd(r));
      ip.end();
      await ended;
    } else {
      for (let at = 0; at < body.length; at += 16 * 1024) {
        if (!p.push(body.subarray(at, at + 16 * 1024))) await new Promise<void>((r) => p.onWritable(r));
        await new Promise((r) => setTimeout(r, 8));
      }
    }
    p.endResponse();
    await p.drain();
  }

  for (const mode of ['worker', 'off-thread'] as const) {
    it(`${mode}: batches arrive in shared memory under the budget and in ordinary buffers past it, every record byte for byte`, async () => {
      const s = script(6000, mode === 'worker' ? 51 : 53);
      // 512 KiB: a fraction of the ~2.4 MB stream, and many times a paced batch (~16 KiB).
      for (const budget of [undefined, 512 * 1024, 0]) {
        const hits: StoredHit[] = [];
        const gauge = budget === 0 ? undefined : new SharedBatchGauge(budget);
        const o = { script: defaultWorkerScript(), processor: { keyOnly: true }, maxRecordBytes: 1 << 20, keepRawBytes: true, log: quietLog(), deliver: (h: StoredHit[]) => { hits.push(...h); }, gauge, flushMs: 5 };
        const p = mode === 'worker' ? new WorkerPipeline(o) : new InflatePipeline(o);
        try {
          await run(p, s.lines, mode === 'off-thread');
          assert.deepEqual(hits.map((h) => Buffer.from(h.rawBytes!).toString()), s.lines, `budget ${budget}: every record in order`);
          const shared = new Set(hits.filter((h) => isShared(h.rawBytes!)).map((h) => h.rawBytes!.buffer));
          const ordinary = hits.filter((h) => !isShared(h.rawBytes!)).length;
          if (budget === undefined) assert.equal(ordinary, 0, 'the default budget holds this stream: all shared');
          else if (budget === 0) assert.equal(shared.size, 0, 'budget 0: no shared memory at all');
          else {
            // The hits keep every batch alive, so the gauge fills: shared up to the budget, then ordinary.
            assert.ok(shared.size > 0 && ordinary > 0, `shared batches ${shared.size}, ordinary hits ${ordinary}`);
            let sharedBytes = 0;
            for (const b of shared) sharedBytes += b.byteLength;
            assert.ok(sharedBytes <= budget, `${sharedBytes} shared bytes within the ${budget} budget`);
            assert.ok(gauge!.bytes <= budget, `gauge ${gauge!.bytes}`);
          }
        } finally {
          await p.dispose();
        }
      }
    });
  }

  it('after the inflater dies, its fallback on this thread counts its batches on the same gauge (one budget, not two)', async () => {
    const s = script(4000, 59);
    const hits: StoredHit[] = [];
    const gauge = new SharedBatchGauge();
    const p = new InflatePipeline({ script: defaultWorkerScript(), processor: { keyOnly: true }, maxRecordBytes: 1 << 20, keepRawBytes: true, log: quietLog(), deliver: (h) => { hits.push(...h); }, gauge });
    try {
      await run(p, s.lines.slice(0, 2000), true);
      const before = gauge.bytes;
      assert.ok(before > 0 && hits.length === 2000);
      const ended = new Promise<unknown>((r) => p.onEnd(r));
      await p.inflaterForTest!.terminate();
      assert.equal((await ended as { kind?: string } | undefined)?.kind, 'thread-died');
      await run(p, s.lines.slice(2000), false);
      assert.equal(p.mode, 'worker', 'gunzip on this thread now');
      assert.deepEqual(hits.map((h) => Buffer.from(h.rawBytes!).toString()), s.lines);
      assert.ok(hits.slice(2000).every((h) => isShared(h.rawBytes!)), 'the fallback\'s batches are shared too');
      const added = Buffer.byteLength(s.lines.slice(2000).join(''));
      // The first 2000 hits are still held here, so nothing counted before can have been collected.
      assert.ok(gauge.bytes >= before + added, `the same gauge counts them: ${gauge.bytes} vs. ${before} + ${added}`);
    } finally {
      await p.dispose();
    }
  });

  it('a shared batch stays counted while any view of it lives, and leaves the gauge once collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const s = script(3000, 57);
    let hits: StoredHit[] = [];
    const gauge = new SharedBatchGauge();
    const p = new InflatePipeline({ script: defaultWorkerScript(), processor: { keyOnly: true }, maxRecordBytes: 1 << 20, keepRawBytes: true, log: quietLog(), deliver: (h) => { hits.push(...h); }, gauge });
    try {
      await run(p, s.lines, true);
      assert.equal(hits.length, 3000);
      assert.ok(gauge.bytes >= Buffer.byteLength(s.lines.join('')), `all batches counted (${gauge.bytes} bytes)`);
      // Keep one record's bytes (a view into its batch): that batch must stay counted.
      let kept: Uint8Array | undefined = hits[1500]!.rawBytes!.subarray(0);
      const keptKiB = Math.ceil(kept.buffer.byteLength / 1024);
      hits = [];
      const settle = async (done: (n: number) => boolean) => {
        for (let k = 0; k < 200 && !done(gauge.bytes); k++) { gc(); await new Promise((r) => setTimeout(r, 10)); }
      };
      await settle((n) => n <= keptKiB * 1024);
      assert.equal(gauge.bytes, keptKiB * 1024, 'only the batch still viewed is counted');
      assert.equal(Buffer.from(kept).toString(), s.lines[1500], 'and its bytes are intact');
      kept = undefined;
      await settle((n) => n === 0);
      assert.equal(gauge.bytes, 0, 'collected: nothing counted');
    } finally {
      await p.dispose();
    }
  });
});
