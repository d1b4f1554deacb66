import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockLiveStreamServer } from '../../src/mock/mockServer';
import { parseSettings, type Settings } from '../../src/session/settings';
import { StreamService, type Credentials } from '../../src/session/streamService';
import { UserError } from '../../src/stream/errors';
import { nullLogger } from '../../src/stream/logger';
import { FileCooldownStore } from '../../src/stream/cooldownStore';
import { streamKey } from '../../src/stream/streamConfig';
import { LiveStreamEngine, type StartOptions } from '../../src/stream/liveStreamEngine';
import type { ConnectionState } from '../../src/shared/model';
import { until } from '../support/engineHelpers';
import { isShared } from '../../src/stream/sharedBatches';

describe('StreamService (two windows over one global storage folder)', function () {
  this.timeout(20_000);
  let dir: string;
  let mock: MockLiveStreamServer;
  const services: StreamService[] = [];

  const make = (id: string, overrides: Partial<Settings> = {}, opts: { takeover?: boolean; creds?: Credentials } = {}) => {
    const notes: string[] = [];
    const s = new StreamService({
      stateDir: dir,
      log: nullLogger,
      holderId: id,
      windowLabel: `window ${id}`,
      leaseTtlMs: 600,
      settings: () => {
        const r = parseSettings(() => undefined);
        return { settings: { ...r.settings, streamUrl: mock.streamUrl, reconnectCooldownSeconds: 0.3, ...overrides }, problems: r.problems };
      },
      credentials: async () => opts.creds ?? { kind: 'accessToken', token: 'tok-service-1' },
      askTakeover: async () => !!opts.takeover,
      notify: (m) => notes.push(m),
    });
    services.push(s);
    return { s, notes };
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lsi-svc-'));
    mock = await MockLiveStreamServer.start({ rate: 20, maxConnections: 8, accessToken: 'tok-service-1' });
  });
  afterEach(async () => {
    for (const s of services.splice(0)) await s.dispose();
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never more connections than maxConnections across windows; the refused one is told who holds it', async () => {
    const a = make('a', { maxConnections: 2 }).s, b = make('b', { maxConnections: 2 }).s, c = make('c', { maxConnections: 2 }).s;
    await a.connect();
    await b.connect();
    await until(() => a.snapshot().state.kind === 'connected' && b.snapshot().state.kind === 'connected', 5000, 'two connected');
    await assert.rejects(c.connect(), (e: unknown) => e instanceof UserError && /window a/.test(e.message) && /window b/.test(e.message) && e.action === 'takeover');
    assert.equal(mock.maxConcurrentObserved, 2);
    assert.ok(mock.requests.every((r) => r.status === 200), 'no 409 at all');
  });

  it('takeover: the holder disconnects, the taker waits out the cooldown, then connects; never two at once', async () => {
    const a = make('a');
    const b = make('b', {}, { takeover: true });
    await a.s.connect();
    await until(() => a.s.snapshot().state.kind === 'connected', 5000, 'a connected');
    await b.s.connect();
    await until(() => b.s.snapshot().state.kind === 'connected', 10_000, 'b connected');
    assert.equal(a.s.isActive, false);
    assert.match(a.notes.join(), /window b took over/);
    assert.equal(mock.maxConcurrentObserved, 1);
    const [first, second] = mock.requests.filter((r) => r.path.includes('/stream/')).map((r) => r.at);
    assert.ok(second - first >= 300, 'the cooldown was waited out');
  });

  it('a crashed holder\'s lease expires', async () => {
    const a = make('a');
    await a.s.connect();
    await until(() => a.s.snapshot().state.kind === 'connected', 5000, 'a connected');
    // Simulate a crash: stop heartbeats without releasing.
    const lease = (a.s as unknown as { lease: { timer: unknown; o: { clock: { clearTimeout(t: unknown): void } }; held: boolean } }).lease;
    lease.o.clock.clearTimeout(lease.timer);
    lease.held = false;
    await a.s.disconnect();
    const b = make('b');
    await until(() => { b.s.connect().catch(() => undefined); return b.s.isActive; }, 5000, 'b gets the slot once the lease expires');
  });

  it('invalid settings: a clear error naming the setting, nothing sent', async () => {
    const s = new StreamService({
      stateDir: dir, log: nullLogger, holderId: 'x', windowLabel: 'x',
      settings: () => parseSettings((k) => ({ streamUrl: mock.streamUrl, maxConnections: 12 } as Record<string, unknown>)[k]),
      credentials: async () => ({ kind: 'accessToken', token: 't' }),
    });
    services.push(s);
    await assert.rejects(s.connect(), (e: unknown) => e instanceof UserError && e.setting === 'liveStream.maxConnections');
    const t = make('t', { streamUrl: 'http://example.com/api/1/stream/x' }).s;
    await assert.rejects(t.connect(), (e: unknown) => e instanceof UserError && e.setting === 'liveStream.streamUrl');
    const u = make('u', { streamUrl: 'https://livestream.adobe.net/api/1/stream/x' }, {}).s;
    (u as unknown as { deps: { credentials: () => Promise<undefined> } }).deps.credentials = async () => undefined;
    await assert.rejects(u.connect(), (e: unknown) => e instanceof UserError && e.action === 'credentials');
    assert.equal(mock.requests.length, 0);
  });

  it('disconnect shows the cooldown until a new connection may be made; reconnect keeps de-duplication', async () => {
    const a = make('a', { reconnectCooldownSeconds: 1 }).s;
    await a.connect();
    await until(() => a.hits().length >= 5, 5000, 'hits');
    await a.disconnect();
    const st = a.snapshot().state;
    assert.equal(st.kind, 'cooldown');
    if (st.kind === 'cooldown') { assert.equal(st.auto, false); assert.ok(st.until > Date.now()); }
    await a.connect();
    await until(() => a.snapshot().state.kind === 'connected', 5000, 'reconnected after the cooldown');
    await until(() => a.snapshot().stats.duplicates >= 1, 5000, 'replayed hits recognised');
    const keys = a.hits().map((h) => h.key);
    assert.equal(new Set(keys).size, keys.length);
  });

  it('a window reload within the cooldown (dispose, then a new instance on the same folder) waits out the rest', async () => {
    const a = make('a', { reconnectCooldownSeconds: 30 }).s;
    await a.connect();
    await until(() => a.snapshot().state.kind === 'connected', 5000, 'connected');
    await a.dispose(); // what deactivate() does
    services.splice(services.indexOf(a), 1);
    const reloaded = make('a2', { reconnectCooldownSeconds: 30 }).s;
    await reloaded.connect();
    await until(() => reloaded.snapshot().state.kind === 'cooldown', 5000, 'cooldown after reload');
    const st = reloaded.snapshot().state;
    if (st.kind !== 'cooldown') throw new Error('unreachable');
    assert.ok(st.until - Date.now() > 25_000, 'waits the rest of the 30 s');
    assert.equal(mock.requests.filter((r) => r.path.includes('/stream/')).length, 1, 'no second request');
  });

  it('the log never contains the token, even when the server echoes it', async () => {
    const lines: string[] = [];
    const log = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    mock.enqueue({ status: 418, body: 'your token tok-service-1 is teapot-shaped' });
    const s = new StreamService({
      stateDir: dir, log, holderId: 'l', windowLabel: 'l',
      settings: () => { const r = parseSettings(() => undefined); return { settings: { ...r.settings, streamUrl: mock.streamUrl }, problems: [] }; },
      credentials: async () => ({ kind: 'accessToken', token: 'tok-service-1' }),
    });
    services.push(s);
    await s.connect();
    await until(() => s.snapshot().state.kind === 'stopped', 5000, 'stopped on 418');
    assert.ok(lines.length >= 3, lines.join("\n"));
    assert.ok(lines.some((l) => /418/.test(l)));
    assert.ok(!lines.some((l) => l.includes('tok-service-1')), lines.join('\n'));
    assert.ok(!JSON.stringify(s.snapshot()).includes('tok-service-1'));
    assert.match(s.snapshot().lastError!.description, /your token \*\*\* is teapot-shaped/);
  });

  it('new credentials after a 401 are used on the next connect (the engine is reused, its tokens are not)', async () => {
    let token = 'tok-wrong-0001';
    const s = new StreamService({
      stateDir: dir, log: nullLogger, holderId: 'c', windowLabel: 'c',
      settings: () => { const r = parseSettings(() => undefined); return { settings: { ...r.settings, streamUrl: mock.streamUrl, reconnectCooldownSeconds: 0 }, problems: [] }; },
      credentials: async () => ({ kind: 'accessToken', token }),
    });
    services.push(s);
    await s.connect();
    await until(() => s.snapshot().state.kind === 'stopped', 5000, 'stopped on 401');
    assert.equal(s.snapshot().lastError?.code, '401');
    token = 'tok-service-1';
    await s.connect();
    await until(() => s.snapshot().state.kind === 'connected', 5000, 'connected with the new token');
    assert.equal(mock.requests.at(-1)?.authorization, 'Bearer tok-service-1');
  });

  it('a shared cooldown file with an impossible time (1e16): repaired with a warning, one cooldown, then connected (the run does not reject)', async () => {
    const key = streamKey(mock.streamUrl);
    const file = new FileCooldownStore(join(dir, 'cooldown')).fileFor(key);
    mkdirSync(join(dir, 'cooldown'), { recursive: true });
    writeFileSync(file, JSON.stringify({ stream: key, lastLossAt: 1e16 }));
    const warnings: string[] = [];
    const s = new StreamService({
      stateDir: dir, log: { ...nullLogger, warn: (m: string) => warnings.push(m) }, holderId: 'k', windowLabel: 'k',
      settings: () => { const r = parseSettings(() => undefined); return { settings: { ...r.settings, streamUrl: mock.streamUrl, reconnectCooldownSeconds: 0.5 }, problems: [] }; },
      credentials: async () => ({ kind: 'accessToken', token: 'tok-service-1' }),
    });
    services.push(s);
    const t0 = Date.now();
    await s.connect();
    const st = s.snapshot().state;
    assert.equal(st.kind, 'cooldown');
    if (st.kind === 'cooldown') assert.ok(st.until - Date.now() <= 500, `waits one cooldown, not until ${st.until}`);
    await until(() => s.snapshot().state.kind === 'connected', 5000, 'connected after one cooldown');
    assert.ok(Date.now() - t0 >= 450, 'the cooldown was waited out');
    assert.ok(warnings.some((w) => /corrupt/.test(w)), warnings.join('\n'));
    const lastLossAt = JSON.parse(readFileSync(file, 'utf8')).lastLossAt as number;
    assert.ok(Math.abs(lastLossAt - t0) < 2000, `repaired to about now: ${lastLossAt}`);
  });

  it('the session\'s hits arrive in shared memory (no full collections of the host\'s heap for them); the CLI\'s engine keeps ordinary buffers', async () => {
    const { s } = make('shared');
    await s.connect();
    await until(() => s.hits().length >= 5, 5000, 'hits');
    const views = s.hits().map((h) => h.bytesView?.());
    assert.ok(views.every((v) => v && isShared(v)), 'every kept hit\'s bytes are in a shared batch');
    assert.equal(Buffer.from(views[0]!).toString(), s.hits()[0]!.raw, 'and they are its record');
    // The engine's own default (what the CLI uses): ordinary, transferred buffers.
    const other = await MockLiveStreamServer.start({ rate: 20 });
    const e = new LiveStreamEngine({ stream: { url: other.streamUrl }, keepRawBytes: true, log: nullLogger, cooldownMs: 60_000 });
    const got: Uint8Array[] = [];
    e.onHits((hits) => { for (const h of hits) got.push(h.rawBytes!); });
    void e.start({ force: true });
    try {
      await until(() => got.length >= 5, 5000, 'CLI-engine hits').catch((err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(e.snapshot())}`); });
      assert.ok(got.every((b) => !isShared(b)), 'the CLI engine: ordinary buffers');
    } finally {
      await e.dispose();
      await other.close();
    }
  });

  it('a new engine keeps numbering where the last one stopped: a hit still shown from the old stream never shares its seq with a new one', async () => {
    const settings: Partial<Settings> = { reconnectCooldownSeconds: 0 };
    const { s } = make('q', settings);
    await s.connect();
    await until(() => s.hits().length >= 5, 5000, 'hits from the first engine');
    await s.disconnect();
    const first = [...s.hits()];
    settings.maxConnections = 3; // part of the engine's identity: a new engine, counting its own hits from 1
    await s.connect();
    await until(() => s.hits().length >= first.length + 5, 5000, 'hits from the second engine');
    await s.disconnect();
    const all = s.hits();
    const seqs = all.map((h) => h.seq);
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, `seq ${seqs[i]} after ${seqs[i - 1]}: strictly increasing across engines`);
    // Every old hit is still found by its own number, not by a newer hit's.
    for (const h of first) assert.equal(s.bySeq(h.seq), h);
  });

  it('a setting that needs a new engine: the old one is unsubscribed and its dispose() awaited before the new one starts', async () => {
    const proto = LiveStreamEngine.prototype;
    const { dispose, start } = proto;
    const events: string[] = [];
    const names = new Map<LiveStreamEngine, string>();
    const name = (e: LiveStreamEngine) => { if (!names.has(e)) names.set(e, `engine ${names.size + 1}`); return names.get(e)!; };
    proto.dispose = async function (this: LiveStreamEngine) {
      events.push(`${name(this)} dispose begins`);
      await new Promise((r) => setTimeout(r, 100)); // e.g. the HTTP agent closing its sockets
      await dispose.call(this);
      events.push(`${name(this)} disposed`);
    };
    proto.start = function (this: LiveStreamEngine, o?: StartOptions) { events.push(`${name(this)} starts`); return start.call(this, o); };
    try {
      const settings: Partial<Settings> = { reconnectCooldownSeconds: 0 };
      const { s } = make('e', settings);
      await s.connect();
      await until(() => s.snapshot().state.kind === 'connected', 5000, 'connected');
      await s.disconnect();
      settings.maxConnections = 2; // part of the engine's identity: the next connect builds a new engine
      await s.connect();
      assert.deepEqual(events, ['engine 1 starts', 'engine 1 dispose begins', 'engine 1 disposed', 'engine 2 starts']);
      await until(() => s.snapshot().state.kind === 'connected', 5000, 'connected again');

      // The old engine can no longer reach the service's listeners.
      const states: ConnectionState[] = [];
      s.onState((snap) => states.push(snap.state));
      const old = [...names.keys()][0]!;
      (old as unknown as { setState(st: ConnectionState): void }).setState({ kind: 'connecting', since: Date.now(), attempt: 99 });
      assert.deepEqual(states, [], 'the old engine is no longer heard');
    } finally {
      proto.dispose = dispose;
      proto.start = start;
    }
  });
});
