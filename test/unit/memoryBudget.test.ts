/**
 * Issue 9.5: memory bounded in bytes, not only in count, and hits that cannot
 * be displayed shown as placeholders instead of silently dropping batches.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DedupeWindow, DEFAULT_DEDUPE_BYTES, MAX_HIT_KEY_CHARS } from '../../src/stream/dedupe';
import { DEFAULT_HIT_STORE_BYTES, HitStore, MAX_STORED_RECORD_BYTES, measureData } from '../../src/session/hitStore';
import { LiveStreamEngine } from '../../src/stream/liveStreamEngine';
import type { Logger } from '../../src/stream/logger';
import { MAX_DISPLAY_DEPTH, type StoredHit } from '../../src/shared/model';
import { parseSettings } from '../../src/session/settings';
import { statusView } from '../../src/shared/statusView';
import { StreamService } from '../../src/session/streamService';
import { postChecked } from '../../src/host/panelBackend';
import { hitsFromWire, isHostToWebview, wireHits } from '../../src/shared/protocol';
import { collectHits, until } from '../support/engineHelpers';
import { bigHit, deepHit, HostileStreamServer, longIdHit, normalHit } from '../support/hostileStream';

const MiB = 1024 * 1024;
const root = join(__dirname, '../..');

const hit = (seq: number, raw: string, data: Record<string, unknown> = JSON.parse(raw) as Record<string, unknown>): StoredHit =>
  ({ seq, key: `k:${seq}`, receivedAt: 1_790_000_000_000 + seq, data, raw });

/** Parsed nested arrays `levels` deep, built without recursion. */
function nested(levels: number): unknown[] {
  const top: unknown[] = [];
  let cur = top;
  for (let i = 1; i < levels; i++) { const next: unknown[] = []; cur.push(next); cur = next; }
  return top;
}

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, debug() {}, info: (m) => lines.push(`info: ${m}`), warn: (m) => lines.push(`warn: ${m}`), error: (m) => lines.push(`error: ${m}`) };
}

