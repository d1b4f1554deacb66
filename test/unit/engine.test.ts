import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip, constants } from 'node:zlib';
import type { ServerResponse } from 'node:http';
import { FileCooldownStore, MemoryCooldownStore } from '../../src/stream/cooldownStore';
import { LiveStreamEngine, type EngineOptions } from '../../src/stream/liveStreamEngine';
import { StaticTokenProvider, ImsTokenProvider } from '../../src/stream/tokens';
import { IMS_DEFAULTS } from '../../src/session/settings';
import { FakeClock } from '../support/fakeClock';
import { collectHits, ScriptedServer, status, until, waitForState } from '../support/engineHelpers';

const ID = (n: number) => `{"hitIdHigh":2948027281753079808,"hitIdLow":${4948646782672799000n + BigInt(n)},"pageName":"p${n}"}`;

/** Starts a 200 gzip stream; returns a writer that flushes each piece. */
function streamTo(res: ServerResponse): { write(text: string): void; end(): void } {
  res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
  res.flushHeaders();
  const gz = createGzip();
  gz.pipe(res);
  return {
    write(text: string) { gz.write(text); gz.flush(constants.Z_SYNC_FLUSH); },
    end() { gz.end(); },
  };
}

describe('LiveStreamEngine', function () {
  let server: ScriptedServer;
  let clock: FakeClock;
  const engines: LiveStreamEngine[] = [];
  const make = (o: Partial<EngineOptions> = {}) => {
    const e = new LiveStreamEngine({ stream: { url: server.url, maxConnections: 1 }, clock, random: () => 0, store: new MemoryCooldownStore(), ...o });
    engines.push(e);
    return e;
  };

  beforeEach(async () => { server = await ScriptedServer.start(); clock = new FakeClock(); });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.dispose();
    await server.close();
  });

  it('sends the right request and delivers lossless, deduplicated hits', async () => {
    let w!: ReturnType<typeof streamTo>;
    server.next((_req, res) => { w = streamTo(res); });
    const e = make({ tokens: new StaticTokenProvider('tok-123456'), clientId: 'client-1', stream: { url: server.url, maxConnections: 2, reset: 'largest', smoothing: true, smoothingBucketSize: 30 } });
    const c = collectHits(e);
    void e.start();
    await waitForState(e, 'connected');
    const req = server.requests[0];
    assert.equal(req.method, 'GET');
    assert.equal(req.httpVersion, '1.1');
    assert.equal(req.headers.authorization, 'Bearer tok-123456');
    assert.equal(req.headers['accept-encoding'], 'gzip');
    assert.equal(req.headers['x-api-key'], 'client-1');
    assert.equal(new URL(req.url!, server.origin).search, '?maxConnections=2&reset=largest&smoothing=1&smoothingBucketSize=30');
    w.write(`${ID(1)}\r\n${ID(2)}\r\n\r\n${ID(1)}\r\nnot json\r\n{"pageName":"no id"}\r\n`);
    await c.until(3);
    assert.deepEqual(c.hits.map((h) => h.key), ['2948027281753079808:4948646782672799001', '2948027281753079808:4948646782672799002', '']);
    assert.equal(c.hits[0].raw, ID(1));
    const s = e.snapshot().stats;
    assert.equal(s.received, 3);
    assert.equal(s.duplicates, 1);
    assert.equal(s.malformed, 1);
  });

  it('follows a redirect by hand, re-sending Authorization and Accept-Encoding and keeping the query', async () => {
    server.next(
      (_req, res) => { res.writeHead(302, { location: '/api/1/stream/moved' }); res.end(); },
      (_req, res) => { streamTo(res); },
    );
    const e = make({ tokens: new StaticTokenProvider('tok-abcdef') });
    void e.start();
    await waitForState(e, 'connected');
    const second = server.requests[1];
    assert.equal(new URL(second.url!, server.origin).pathname, '/api/1/stream/moved');
    assert.equal(new URL(second.url!, server.origin).searchParams.get('maxConnections'), '1');
    assert.equal(second.headers.authorization, 'Bearer tok-abcdef');
    assert.equal(second.headers['accept-encoding'], 'gzip');
  });

  it('refuses a redirect to a foreign host, naming it, and stops without retrying', async () => {
    server.next((_req, res) => { res.writeHead(302, { location: 'https://evil.example.com/steal' }); res.end(); });
    const e = make({ tokens: new StaticTokenProvider('tok-abcdef') });
    await e.start();
    const s = e.snapshot();
    assert.equal(s.state.kind, 'stopped');
    assert.equal(s.lastError?.code, 'redirect-refused');
    assert.match(s.lastError!.description, /evil\.example\.com/);
    assert.doesNotMatch(s.lastError!.description, /tok-abcdef/);
    assert.equal(server.requests.length, 1);
  });

  it('stops after more than 5 redirects', async () => {
    server.otherwise((_req, res) => { res.writeHead(302, { location: '/again' }); res.end(); });
    const e = make();
    await e.start();
    assert.equal(e.snapshot().lastError?.code, 'too-many-redirects');
    assert.equal(server.requests.length, 6);
  });

  for (const code of [400, 404, 405, 406, 424, 505]) {
    it(`stops on a permanent ${code}: no retry loop`, async () => {
      server.otherwise(status(code, '{"error":"x","error_description":"described"}'));
      const e = make();
      await e.start();
      const s = e.snapshot();
      assert.equal(s.state.kind, 'stopped');
      assert.equal(s.lastError?.code, String(code));
      assert.equal(s.lastError?.description, 'described');
      assert.equal(server.requests.length, 1);
      assert.equal(clock.pending, 0, 'no retry timer left');
    });
  }

  it('backs off after 409/503/500 by doubling from the cooldown, showing the 409 description', async () => {
    server.otherwise(status(409, '{"error":"conflict","error_description":"Maximum connections reached (1)"}'));
    const e = make({ cooldownMs: 60_000 });
    void e.start();
    const gaps: number[] = [];
    for (let i = 0; i < 6; i++) {
      const s = await waitForState(e, 'cooldown');
      if (s.state.kind !== 'cooldown') throw new Error('unreachable');
      assert.equal(s.state.code, '409');
      gaps.push(s.state.until - clock.now());
      assert.equal(server.requests.length, i + 1);
      // Nothing happens a millisecond before the end of the wait.
      await clock.advance(gaps[i] - 1);
      assert.equal(server.requests.length, i + 1);
      await clock.advance(1);
      await until(() => server.requests.length === i + 2 && e.snapshot().state.kind === 'cooldown');
    }
    assert.deepEqual(gaps, [60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
    assert.equal(e.snapshot().lastError?.description, 'Maximum connections reached (1)');
  });

  it('cooldown 0 against a server that always answers 503: failed attempts still wait 5, 10, 20 … 600 s', async () => {
    server.otherwise(status(503, '{"error":"service_unavailable"}'));
    const e = make({ cooldownMs: 0 });
    void e.start();
    const gaps: number[] = [];
    for (let i = 0; i < 9; i++) {
      const s = await waitForState(e, 'cooldown');
      if (s.state.kind !== 'cooldown') throw new Error('unreachable');
      gaps.push(s.state.until - clock.now());
      assert.equal(server.requests.length, i + 1);
      await clock.advance(gaps[i] - 1);
      assert.equal(server.requests.length, i + 1, 'nothing before the back-off is over');
      await clock.advance(1);
      await until(() => server.requests.length === i + 2 && e.snapshot().state.kind === 'cooldown');
    }
    assert.deepEqual(gaps, [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000]);
  });

  it('cooldown 0 and a server that accepts and drops every connection: a connection lost young backs off like a failed attempt', async () => {
    let n = 0;
    const drop = (_req: unknown, res: ServerResponse) => { const w = streamTo(res); w.write(`${ID(++n)}\n`); w.end(); };
    server.otherwise(drop);
    const e = make({ cooldownMs: 0 });
    void e.start();
    const gaps: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await waitForState(e, 'cooldown');
      if (s.state.kind !== 'cooldown') throw new Error('unreachable');
      assert.equal(s.lastError?.code, 'stream-ended');
      gaps.push(s.state.until - clock.now());
      await clock.advance(gaps[i] - 1);
      assert.equal(server.requests.length, i + 1);
      await clock.advance(1);
      await until(() => server.requests.length === i + 2);
    }
    assert.deepEqual(gaps, [5_000, 10_000, 20_000, 40_000]);
    // A connection that proved itself (up longer than the floor) is an ordinary loss: the
    // configured cooldown (0) applies and the back-off starts over.
    let live!: ServerResponse;
    server.otherwise((_req, res) => { live = res; streamTo(res); });
    await waitForState(e, 'cooldown');
    await clock.advance(80_000);
    await waitForState(e, 'connected');
    await clock.advance(6_000);
    server.otherwise(drop);
    const before = server.requests.length;
    live.destroy();
    await until(() => server.requests.length === before + 1, 5000, 'an immediate reconnect');
    const s = await waitForState(e, 'cooldown');
    if (s.state.kind !== 'cooldown') throw new Error('unreachable');
    assert.equal(s.state.until - clock.now(), 5_000, 'the back-off starts over');
  });

  it('waits the cooldown after an established connection is lost, then resets the back-off', async () => {
    let live!: ServerResponse;
    server.next(status(503), (_req, res) => { live = res; const w = streamTo(res); w.write(`${ID(1)}\n`); });
    server.otherwise((_req, res) => { streamTo(res); });
    const e = make({ cooldownMs: 60_000 });
    const c = collectHits(e);
    void e.start();
    await waitForState(e, 'cooldown');
    await clock.advance(60_000);
    await c.until(1);
    live.destroy();
    const lost = await waitForState(e, 'cooldown');
    if (lost.state.kind !== 'cooldown') throw new Error('unreachable');
    assert.equal(lost.state.until - clock.now(), 60_000, 'cooldown after a loss is the plain cooldown');
    assert.equal(lost.lastError?.code, 'network');
    await clock.advance(59_999);
    assert.equal(server.requests.length, 2);
    await clock.advance(1);
    await waitForState(e, 'connected');
    assert.equal(server.requests.length, 3);
  });

  it('a server that ends the stream counts as a loss too', async () => {
    server.next((_req, res) => { const w = streamTo(res); w.write(`${ID(1)}\n`); w.end(); });
    const e = make({ cooldownMs: 5_000 });
    void e.start();
    const s = await waitForState(e, 'cooldown');
    assert.equal(s.lastError?.code, 'stream-ended');
  });

  it('mid-record reset: the partial record is never delivered', async () => {
    let w!: ReturnType<typeof streamTo>;
    let res!: ServerResponse;
    server.next((_req, r) => { res = r; w = streamTo(r); });
    const e = make();
    const c = collectHits(e);
    void e.start();
    await waitForState(e, 'connected');
    w.write(`${ID(1)}\n`);
    await c.until(1);
    w.write(ID(2).slice(0, 30));
    await new Promise((r) => setTimeout(r, 50)); // let the half record reach the client before the reset
    res.socket?.resetAndDestroy();
    await waitForState(e, 'cooldown');
    assert.deepEqual(c.hits.map((h) => h.data.pageName), ['p1']);
  });

  it('idle timeout (fake clock) treats silence as a loss; off by default', async () => {
    server.otherwise((_req, res) => { streamTo(res); });
    const e = make({ idleTimeoutMs: 30_000, cooldownMs: 1000 });
    void e.start();
    await waitForState(e, 'connected');
    await clock.advance(29_000);
    assert.equal(e.snapshot().state.kind, 'connected');
    await clock.advance(1_000);
    const s = await waitForState(e, 'cooldown');
    assert.equal(s.lastError?.code, 'idle-timeout');

    const quiet = make({ cooldownMs: 1000, stream: { url: server.url.replace('/test', '/quiet') } });
    void quiet.start();
    await waitForState(quiet, 'connected');
    await clock.advance(3_600_000);
    assert.equal(quiet.snapshot().state.kind, 'connected', 'an idle report suite is healthy');
  });

  it('disconnect records the loss; a second engine on the same store (another process) waits it out; force overrides', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lsi-cooldown-'));
    try {
      server.otherwise((_req, res) => { streamTo(res); });
      const a = make({ store: new FileCooldownStore(dir), cooldownMs: 60_000 });
      void a.start();
      await waitForState(a, 'connected');
      await clock.advance(10_000);
      await a.stop();
      assert.equal(a.snapshot().state.kind, 'stopped');
      const b = make({ store: new FileCooldownStore(dir), cooldownMs: 60_000 });
      void b.start();
      const s = await waitForState(b, 'cooldown');
      if (s.state.kind !== 'cooldown') throw new Error('unreachable');
      assert.equal(s.state.until - clock.now(), 60_000);
      assert.equal(s.state.code, 'cooldown');
      assert.equal(server.requests.length, 1);
      b.connectNow();
      await waitForState(b, 'connected');
      assert.equal(server.requests.length, 2);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  describe('a shared cooldown file is checked against now', () => {
    let dir: string;
    const STREAM_KEY = () => server.url.replace(/\?.*$/, '');
    beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lsi-corrupt-')); });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const capture = () => {
      const warnings: string[] = [];
      return { warnings, log: { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} } };
    };
    const writeRecord = (store: FileCooldownStore, rec: Record<string, unknown>) => writeFileSync(store.fileFor(STREAM_KEY()), JSON.stringify({ stream: STREAM_KEY(), ...rec }));

    it('a last loss 2 h in the future is corrupt: repaired with a warning, and the wait is one cooldown, not 2 h', async () => {
      server.otherwise((_req, res) => { streamTo(res); });
      const store = new FileCooldownStore(dir);
      writeRecord(store, { lastLossAt: clock.now() + 2 * 3_600_000 });
      const { warnings, log } = capture();
      const e = make({ store, cooldownMs: 60_000, log });
      void e.start();
      const s = await waitForState(e, 'cooldown');
      if (s.state.kind !== 'cooldown') throw new Error('unreachable');
      assert.equal(s.state.until - clock.now(), 60_000);
      assert.ok(warnings.some((w) => /corrupt/.test(w) && /2 h ahead/.test(w)), warnings.join('\n'));
      assert.equal(JSON.parse(readFileSync(store.fileFor(STREAM_KEY()), 'utf8')).lastLossAt, clock.now(), 'the file is repaired');
      await clock.advance(60_000);
      await waitForState(e, 'connected');
      assert.equal(warnings.length, 1, 'one warning, not one per read');
    });

    it('1e16 (beyond the Date range) and an absurd back-off end: no crash, repaired, one cooldown', async () => {
      server.otherwise((_req, res) => { streamTo(res); });
      const store = new FileCooldownStore(dir);
      writeRecord(store, { lastLossAt: 1e16, notBefore: 1e16 });
      const { warnings, log } = capture();
      const e = make({ store, cooldownMs: 60_000, log });
      const run = e.start();
      const s = await waitForState(e, 'cooldown');
      if (s.state.kind !== 'cooldown') throw new Error('unreachable');
      assert.equal(s.state.until - clock.now(), 60_000);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0], /last-loss time .* is impossible.*back-off end .* further ahead/);
      const repaired = JSON.parse(readFileSync(store.fileFor(STREAM_KEY()), 'utf8'));
      assert.deepEqual(repaired, { stream: STREAM_KEY(), lastLossAt: clock.now() });
      await clock.advance(60_000);
      await waitForState(e, 'connected');
      await e.stop();
      await run; // resolved, not rejected
    });

    it('a wait longer than one Node timer (30 days) lasts 30 days: timers are chained, not clamped to 1 ms', async () => {
      server.otherwise((_req, res) => { streamTo(res); });
      const month = 30 * 24 * 3_600_000;
      const store = new MemoryCooldownStore();
      store.update(STREAM_KEY(), { lastLossAt: clock.now() });
      const e = make({ store, cooldownMs: month });
      void e.start();
      const s = await waitForState(e, 'cooldown');
      if (s.state.kind !== 'cooldown') throw new Error('unreachable');
      assert.equal(s.state.until - clock.now(), month);
      await clock.advance(1_000);
      await new Promise((r) => setTimeout(r, 100)); // real time for a request, had one been started
      assert.equal(e.snapshot().state.kind, 'cooldown', 'still waiting after 1 s (an unchained timer fires after 1 ms)');
      assert.equal(server.requests.length, 0, 'not after 1 ms');
      await clock.advance(month - 1_001);
      assert.equal(e.snapshot().state.kind, 'cooldown', 'not a millisecond early');
      await clock.advance(1);
      await waitForState(e, 'connected');
      assert.equal(server.requests.length, 1);
    });
  });

  it('401 with a pasted token stops (nothing to refresh)', async () => {
    server.otherwise(status(401, '{"error":"invalid_token"}'));
    const e = make({ tokens: new StaticTokenProvider('pasted-token-1') });
    await e.start();
    assert.equal(e.snapshot().state.kind, 'stopped');
    assert.equal(e.snapshot().lastError?.code, '401');
    assert.equal(server.requests.length, 1);
  });

  it('client credentials: token cached, refreshed once after a 401, then stops if still 401', async () => {
    let issued = 0;
    const ims = await ScriptedServer.start();
    ims.otherwise((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        const f = new URLSearchParams(body);
        assert.equal(f.get('grant_type'), 'client_credentials');
        assert.equal(f.get('client_secret'), 's3cret-value');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: `tok-${++issued}`, token_type: 'bearer', expires_in: 86399 }));
      });
    });
    try {
      const tokens = new ImsTokenProvider({ clientId: 'cid', clientSecret: 's3cret-value', imsUrl: `${ims.origin}/ims/token/v3`, defaults: IMS_DEFAULTS }, clock);
      assert.equal(await tokens.getToken(), 'tok-1');
      assert.equal(await tokens.getToken(), 'tok-1', 'cached');
      await clock.advance(86399_000 - 5 * 60_000 - 1);
      assert.equal(await tokens.getToken(), 'tok-1', 'still cached just before the refresh margin');
      await clock.advance(2);
      assert.equal(await tokens.getToken(), 'tok-2', 'refreshed shortly before expiry');

      server.next(status(401), (_req, res) => { streamTo(res); });
      const e = make({ tokens });
      void e.start();
      await waitForState(e, 'connected');
      assert.equal(server.requests[0].headers.authorization, 'Bearer tok-2');
      assert.equal(server.requests[1].headers.authorization, 'Bearer tok-3');
      await e.stop();

      server.otherwise(status(401));
      const f = make({ tokens, stream: { url: server.url.replace('/test', '/other') } });
      await f.start();
      assert.equal(f.snapshot().state.kind, 'stopped');
      assert.equal(f.snapshot().lastError?.code, '401');
      assert.equal(server.requests.length, 4, 'exactly one refresh, no loop');
    } finally { await ims.close(); }
  });

  it('IMS refusal is a clear error without the secret', async () => {
    const ims = await ScriptedServer.start();
    ims.otherwise(status(400, '{"error":"invalid_client","error_description":"bad secret s3cret-value"}'));
    try {
      const tokens = new ImsTokenProvider({ clientId: 'cid', clientSecret: 's3cret-value', imsUrl: `${ims.origin}/ims/token/v3`, defaults: IMS_DEFAULTS }, clock);
      const e = make({ tokens });
      await e.start();
      const s = e.snapshot();
      assert.equal(s.state.kind, 'stopped');
      assert.equal(s.lastError?.code, 'token');
      assert.doesNotMatch(JSON.stringify(s), /s3cret-value/);
    } finally { await ims.close(); }
  });

  it('an oversized record is dropped with a warning and the stream goes on', async () => {
    server.next((_req, res) => { const w = streamTo(res); w.write(`{"big":"${'x'.repeat(5000)}"}\n${ID(7)}\n`); });
    const warnings: string[] = [];
    const e = make({ maxRecordBytes: 1000, log: { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} } });
    const c = collectHits(e);
    void e.start();
    await c.until(1);
    assert.equal(c.hits[0].data.pageName, 'p7');
    assert.equal(e.snapshot().stats.oversized, 1);
    assert.ok(warnings.some((w) => /Dropped a record of 5010 bytes/.test(w)), warnings.join('\n'));
  });

  it('corrupt gzip is a loss, not a crash', async () => {
    server.next((_req, res) => { res.writeHead(200, { 'content-encoding': 'gzip' }); res.write(Buffer.from('this is not gzip at all\n')); });
    const e = make();
    void e.start();
    const s = await waitForState(e, 'cooldown');
    assert.equal(s.lastError?.code, 'bad-gzip');
  });

  it('invalid options are a clear error before any request', () => {
    assert.throws(() => make({ stream: { url: server.url, maxConnections: 9 } }), /maxConnections must be an integer from 1 to 8/);
    assert.equal(server.requests.length, 0);
  });
});
