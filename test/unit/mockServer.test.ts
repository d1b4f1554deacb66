import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { CONTROL_TOKEN_HEADER, MAX_CONTROL_BODY_BYTES, MAX_RATE, MockLiveStreamServer, type MockServerOptions } from '../../src/mock/mockServer';

// A deliberately plain client (Node http + zlib), independent of the engine under test elsewhere.

const CONFLICT_1 = '{"error":"conflict","error_description":"Maximum connections reached (1) for stream demo"}';

async function waitUntil(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

/** A request whose response ends (anything but a 200 stream). */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const gz = { 'accept-encoding': 'gzip' };

interface StreamClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Raw (compressed) body bytes as received. */
  compressed: Buffer[];
  /** Decompressed text so far. */
  text(): string;
  /** Complete records (CRLF-terminated), in order, empty ones included. */
  records(): string[];
  /** 'end' for a clean end of body, else the error code. */
  ended: Promise<string>;
  close(): void;
}

function openStream(url: string, headers: Record<string, string> = gz): Promise<StreamClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const compressed: Buffer[] = [];
      const plain: Buffer[] = [];
      const gunzip = zlib.createGunzip();
      gunzip.on('error', () => undefined);
      gunzip.on('data', (d: Buffer) => plain.push(d));
      res.on('data', (d: Buffer) => { compressed.push(d); gunzip.write(d); });
      const ended = new Promise<string>((done) => {
        res.on('end', () => done('end'));
        res.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
        res.on('close', () => done('close'));
      });
      const text = () => Buffer.concat(plain).toString('utf8');
      resolve({
        status: res.statusCode!, headers: res.headers, compressed, text, ended,
        records: () => { const parts = text().split('\r\n'); parts.pop(); return parts; },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

/** The text that decompresses from everything received, even a truncated stream. */
function inflateAll(chunks: Buffer[]): string {
  return zlib.gunzipSync(Buffer.concat(chunks), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString('utf8');
}

/** Sends raw bytes and returns everything the server answers until it closes or `until` holds. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.on('data', (d) => { out += d.toString('latin1'); });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

/** A raw HTTP/1.1 stream reader that keeps the chunked framing: one Buffer per HTTP chunk. */
function rawStream(port: number, path = '/api/1/stream/demo'): { chunks: Buffer[]; head: () => string; close: () => void } {
  const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n`));
  s.on('error', () => undefined);
  let buf = Buffer.alloc(0);
  let head = '';
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (!head) {
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      head = buf.subarray(0, i).toString('latin1');
      buf = buf.subarray(i + 4);
    }
    for (;;) {
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const size = parseInt(buf.subarray(0, nl).toString('latin1'), 16);
      if (buf.length < nl + 2 + size + 2) return;
      chunks.push(buf.subarray(nl + 2, nl + 2 + size));
      buf = buf.subarray(nl + 2 + size + 2);
    }
  });
  return { chunks, head: () => head, close: () => s.destroy() };
}

const ID_RE = /"hitIdHigh":(\d+),"hitIdLow":(\d+)[,}]/;
const hitKey = (rec: string): string => { const m = ID_RE.exec(rec); assert.ok(m, `no hit id in ${rec.slice(0, 120)}`); return `${m[1]}:${m[2]}`; };

describe('MockLiveStreamServer', function () {
  let server: MockLiveStreamServer | undefined;
  const clients: StreamClient[] = [];
  async function start(opts: MockServerOptions = {}): Promise<MockLiveStreamServer> {
    server = await MockLiveStreamServer.start(opts);
    return server;
  }
  async function stream(url?: string, headers?: Record<string, string>): Promise<StreamClient> {
    const c = await openStream(url ?? server!.streamUrl, headers);
    clients.push(c);
    return c;
  }
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = undefined;
  });

  it('serves an endless gzip, chunked body of CRLF-terminated JSON records with exact 64-bit ids', async () => {
    const s = await start({ rate: 200, seed: 1 });
    assert.equal(s.origin, `http://127.0.0.1:${s.port}`);
    assert.equal(s.streamUrl, `${s.origin}/api/1/stream/demo`);
    assert.equal(s.tokenUrl, `${s.origin}/ims/token/v3`);
    const c = await stream();
    assert.equal(c.status, 200);
    assert.equal(c.headers['content-encoding'], 'gzip');
    assert.equal(c.headers['transfer-encoding'], 'chunked');
    assert.equal(c.headers['content-type'], 'application/json');
    await waitUntil(() => c.records().length >= 20, '20 records');
    const text = c.text();
    assert.ok(!/[^\r]\n/.test(text), 'every LF is preceded by CR');
    let beyond = 0;
    for (const rec of c.records()) {
      const obj = JSON.parse(rec) as Record<string, unknown>;
      for (const f of ['hitIdHigh', 'hitIdLow', 'visIdHigh', 'visIdLow', 'mcVisIdHigh', 'mcVisIdLow']) {
        const digits = new RegExp(`"${f}":(\\d+)[,}]`).exec(rec)?.[1];
        assert.ok(digits, `${f} is a bare number`);
        if (BigInt(digits) > 2n ** 53n) beyond++;
        assert.equal(typeof obj[f], 'number');
      }
    }
    assert.ok(beyond > 0);
    assert.ok(s.emittedCount >= 20);
    assert.equal(s.activeConnections, 1);
  });

  describe('status rules, in Adobe\'s order', () => {
    it('405 for a non-GET, before anything else', async () => {
      const s = await start({ accessToken: 'tok' });
      const r = await request(s.streamUrl, { method: 'POST' }); // no gzip, no token either
      assert.equal(r.status, 405);
      assert.equal(r.headers.allow, 'GET');
    });

    it('505 for HTTP/1.0 (raw socket), before the Accept-Encoding check', async () => {
      const s = await start();
      const out = await raw(s.port, 'GET /api/1/stream/demo HTTP/1.0\r\nHost: x\r\n\r\n');
      assert.match(out, /^HTTP\/1\.1 505 /);
    });

    it('406 without Accept-Encoding: gzip, before the query check', async () => {
      const s = await start();
      assert.equal((await request(`${s.streamUrl}?maxConnections=9`)).status, 406);
      assert.equal((await request(s.streamUrl, { headers: { 'accept-encoding': 'deflate, br' } })).status, 406);
    });

    it('400 with an invalid_request JSON body for bad query parameters, before auth', async () => {
      const s = await start({ accessToken: 'tok' });
      for (const q of ['maxConnections=9', 'maxConnections=0', 'maxConnections=1.5', 'reset=oldest', 'smoothingBucketSize=0', 'smoothingBucketSize=7201', 'smoothingBucketSize=abc']) {
        const r = await request(`${s.streamUrl}?${q}`, { headers: gz });
        assert.equal(r.status, 400, q);
        const body = JSON.parse(r.body) as { error: string; error_description: string };
        assert.equal(body.error, 'invalid_request');
        assert.ok(body.error_description.length > 0);
      }
    });

    it('401 for a missing or wrong token, before the path check; 200 with the right one', async () => {
      const s = await start({ accessToken: 'right-token' });
      const missing = await request(`${s.origin}/api/1/stream/nope`, { headers: gz });
      assert.equal(missing.status, 401);
      assert.equal((JSON.parse(missing.body) as { error: string }).error, 'unauthorized');
      const wrong = await request(s.streamUrl, { headers: { ...gz, authorization: 'Bearer wrong' } });
      assert.equal(wrong.status, 401);
      const ok = await stream(`${s.streamUrl}?maxConnections=1&reset=smallest&smoothing=1&smoothingBucketSize=270`, { ...gz, authorization: 'Bearer right-token' });
      assert.equal(ok.status, 200);
    });

    it('404 for an unknown path; /api/2/ and the redirect target demo2 are served', async () => {
      const s = await start({ maxConnections: 3 });
      assert.equal((await request(`${s.origin}/api/1/stream/nope`, { headers: gz })).status, 404);
      assert.equal((await request(`${s.origin}/something`, { headers: gz })).status, 404);
      assert.equal((await stream(`${s.origin}/api/2/stream/demo`)).status, 200);
      assert.equal((await stream(`${s.origin}/api/1/stream/demo2`)).status, 200);
    });

    it('409 with Adobe\'s body when the slots are taken, or when maxConnections disagrees', async () => {
      const s = await start();
      const first = await stream();
      assert.equal(first.status, 200);
      const second = await request(s.streamUrl, { headers: gz });
      assert.equal(second.status, 409);
      assert.equal(second.body, CONFLICT_1);
      first.close();
      await waitUntil(() => s.activeConnections === 0, 'slot freed');

      const a = await stream(`${s.streamUrl}?maxConnections=2`);
      const b = await stream(`${s.streamUrl}?maxConnections=2`);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      const third = await request(`${s.streamUrl}?maxConnections=2`, { headers: gz });
      assert.equal(third.status, 409);
      assert.equal(JSON.parse(third.body).error_description, 'Maximum connections reached (2) for stream demo');
      a.close();
      await waitUntil(() => s.activeConnections === 1, 'one slot freed');
      const mismatch = await request(`${s.streamUrl}?maxConnections=3`, { headers: gz });
      assert.equal(mismatch.status, 409);
      assert.match(JSON.parse(mismatch.body).error_description, /maxConnections/);
      assert.equal(s.maxConcurrentObserved, 2);
    });
  });

  it('a closed connection stays a ghost for ghostSeconds: 409, then 200', async () => {
    const s = await start({ ghostSeconds: 0.3 });
    const c = await stream();
    c.close();
    await waitUntil(() => s.activeConnections === 0, 'connection closed');
    const closedAt = Date.now();
    assert.equal(s.ghostConnections, 1);
    const r = await request(s.streamUrl, { headers: gz });
    assert.equal(r.status, 409);
    assert.equal(r.body, CONFLICT_1);
    await waitUntil(() => s.ghostConnections === 0, 'ghost expiry');
    assert.ok(Date.now() - closedAt >= 250, 'the ghost held the slot for about ghostSeconds');
    assert.equal((await stream()).status, 200);
    assert.equal(s.maxConcurrentObserved, 1);
  });

  it('replays the last N hits to a new connection (clients must dedupe); reset=latest skips them', async () => {
    const s = await start({ rate: 200, replayOnReconnect: 3 });
    const a = await stream();
    await waitUntil(() => a.records().length >= 10, '10 records');
    s.pause();
    await waitUntil(() => a.records().length === s.emittedCount, 'all emitted hits received');
    const lastOfA = a.records().slice(-3).map(hitKey);
    a.close();
    await waitUntil(() => s.activeConnections === 0, 'closed');

    const b = await stream();
    await waitUntil(() => b.records().length >= 3, 'replayed records');
    assert.deepEqual(b.records().map(hitKey), lastOfA);
    s.resume();
    await waitUntil(() => b.records().length >= 8, 'new records');
    const fresh = b.records().slice(3).map(hitKey);
    assert.ok(fresh.every((k) => !lastOfA.includes(k)), 'after the replay, new hits');
    b.close();
    await waitUntil(() => s.activeConnections === 0, 'closed');

    s.pause();
    const c = await stream(`${s.streamUrl}?reset=latest`);
    s.inject('{"marker":1}');
    await waitUntil(() => c.records().length >= 1, 'marker');
    assert.deepEqual(c.records(), ['{"marker":1}']);
  });

  it('delivers hits generated while nobody was connected to the next connection', async () => {
    const s = await start({ rate: 500, replayOnReconnect: 0 });
    await new Promise((r) => setTimeout(r, 80));
    s.pause(); // so whatever arrives below was generated before the connection
    assert.equal(s.emittedCount, 0);
    const c = await stream();
    await waitUntil(() => s.emittedCount >= 10 && c.records().length === s.emittedCount, 'backlog');
    c.close();
    await waitUntil(() => s.activeConnections === 0, 'closed');
    // reset=largest starts at the newest data: no backlog.
    s.resume();
    await new Promise((r) => setTimeout(r, 60));
    s.pause();
    const d = await stream(`${s.streamUrl}?reset=largest`);
    s.inject('{"marker":2}');
    await waitUntil(() => d.records().length >= 1, 'marker');
    assert.deepEqual(d.records(), ['{"marker":2}']);
  });

  it('answers enqueued responses in order, then resumes normal behaviour', async () => {
    const s = await start();
    s.enqueue(
      { status: 409, body: '{"error":"conflict","error_description":"scripted"}' },
      { status: 503 },
      { status: 302, location: '/api/1/stream/demo2' },
      { status: 302, location: 'https://evil.example.com/steal' },
      { status: 500, headers: { 'Retry-After': '7' } },
    );
    const r1 = await request(s.streamUrl, { headers: gz });
    assert.deepEqual([r1.status, r1.body], [409, '{"error":"conflict","error_description":"scripted"}']);
    const r2 = await request(s.streamUrl, { headers: gz });
    assert.equal(r2.status, 503);
    assert.equal(JSON.parse(r2.body).error, 'service_unavailable');
    const r3 = await request(s.streamUrl, { headers: gz });
    assert.deepEqual([r3.status, r3.headers.location], [302, '/api/1/stream/demo2']);
    const r4 = await request(s.streamUrl, { headers: gz });
    assert.deepEqual([r4.status, r4.headers.location], [302, 'https://evil.example.com/steal']);
    const r5 = await request(s.streamUrl, { headers: gz });
    assert.deepEqual([r5.status, r5.headers['retry-after']], [500, '7']);
    const c = await stream(`${s.origin}/api/1/stream/demo2`);
    assert.equal(c.status, 200);
    assert.deepEqual(s.requests.map((r) => r.status), [409, 503, 302, 302, 500, 200]);
  });

  it('logs requests (with query, Authorization, Accept-Encoding, x-api-key) and calls onRequest', async () => {
    const s = await start({ accessToken: 'secret-token' });
    const seen: number[] = [];
    const off = s.onRequest((r) => seen.push(r.status));
    const c = await stream(`${s.streamUrl}?maxConnections=1&reset=largest`, { ...gz, authorization: 'Bearer secret-token', 'x-api-key': 'my-client' });
    assert.equal(c.status, 200);
    off();
    await request(s.streamUrl, { headers: gz });
    assert.deepEqual(seen, [200]);
    const [first] = s.requests;
    assert.equal(first!.method, 'GET');
    assert.equal(first!.path, '/api/1/stream/demo');
    assert.deepEqual(first!.query, { maxConnections: '1', reset: 'largest' });
    assert.equal(first!.authorization, 'Bearer secret-token');
    assert.equal(first!.acceptEncoding, 'gzip');
    assert.equal(first!.apiKey, 'my-client');
    assert.equal(s.requests.length, 2);
  });

  describe('control over HTTP', () => {
    it('enqueue, pause, setRate, inject, dropAll via POST /_mock/control; status never echoes tokens', async () => {
      const s = await start({ rate: 0, accessToken: 'secret-token' });
      const post = (body: unknown) => request(`${s.origin}/_mock/control`, { method: 'POST', body: JSON.stringify(body), headers: s.controlHeaders });

      assert.equal((await post({ enqueue: [{ status: 409 }] })).status, 200);
      const conflict = await request(s.streamUrl, { headers: { ...gz, authorization: 'Bearer secret-token' } });
      assert.deepEqual([conflict.status, conflict.body], [409, CONFLICT_1]);

      const c = await stream(s.streamUrl, { ...gz, authorization: 'Bearer secret-token' });
      const r = await post({ setRate: 123, pause: true, inject: '{"injected":"é🎉"}' });
      assert.equal(r.status, 200);
      assert.equal(s.rate, 123);
      assert.equal(s.paused, true);
      await waitUntil(() => c.records().length === 1, 'injected record');
      assert.deepEqual(c.records(), ['{"injected":"é🎉"}']);

      const status = await request(`${s.origin}/_mock/status`);
      assert.equal(status.status, 200);
      assert.ok(!status.body.includes('secret-token'), 'no credential in /_mock/status');
      const st = JSON.parse(status.body);
      assert.equal(st.activeConnections, 1);
      assert.equal(st.paused, true);
      assert.equal(st.rate, 123);
      assert.ok(st.requests.some((x: { authorization?: string }) => x.authorization === 'Bearer ***'));

      assert.equal((await post({ dropAll: 'end' })).status, 200);
      assert.equal(await c.ended, 'end');
      assert.equal(s.activeConnections, 0);

      const bad = await post({ explode: true });
      assert.equal(bad.status, 400);
      assert.equal(JSON.parse(bad.body).error, 'invalid_request');
      assert.equal((await post({ dropAll: 'sideways' })).status, 400);
      assert.equal((await request(`${s.origin}/_mock/control`, { method: 'POST', body: 'not json', headers: s.controlHeaders })).status, 400);
      assert.equal((await request(`${s.origin}/_mock/control`)).status, 405);
      // Control and status calls are not part of the request log that tests assert on.
      assert.ok(s.requests.every((x) => !x.path.startsWith('/_mock')));
    });

    it('a web page cannot drive it: control needs the secret token, a JSON content type and no Origin', async () => {
      const s = await start({ rate: 5 });
      assert.match(s.controlToken, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
      const other = await MockLiveStreamServer.start({ rate: 0 });
      const otherToken = other.controlToken;
      await other.close();
      assert.notEqual(otherToken, s.controlToken, 'a new secret for every server');
      const body = JSON.stringify({ setRate: 77, enqueue: [{ status: 409 }] });
      const post = (headers: Record<string, string>) => request(s.controlUrl, { method: 'POST', body, headers });
      const json = 'application/json';
      const cases: [string, Record<string, string>, number][] = [
        // What a page can send without a preflight: a "simple" text/plain POST, with its Origin.
        ['no-cors fetch from a page', { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://evil.example' }, 403],
        ['text/plain, no Origin, no token', { 'content-type': 'text/plain' }, 401],
        ['JSON without a token', { 'content-type': json }, 401],
        ['JSON with a wrong token', { 'content-type': json, [CONTROL_TOKEN_HEADER]: 'x'.repeat(43) }, 401],
        ['JSON with a token of another length', { 'content-type': json, [CONTROL_TOKEN_HEADER]: s.controlToken.slice(1) }, 401],
        ['the right token from a page (any Origin)', { 'content-type': json, [CONTROL_TOKEN_HEADER]: s.controlToken, origin: s.origin }, 403],
        ['the right token as text/plain', { 'content-type': 'text/plain', [CONTROL_TOKEN_HEADER]: s.controlToken }, 415],
        ['the right token, form-encoded', { 'content-type': 'application/x-www-form-urlencoded', [CONTROL_TOKEN_HEADER]: s.controlToken }, 415],
      ];
      for (const [what, headers, status] of cases) {
        const r = await post(headers);
        assert.equal(r.status, status, `${what}: ${r.body}`);
        assert.ok(JSON.parse(r.body).error_description.length > 10, `a clear message for ${what}`);
      }
      assert.equal(s.rate, 5, 'nothing refused was applied');
      assert.equal(s.status().queued, 0);
      const ok = await post({ 'content-type': 'application/json; charset=utf-8', [CONTROL_TOKEN_HEADER]: s.controlToken });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(s.rate, 77);
      assert.equal(s.status().queued, 1);
      assert.ok(!(await request(s.statusUrl)).body.includes(s.controlToken), 'the status never shows the token');
    });

    it('can be turned off (the CLI\'s tail --demo)', async () => {
      const s = await start({ rate: 0, control: false });
      const r = await request(s.controlUrl, { method: 'POST', body: '{"setRate":1}', headers: s.controlHeaders });
      assert.equal(r.status, 404);
      assert.equal(s.rate, 0);
    });

    it('rates and sizes are bounded: an out-of-range value is a 400 with a clear message, and nothing is applied', async () => {
      const s = await start({ rate: 5 });
      const post = (body: unknown) => request(s.controlUrl, { method: 'POST', body: JSON.stringify(body), headers: s.controlHeaders });
      const bad: [unknown, RegExp][] = [
        // Just above the bound first: on code without bounds this fails without a 1e12 rate hanging the process.
        [{ setRate: MAX_RATE + 1 }, /rate must be a number from 0 to 100000 hits\/s, got 100001/],
        [{ setRate: 1e12 }, /rate must be a number from 0 to 100000/],
        [{ setRate: -1 }, /rate must be/],
        [{ setRate: '50' }, /rate must be/],
        [{ enqueue: Array.from({ length: 1001 }, () => ({ status: 503 })) }, /at most 1000 scripted responses/],
        [{ enqueue: [{ status: 200, headers: { 'x-a': 'b\r\nSet-Cookie: x=1' } }] }, /invalid scripted header/],
        [{ enqueue: [{ status: 302, location: 'https://a/\r\nx: y' }] }, /invalid scripted header "Location"/],
        [{ enqueue: [{ status: 503, body: 'x'.repeat(64 * 1024 + 1) }] }, /at most 65536 bytes/],
        [{ enqueue: [{ status: 503, headers: { 'x-n': 5 } }] }, /must be a string/],
        [{ inject: Array.from({ length: 10_001 }, () => '{}') }, /at most 10000 records/],
        [{ resume: 'yes' }, /resume must be true/],
        [{ injectBytes: 'not base64!' }, /base64/],
      ];
      for (const [cmd, re] of bad) {
        const r = await post(cmd);
        assert.equal(r.status, 400, `${JSON.stringify(cmd).slice(0, 80)} → ${r.status}`);
        assert.match(JSON.parse(r.body).error_description, re);
      }
      assert.equal(s.rate, 5);
      assert.equal(s.status().queued, 0);
      const big = await request(s.controlUrl, { method: 'POST', body: JSON.stringify({ inject: 'x'.repeat(MAX_CONTROL_BODY_BYTES) }), headers: s.controlHeaders });
      assert.equal(big.status, 413);
      assert.throws(() => s.setRate(1e12), /rate must be a number from 0 to 100000/);
      await assert.rejects(MockLiveStreamServer.start({ rate: 1e12 }), /rate must be a number from 0 to 100000/);
      // The largest allowed rate is accepted.
      assert.equal((await post({ setRate: MAX_RATE })).status, 200);
      assert.equal(s.rate, MAX_RATE);
    });
  });

  describe('hit generation never blocks the event loop', () => {
    /**
     * Watches every turn of the event loop for `ms` (setImmediate ping-pong): the longest
     * turn, and the most hits the server generated within one turn (its generator's count).
     */
    function watchLoop(s: MockLiveStreamServer, ms: number): Promise<{ longestMs: number; mostHits: number }> {
      const generated = () => (s as unknown as { gen: { count: number } }).gen.count;
      return new Promise((resolve) => {
        let last = performance.now();
        let lastCount = generated();
        const end = last + ms;
        let longestMs = 0;
        let mostHits = 0;
        const turn = (): void => {
          const t = performance.now();
          const c = generated();
          longestMs = Math.max(longestMs, t - last);
          mostHits = Math.max(mostHits, c - lastCount);
          last = t;
          lastCount = c;
          if (t < end) setImmediate(turn); else resolve({ longestMs, mostHits });
        };
        setImmediate(turn);
      });
    }

    it('at the maximum rate (100 000 hits/s), and after a stalled event loop, one turn of the loop generates a few hundred hits at most', async function () {
      this.timeout(30_000);
      const s = await start({ rate: 100_000, replayOnReconnect: 0, backlogMax: 0, flushEveryRecords: 50 });
      // A client that reads and discards (no gunzip here: the server's cost is what is measured).
      let received = 0;
      const req = http.get(s.streamUrl, { headers: gz, agent: false }, (res) => res.on('data', (d: Buffer) => { received += d.length; }));
      req.on('error', () => undefined);
      try {
        await waitUntil(() => received > 0, 'stream bytes');
        const emitted0 = s.emittedCount;
        const steady = await watchLoop(s, 1500);
        const rate = ((s.emittedCount - emitted0) / 1.5) | 0;
        // A stall of the whole process (a GC pause, a busy extension host): the generator must
        // not catch up on it in one go (the old one generated up to a second's worth at once).
        const t0 = performance.now();
        while (performance.now() - t0 < 400) { /* stall */ }
        const afterStall = await watchLoop(s, 1500);
        console.log(`      per loop turn at most ${steady.mostHits} hits steady, ${afterStall.mostHits} after a 400 ms stall; longest turn ${steady.longestMs.toFixed(1)} / ${afterStall.longestMs.toFixed(1)} ms; ${rate} hits/s emitted`);
        // One turn runs at most a tick's slice and one more slice (200 hits each, ~2 ms of work),
        // so 400; the bound leaves room for a change of slice size. It does not depend on the
        // machine's speed, unlike a time bound. The old generator: 65 000–100 000 in one turn.
        assert.ok(steady.mostHits <= 1000, `steady: ${steady.mostHits} hits in one turn`);
        assert.ok(afterStall.mostHits <= 1000, `after a stall: ${afterStall.mostHits} hits in one turn`);
        // A generous time bound on top, for a loaded 2-core machine (GC pauses, other processes):
        // the old generator blocked for 1–2.5 s per tick here.
        assert.ok(Math.max(steady.longestMs, afterStall.longestMs) < 1000, `longest turn ${steady.longestMs.toFixed(1)} / ${afterStall.longestMs.toFixed(1)} ms`);
        assert.ok(rate > 1_000, `still a firehose: ${rate} hits/s`);
        assert.equal(MAX_RATE, 100_000, 'the rate measured here is the maximum');
      } finally { req.destroy(); }
    });
  });

  describe('token endpoint', () => {
    const form = (fields: Record<string, string>) => ({
      method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const creds = { grant_type: 'client_credentials', client_id: 'cid', client_secret: 'shh', scope: 'openid,AdobeID,read_organizations' };

    it('issues tokens the stream accepts, rejects bad credentials, and expireTokens forces a refresh', async () => {
      const s = await start({ clientId: 'cid', clientSecret: 'shh', tokenTtlSeconds: 600 });
      const ok = await request(s.tokenUrl, form(creds));
      assert.equal(ok.status, 200);
      const tok = JSON.parse(ok.body) as { access_token: string; token_type: string; expires_in: number };
      assert.match(tok.access_token, /^mock-[0-9a-f]+$/);
      assert.equal(tok.token_type, 'bearer');
      assert.equal(tok.expires_in, 600);

      const bad = await request(s.tokenUrl, form({ ...creds, client_secret: 'nope' }));
      assert.equal(bad.status, 401);
      assert.equal(JSON.parse(bad.body).error, 'invalid_client');
      assert.equal((await request(s.tokenUrl, form({ ...creds, grant_type: 'password' }))).status, 400);

      assert.equal((await request(s.streamUrl, { headers: gz })).status, 401);
      const c = await stream(s.streamUrl, { ...gz, authorization: `Bearer ${tok.access_token}` });
      assert.equal(c.status, 200);
      c.close();
      await waitUntil(() => s.activeConnections === 0, 'closed');

      s.expireTokens();
      const expired = await request(s.streamUrl, { headers: { ...gz, authorization: `Bearer ${tok.access_token}` } });
      assert.equal(expired.status, 401);
      assert.match(JSON.parse(expired.body).error_description, /expired/);
      const fresh = JSON.parse((await request(s.tokenUrl, form(creds))).body) as { access_token: string };
      assert.notEqual(fresh.access_token, tok.access_token);
      assert.equal((await stream(s.streamUrl, { ...gz, authorization: `Bearer ${fresh.access_token}` })).status, 200);

      assert.equal(s.tokenRequests, 4);
      const tokenLog = s.requests.filter((r) => r.path === '/ims/token/v3');
      assert.equal(tokenLog.length, 4);
      assert.equal(tokenLog[0]!.query.scope, creds.scope);
      assert.equal(tokenLog[0]!.query.client_secret, '***', 'the secret is not kept');
    });

    it('the token endpoint is scriptable too', async () => {
      const s = await start({ clientId: 'cid', clientSecret: 'shh' });
      s.enqueueToken({ status: 503 });
      assert.equal((await request(s.tokenUrl, form(creds))).status, 503);
      assert.equal((await request(s.tokenUrl, form(creds))).status, 200);
    });
  });

  it('dropAll("reset") leaves a partial record on the wire; the cut hit comes whole on reconnect', async () => {
    const s = await start({ rate: 0 });
    const c = await stream();
    s.inject('{"n":1}');
    s.inject('{"n":2}');
    await waitUntil(() => c.records().length === 2, 'two records');
    await s.dropAll('reset');
    const how = await c.ended;
    assert.notEqual(how, 'end', 'not a clean end');
    const text = inflateAll(c.compressed);
    assert.ok(text.startsWith('{"n":1}\r\n{"n":2}\r\n'));
    const partial = text.slice('{"n":1}\r\n{"n":2}\r\n'.length);
    assert.ok(partial.length > 10 && !partial.includes('\n'), `partial record: ${JSON.stringify(partial.slice(0, 40))}`);
    assert.ok(partial.startsWith('{"hitIdHigh":'));
    assert.throws(() => JSON.parse(partial));
    assert.equal(s.activeConnections, 0);

    const again = await stream();
    await waitUntil(() => again.records().length >= 1, 'redelivered hit');
    const whole = again.records()[0]!;
    assert.ok(whole.startsWith(partial.replace(/\uFFFD$/, '')));
    JSON.parse(whole);
  });

  it('close() resolves promptly with streams open and ends them', async () => {
    const s = await start({ rate: 100, maxConnections: 2 });
    const a = await stream();
    const b = await stream();
    await waitUntil(() => a.records().length > 0 && b.records().length > 0, 'both streaming');
    const t0 = Date.now();
    await s.close();
    assert.ok(Date.now() - t0 < 500, `close took ${Date.now() - t0} ms`);
    await Promise.all([a.ended, b.ended]);
    await assert.rejects(request(s.streamUrl, { headers: gz }));
  });

  it('close() during a dropAll("reset") settles both', async () => {
    const s = await start({ rate: 0 });
    const c = await stream();
    const dropping = s.dropAll('reset');
    await s.close();
    await dropping;
    assert.notEqual(await c.ended, 'end');
  });

  it('pool mode (firehose bench): pooled records resent with unique 64-bit hitIdLow, every record valid JSON', async () => {
    await start({ rate: 5000, pool: 7, flushEveryRecords: 50, replayOnReconnect: 0 });
    const c = await stream();
    await waitUntil(() => c.records().length >= 300, 'pooled hits arrive');
    const recs = c.records().slice(0, 300);
    const lows = recs.map((r) => { JSON.parse(r); return /"hitIdLow":(\d+)/.exec(r)![1]!; });
    assert.equal(new Set(lows).size, 300, 'hit ids never repeat');
    assert.ok(lows.every((l) => l.length === 19 && BigInt(l) < 2n ** 64n && BigInt(l) > 2n ** 53n));
    assert.equal(new Set(recs.map((r) => r.replace(/"hitIdLow":\d+/, ''))).size, 7, 'the rest of each record comes from the pool');
  });

  it('survives clients that abort at every stage', async () => {
    const s = await start({ rate: 1000 });
    for (let i = 0; i < 5; i++) {
      const c = await openStream(s.streamUrl);
      c.close();
      await waitUntil(() => s.activeConnections === 0, 'abort seen');
      const sock = net.connect(s.port, '127.0.0.1', () => { sock.write('GET /api/1/stream/demo HTTP/1.1\r\nHost: x\r\nAcc'); sock.destroy(); });
      sock.on('error', () => undefined);
    }
    const c = await stream();
    assert.equal(c.status, 200);
    await waitUntil(() => c.records().length > 5, 'still streaming');
  });

  it('splits hits between connections by visitor when maxConnections > 1', async () => {
    const s = await start({ rate: 400, replayOnReconnect: 0, backlogMax: 0, generator: { visitors: 6 } });
    s.pause(); // both connections must exist before the first hit
    const a = await stream(`${s.streamUrl}?maxConnections=2`);
    const b = await stream(`${s.streamUrl}?maxConnections=2`);
    s.resume();
    await waitUntil(() => a.records().length >= 10 && b.records().length >= 10, 'both get hits');
    const vis = (c: StreamClient) => new Set(c.records().map((r) => /"visIdLow":(\d+)/.exec(r)![1]));
    const la = vis(a), lb = vis(b);
    assert.deepEqual([...la].filter((v) => lb.has(v)), [], 'each visitor on one connection');
    const ids = [...a.records(), ...b.records()].map(hitKey);
    assert.equal(new Set(ids).size, ids.length, 'no hit sent twice');
  });

  describe('wire shapes', () => {
    it('chunkBytes splits records and UTF-8 characters across gzip flushes', async () => {
      const s = await start({ rate: 0, chunkBytes: 5 });
      const r = rawStream(s.port);
      await waitUntil(() => r.head() !== '' && s.activeConnections === 1, 'headers');
      assert.match(r.head(), /^HTTP\/1\.1 200 /);
      assert.match(r.head(), /transfer-encoding: chunked/i);
      const record = '{"s":"ééé🎉🎉日本語 ok","n":"x"}';
      s.inject(record);
      s.inject(record);
      const want = `${record}\r\n${record}\r\n`;
      await waitUntil(() => inflateAll(r.chunks) === want, 'both records');
      // Plain-text length after each HTTP chunk: every flush point is a place a client may see a boundary.
      const prefixes = r.chunks.map((_, k) => zlib.gunzipSync(Buffer.concat(r.chunks.slice(0, k + 1)), { finishFlush: zlib.constants.Z_SYNC_FLUSH }));
      const lengths = prefixes.map((p) => p.length);
      for (let k = 1; k < lengths.length; k++) assert.ok(lengths[k]! - lengths[k - 1]! <= 5, 'at most chunkBytes per flush');
      const strict = new TextDecoder('utf-8', { fatal: true });
      const midChar = prefixes.filter((p) => { try { strict.decode(p); return false; } catch { return true; } });
      assert.ok(midChar.length > 0, 'some flush boundary falls inside a multi-byte character');
      r.close();
    });

    it('flushEveryRecords groups N records per flush', async () => {
      const s = await start({ rate: 300, flushEveryRecords: 4, replayOnReconnect: 0, backlogMax: 0 });
      const r = rawStream(s.port);
      await waitUntil(() => (inflateAll(r.chunks).match(/\r\n/g) ?? []).length >= 12, '12 records');
      let plain = Buffer.alloc(0);
      const inflater = (k: number) => zlib.gunzipSync(Buffer.concat(r.chunks.slice(0, k + 1)), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      for (let k = 0; k < r.chunks.length; k++) {
        plain = inflater(k);
        const text = plain.toString('utf8');
        assert.ok(text.endsWith('\r\n'), 'flushes at record boundaries');
        assert.equal(text.split('\r\n').length - 1 === 0 ? 0 : (text.split('\r\n').length - 1) % 4, 0, 'multiple of 4 records');
      }
      r.close();
    });

    it('emptyRecordEvery, crlf=false, injectBytes and oversized injected records', async () => {
      const s = await start({ rate: 300, emptyRecordEvery: 3, crlf: false, replayOnReconnect: 0, backlogMax: 0 });
      const c = await stream();
      await waitUntil(() => c.text().split('\n').length > 13, '12 lines');
      const lines = c.text().split('\n');
      lines.pop();
      assert.ok(!c.text().includes('\r'), 'LF only');
      assert.ok(lines.slice(0, 12).every((l, i) => (i % 4 === 3 ? l === '' : l.startsWith('{'))), 'an empty record after every 3 hits');

      s.pause();
      const big = JSON.stringify({ big: 'x'.repeat(3 * 1024 * 1024) });
      s.injectBytes(Buffer.from('raw-bytes'));
      s.inject(big);
      const tail = `raw-bytes${big}\n`;
      await waitUntil(() => c.text().endsWith(tail), 'oversized record', 5000);
      const text = c.text();
      assert.ok(text.slice(0, -tail.length).endsWith('\n'), 'raw bytes follow a complete record, unframed');
    });
  });
});