describe('memory budgets (issue 9.5)', function () {
  this.timeout(60_000);

  describe('DedupeWindow byte budget', () => {
    it('has documented defaults: 16 MiB of key memory, keys of at most 64 characters', () => {
      assert.equal(DEFAULT_DEDUPE_BYTES, 16 * MiB);
      assert.equal(MAX_HIT_KEY_CHARS, 64);
      // A real key is two 64-bit decimals and ':' (41 characters): well inside the limit.
      assert.ok('18446744073709551615:18446744073709551615'.length <= MAX_HIT_KEY_CHARS);
    });

    it('evicts the oldest keys to stay within the byte budget, before the count limit', () => {
      // 10-character keys cost 64 + 10 bytes each: a 300-byte budget holds 4 of them.
      const d = new DedupeWindow(1000, 300);
      const keys = ['k000000001', 'k000000002', 'k000000003', 'k000000004', 'k000000005'];
      for (const k of keys) assert.equal(d.add(k), true);
      assert.equal(d.size, 4);
      assert.ok(d.bytes <= 300, `${d.bytes} bytes`);
      assert.equal(d.add('k000000005'), false, 'the newest is still remembered');
      assert.equal(d.add('k000000002'), false, 'so is the second');
      assert.equal(d.add('k000000001'), true, 'the oldest was evicted, so it counts as new again');
    });

    it('does not remember a key longer than the limit (the engine refuses such records first)', () => {
      const d = new DedupeWindow();
      const long = '9'.repeat(64 * 1024);
      assert.equal(d.add(long), true);
      assert.equal(d.add(long), true);
      assert.equal(d.size, 0);
      assert.equal(d.bytes, 0);
    });

    it('property: never more keys than the window, never more bytes than the budget', () => {
      fc.assert(fc.property(fc.array(fc.string({ maxLength: 80 }), { maxLength: 400 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 64, max: 4000 }), (keys, cap, budget) => {
        const d = new DedupeWindow(cap, budget);
        for (const k of keys) {
          d.add(k);
          assert.ok(d.size <= cap);
          assert.ok(d.bytes <= budget || d.size === 1, `${d.bytes} > ${budget} with ${d.size} keys`);
        }
      }));
    });
  });

  describe('HitStore byte budget, per-record limit and placeholders', () => {
    it('has documented defaults: 256 MiB of estimated memory, records of at most 1 MiB', () => {
      assert.equal(DEFAULT_HIT_STORE_BYTES, 256 * MiB);
      assert.equal(MAX_STORED_RECORD_BYTES, MiB);
      assert.equal(MAX_DISPLAY_DEPTH, 64);
    });

    it('evicts the oldest hits to stay within the byte budget, and counts those evictions', () => {
      const raw = (n: number) => JSON.stringify({ hitIdHigh: '1', hitIdLow: String(n), blob: 'x'.repeat(10_000) });
      const probe = new HitStore(10);
      probe.push(hit(0, raw(0)));
      // The second of a shape: its property names are known (V8 shares them between records).
      const one = probe.push(hit(1, raw(1)));
      assert.ok(one.kept);
      const cost = one.cost;
      assert.ok(cost > 20_000 && cost < 22_000, `cost of a 10 KB record (text + parsed copy): ${cost}`);
      const s = new HitStore(1000, { maxBytes: cost * 3 + 10 });
      for (let i = 1; i <= 10; i++) assert.ok(s.push(hit(i, raw(i))).kept);
      assert.deepEqual(s.toArray().map((h) => h.seq), [8, 9, 10]);
      assert.ok(s.bytes <= cost * 3 + 10);
      assert.equal(s.evictedForBytes, 7);
      assert.equal(s.oldestSeq, 8);
      // The count limit still applies, and resize keeps the byte accounting.
      s.resize(2);
      assert.deepEqual(s.toArray().map((h) => h.seq), [9, 10]);
      assert.ok(Math.abs(s.bytes - cost * 2) < 16, `${s.bytes} vs ${cost * 2}`);
      s.clear();
      assert.equal(s.bytes, 0);
      assert.equal(s.oldestSeq, undefined);
    });

    it('refuses a record over the per-record limit, counted, and keeps the rest', () => {
      const s = new HitStore(10, { maxRecordBytes: 1000 });
      const r = s.push(hit(1, JSON.stringify({ blob: 'é'.repeat(600) })));
      assert.deepEqual(r, { kept: false, bytes: 1211 }, 'the size is in UTF-8 bytes');
      assert.ok(s.push(hit(2, '{"a":1}')).kept);
      assert.equal(s.refused, 1);
      assert.deepEqual(s.toArray().map((h) => h.seq), [2]);
    });

    it('a hit nested deeper than 64 levels is kept as a placeholder: top-level scalars only, raw text untouched', () => {
      const s = new HitStore(10);
      const data: Record<string, unknown> = { hitIdHigh: '1', hitIdLow: '2', pageName: 'deep', timeGMT: 1_790_000_000, x: nested(200_000), __proto__x: 1 };
      const h = hit(1, '{"raw":"text kept as received"}', data);
      const r = s.push(h);
      assert.ok(r.kept && r.omitted);
      assert.deepEqual(r.omitted, { reason: 'too-deep', bytes: 31 });
      assert.deepEqual(h.data, { hitIdHigh: '1', hitIdLow: '2', pageName: 'deep', timeGMT: 1_790_000_000, __proto__x: 1 });
      assert.equal(h.raw, '{"raw":"text kept as received"}');
      assert.equal(s.placeholders, 1);
      // 64 levels is still fine.
      const ok = hit(2, '{}', { x: nested(63) });
      assert.ok(s.push(ok).kept && !ok.omitted);
    });

    it('measureData walks 200 000 levels without recursion and stops at the limit', () => {
      const m = measureData({ x: nested(200_000) });
      assert.equal(m.problem, 'too-deep');
      assert.equal(measureData({ x: nested(63) }).problem, undefined);
      assert.equal(measureData({ s: 'y'.repeat(100) }, 64, 50).problem, 'too-large');
    });
  });

  describe('what crosses to the webview', () => {
    it('a batch with a too-deep hit serializes: the bad hit is a placeholder, the others arrive intact', () => {
      const s = new HitStore(10);
      const batch = [hit(1, '{"pageName":"before"}'), hit(2, '{}', { timeGMT: 1_790_000_000, pageName: 'deep', x: nested(200_000) }), hit(3, '{"pageName":"after"}')];
      assert.throws(() => JSON.stringify(batch.map((h) => h.data)), RangeError, 'the shape that used to lose the batch');
      for (const h of batch) s.push(h);
      const { hits: wire, records } = wireHits(batch);
      const msg = { ...JSON.parse(JSON.stringify({ type: 'hits', hits: wire, now: 1, oldestSeq: 1 })) as object, records } as unknown;
      assert.ok(isHostToWebview(msg));
      assert.deepEqual(hitsFromWire(wire, records).map((h) => h.data.pageName), ['before', undefined, 'after']);
      assert.equal(Buffer.from(records!.subarray(0, wire[0]!.len)).toString(), '{"pageName":"before"}', 'the record bytes, parsed by the webview');
      assert.deepEqual(wire[1], { seq: 2, key: 'k:2', receivedAt: 1_790_000_000_002, data: { timeGMT: 1_790_000_000 }, omitted: { reason: 'too-deep', bytes: 2 } });
      assert.ok(!('raw' in wire[0]!), 'raw text stays on the host');
      // Validators: a malformed placeholder is refused, an oldestSeq must be a seq.
      assert.ok(!isHostToWebview({ type: 'hits', hits: [{ ...wire[1], omitted: { reason: 'x', bytes: 1 } }], now: 1 }));
      assert.ok(!isHostToWebview({ type: 'hits', hits: [], now: 1, oldestSeq: -1 }));
    });

    it('postChecked logs every failure of postMessage (throw, rejection, false) and never throws', async () => {
      const lines: string[] = [];
      const log = (m: string) => lines.push(m);
      assert.equal(await postChecked({ postMessage: () => { throw new RangeError('Maximum call stack size exceeded'); } }, {}, 'a batch of 3 hits', log), false);
      assert.equal(await postChecked({ postMessage: () => Promise.reject(new Error('webview disposed')) }, {}, 'a snapshot of 9 hits', log), false);
      assert.equal(await postChecked({ postMessage: () => Promise.resolve(false) }, {}, 'a state message', log), false);
      assert.equal(await postChecked({ postMessage: () => Promise.resolve(true) }, {}, 'fine', log), true);
      assert.deepEqual(lines, [
        'hits panel: posting a batch of 3 hits failed: RangeError: Maximum call stack size exceeded',
        'hits panel: posting a snapshot of 9 hits failed: Error: webview disposed',
        'hits panel: a state message was not delivered (the webview is gone or not listening).',
      ]);
    });
  });

  describe('over a real loopback stream (gzip, chunked)', () => {
    let server: HostileStreamServer | undefined;
    let dir: string;
    const services: StreamService[] = [];
    const engines: LiveStreamEngine[] = [];
    beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lsi-mem-')); });
    afterEach(async () => {
      for (const s of services.splice(0)) await s.dispose();
      for (const e of engines.splice(0)) await e.dispose();
      await server?.close();
      server = undefined;
      rmSync(dir, { recursive: true, force: true });
    });

    it('engine: records with 64 KiB ids are refused, counted, logged at a limited rate; real hits still flow', async () => {
      server = await HostileStreamServer.start(function* () {
        yield normalHit(1, 1);
        for (let i = 1; i <= 250; i++) yield longIdHit(i);
        yield normalHit(1, 2);
      });
      const log = recordingLog();
      const e = new LiveStreamEngine({ stream: { url: server.url }, log, cooldownMs: 60_000 });
      engines.push(e);
      const c = collectHits(e);
      void e.start();
      await c.until(2, 20_000);
      assert.deepEqual(c.hits.map((h) => h.key), ['1:1', '1:2']);
      assert.equal(e.snapshot().stats.refusedIds, 250);
      const refused = log.lines.filter((l) => l.includes('invalid hit id'));
      assert.equal(refused.length, 7, 'the first five, then #100 and #200');
      assert.match(refused[0]!, /Refused record #1 with an invalid hit id: 65538 characters \(limit 64\)/);
    });

    it('service: an oversized record is dropped by the engine at the store\'s 1 MiB limit, a deep one becomes a counted placeholder', async () => {
      server = await HostileStreamServer.start(function* () {
        yield normalHit(1, 1);
        yield bigHit(2, 1, MiB + 1000);
        yield deepHit(3, 1);
        yield normalHit(1, 2);
      });
      const log = recordingLog();
      const s = new StreamService({
        stateDir: dir, log, holderId: 'm', windowLabel: 'mem',
        settings: () => { const r = parseSettings(() => undefined); return { settings: { ...r.settings, streamUrl: server!.url }, problems: r.problems }; },
        credentials: async () => undefined,
      });
      services.push(s);
      const batches: StoredHit[][] = [];
      s.onHits((h) => batches.push(h));
      await s.connect();
      await until(() => s.hits().length === 3, 20_000, 'three hits kept');
      const stats = s.snapshot().stats;
      assert.equal(stats.oversized, 1);
      assert.equal(stats.placeholders, 1);
      assert.deepEqual(s.hits().map((h) => [h.key, !!h.omitted]), [['1:1', false], ['3:1', true], ['1:2', false]]);
      const deep = s.hits()[1]!;
      assert.equal(deep.omitted!.bytes, deepHit(3, 1).length);
      assert.equal(deep.raw, deepHit(3, 1), 'the exact text stays exportable');
      assert.equal(deep.data.pageName, 'deep 1');
      assert.ok(batches.flat().includes(deep), 'listeners get the placeholder too');
      assert.ok(log.lines.some((l) => /warn: Hit "3:1" \(409600 bytes\) is nested too deep to display/.test(l)), log.lines.join('\n'));
      assert.ok(log.lines.some((l) => /warn: Dropped a record of 10\d{5} bytes \(limit 1048576/.test(l)), log.lines.join('\n'));
      // The snapshot the panel would send serializes.
      assert.doesNotThrow(() => JSON.stringify(wireHits(s.hits()).hits));
      // The status bar tooltip shows the counters.
      const tip = statusView(s.snapshot(), Date.now()).tooltip;
      assert.match(tip, /oversized \(dropped\): 1/);
      assert.match(tip, /too deep\/large to display: 1/);
    });

    it('heap stays within the budgets under 3 000 ids of 64 KiB, 300 records of 1 MiB and a 400 KB nested record', async function () {
      this.timeout(180_000);
      function* records(): Generator<string> {
        for (let i = 1; i <= 50; i++) yield normalHit(1, i);
        for (let i = 1; i <= 3000; i++) yield longIdHit(i);
        for (let i = 1; i <= 300; i++) yield bigHit(2, i, MiB - 2048);
        for (let i = 1; i <= 20; i++) yield bigHit(3, i, MiB + MiB / 2);
        yield normalHit(1, 51);
        yield deepHit(4, 1);
        yield normalHit(1, 52);
      }
      let total = 0;
      for (const _ of records()) total++;
      server = await HostileStreamServer.start(records);
      // A child process with --expose-gc measures its own heap after full collections.
      const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/support/heapProbe.ts', server.url, String(total)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
      child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      assert.equal(code, 0, err);
      const r = JSON.parse(out) as {
        growth: number; storeBytes: number; kept: number; keptKeys: string[]; placeholderKeys: string[];
        stats: { received: number; oversized: number; refusedIds?: number; placeholders?: number };
        wire: { ok: boolean; error?: string; placeholders?: number };
      };
      // Stated bound: the hit store's budget, the dedupe window's budget and 32 MiB for everything else.
      const bound = DEFAULT_HIT_STORE_BYTES + DEFAULT_DEDUPE_BYTES + 32 * MiB;
      assert.ok(r.growth < bound, `heap grew by ${(r.growth / MiB).toFixed(0)} MiB (bound ${(bound / MiB).toFixed(0)} MiB)`);
      // The store's estimate is honest: the heap is what the budget says.
      assert.ok(r.storeBytes <= DEFAULT_HIT_STORE_BYTES);
      assert.ok(r.growth < r.storeBytes * 1.15 + 16 * MiB, `heap ${(r.growth / MiB).toFixed(0)} MiB vs estimate ${(r.storeBytes / MiB).toFixed(0)} MiB`);
      assert.equal(r.stats.refusedIds, 3000);
      assert.equal(r.stats.oversized, 20);
      assert.equal(r.stats.placeholders, 1);
      assert.deepEqual(r.placeholderKeys, ['4:1']);
      assert.deepEqual(r.keptKeys.slice(-3), ['1:51', '4:1', '1:52'], 'the newest hits, the nested one as a placeholder');
      assert.ok(r.kept > 100 && r.kept < 140, `${r.kept} hits of 1 MiB fit 256 MiB`);
      assert.ok(r.wire.ok, r.wire.error);
      assert.equal(r.wire.placeholders, 1);
    });
  });
});
