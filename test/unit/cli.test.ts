import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { CONTROL_TOKEN_HEADER, MockLiveStreamServer } from '../../src/mock/mockServer';
import { FileCooldownStore } from '../../src/stream/cooldownStore';
import { streamKey } from '../../src/stream/streamConfig';
import { ScriptedServer, status, until } from '../support/engineHelpers';
import { buildCli, CLI, runCli, type CliRun } from '../support/cliRun';
import { createHitGenerator } from '../../src/mock/hitGenerator';


/**
 * Test-only override of the 5 s floor of the failure back-off (the CLI reads it only from
 * this variable): the reconnect drills below run in milliseconds.
 */
const FAST_BACKOFF = { LIVESTREAM_TEST_MIN_BACKOFF_MS: '100' };

function hitIds(lines: string[]): string[] {
  return lines.map((l) => {
    const m = /"hitIdHigh":(\d+),"hitIdLow":(\d+)/.exec(l);
    assert.ok(m, `no id in ${l.slice(0, 200)}`);
    return `${m[1]}:${m[2]}`;
  });
}

describe('CLI (dist/cli.js against the mock over loopback)', function () {
  this.timeout(30_000);
  let mock: MockLiveStreamServer | undefined;
  let stateDir: string;
  const runs: CliRun[] = [];
  const tail = (args: string[], env: Record<string, string> = {}) => {
    const r = runCli(['tail', '--state-dir', stateDir, ...args], env);
    runs.push(r);
    return r;
  };

  before(() => {
    // Test the real bundle, freshly built.
    buildCli();
  });
  beforeEach(() => { stateDir = mkdtempSync(join(tmpdir(), 'lsi-cli-')); });
  afterEach(async () => {
    for (const r of runs.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await mock?.close();
    mock = undefined;
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('prints every hit once, with exactly the digits the server sent', async () => {
    mock = await MockLiveStreamServer.start({ rate: 200, replayOnReconnect: 5 });
    const fixture = readFileSync(join(__dirname, '../fixtures/adobe-sample-hit.json'), 'utf8').replace(/\r?\n\s*/g, ' ');
    const r = tail(['--url', mock.streamUrl, '--cooldown', '0.2']);
    await until(() => r.lines().length >= 20, 10_000, 'hits');
    mock.inject(fixture);
    await until(() => r.stdout().includes('4948646782672799561'), 5000, 'fixture');
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0);
    const line = r.lines().find((l) => l.includes('4948646782672799561'))!;
    assert.match(line, /"hitIdHigh": 2948027281753079808,/);
    assert.match(line, /"hitIdLow": 4948646782672799561,/);
    assert.match(line, /"visIdLow": 2512895455560210216,/);
    const ids = hitIds(r.lines().filter((l) => !l.includes('4948646782672799561')));
    assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  });

  it('a burst far over the stream worker\'s backlog limit is printed whole: the process does not exit while reading is held back', async () => {
    // ~40 MB of records (6 MB gzipped) in one go: the pipeline holds reading back (8 MiB in flight) while its worker catches up,
    // and then nothing but the worker is busy. An unreferenced worker let the CLI exit there, silently, with code 0.
    const { gzipSync } = await import('node:zlib');
    const { createHitGenerator } = await import('../../src/mock/hitGenerator');
    const n = 25_000;
    const gen = createHitGenerator({ seed: 3 });
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(`${gen.next(Date.now())}\n`);
    const gz = gzipSync(parts.join(''), { level: 6 });
    const server = await ScriptedServer.start();
    try {
      server.next((_req, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        let off = 0;
        const pump = () => {
          while (off < gz.length) {
            const piece = gz.subarray(off, off += 16 * 1024);
            if (!res.write(piece)) { res.once('drain', pump); return; }
          }
        };
        pump();
      });
      const r = tail(['--url', server.url, '--force']);
      await until(() => r.lines().length >= n || r.child.exitCode !== null, 60_000, 'all records printed');
      assert.equal(r.child.exitCode, null, `the CLI exited early: ${r.stderr()}`);
      assert.equal(r.lines().length, n);
      r.kill('SIGINT');
      assert.equal(await r.exit, 0);
    } finally {
      await server.close();
    }
  });

  it('mid-stream socket reset: no partial hit printed, replayed hits not printed twice', async function () {
    // Three quick losses back off 0.3, 0.6 and 1.2 s (each connection lasted under the floor); a loaded
    // machine stretches the rest. Generous waits, and what the CLI said if it still does not reconnect.
    this.timeout(90_000);
    mock = await MockLiveStreamServer.start({ rate: 100, replayOnReconnect: 10 });
    const r = tail(['--url', mock.streamUrl, '--cooldown', '0.3'], FAST_BACKOFF);
    for (let i = 0; i < 3; i++) {
      // The (i+1)-th connection must be open before it is reset: lines still printed from the
      // previous one (worker batches, stdout) once made a reset hit no connection at all, and the
      // test then waited for a reconnect that had no reason to happen.
      await until(() => mock!.requests.filter((q) => q.status === 200).length >= i + 1 && mock!.activeConnections === 1, 30_000, `connection ${i + 1} open`);
      const before = r.lines().length;
      await until(() => r.lines().length >= before + 10, 10_000, 'hits before reset');
      await mock.dropAll('reset');
    }
    await until(() => mock!.requests.filter((q) => q.status === 200).length >= 4, 30_000, 'reconnected 3 times').catch((e: Error) => {
      throw new Error(`${e.message}; requests ${JSON.stringify(mock!.requests.map((q) => q.status))}, ${mock!.activeConnections} open; the CLI said:\n${r.stderr().slice(-3000)}`);
    });
    await until(() => r.lines().length >= 60, 10_000, 'more hits');
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0);
    for (const l of r.lines()) assert.doesNotThrow(() => JSON.parse(l), `partial or broken line: ${l.slice(0, 100)}`);
    const ids = hitIds(r.lines());
    assert.equal(new Set(ids).size, ids.length, 'replayed hits printed twice');
    assert.ok(mock.requests.length >= 4);
  });

  it('ghost connections: with cooldown ≥ ghost time, never a self-inflicted 409', async () => {
    mock = await MockLiveStreamServer.start({ rate: 50, ghostSeconds: 0.5, maxConnections: 1 });
    const r = tail(['--url', mock.streamUrl, '--max-connections', '1', '--cooldown', '0.7'], FAST_BACKOFF);
    for (let i = 0; i < 3; i++) {
      await until(() => mock!.activeConnections === 1, 10_000, 'connected');
      await mock.dropAll('reset');
    }
    await until(() => mock!.requests.filter((q) => q.status === 200).length >= 4, 10_000, 'four connections');
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0);
    const statuses = mock.requests.map((q) => q.status);
    assert.ok(!statuses.includes(409), `statuses: ${statuses.join(',')}`);
  });

  it('…and the same drill with a 0.1 s cooldown does hit the ghost (the test can fail)', async () => {
    mock = await MockLiveStreamServer.start({ rate: 50, ghostSeconds: 0.5, maxConnections: 1 });
    const r = tail(['--url', mock.streamUrl, '--max-connections', '1', '--cooldown', '0.1'], FAST_BACKOFF);
    await until(() => mock!.activeConnections === 1, 10_000, 'connected');
    await mock.dropAll('reset');
    await until(() => mock!.requests.some((q) => q.status === 409), 10_000, 'a 409');
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0);
  });

  it('backs off after repeated 409/503: gaps double from the cooldown', async () => {
    mock = await MockLiveStreamServer.start({ rate: 10 });
    mock.enqueue({ status: 409 }, { status: 503 }, { status: 409 });
    // The cooldown (250 ms) is above the test floor (100 ms): the back-off doubles from the cooldown.
    const r = tail(['--url', mock.streamUrl, '--cooldown', '0.25'], FAST_BACKOFF);
    await until(() => mock!.requests.length >= 4, 15_000, 'four attempts');
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0);
    const at = mock.requests.slice(0, 4).map((q) => q.at);
    const gaps = [at[1] - at[0], at[2] - at[1], at[3] - at[2]];
    const expected = [250, 500, 1000];
    gaps.forEach((g, i) => assert.ok(g >= expected[i] && g < expected[i] * 1.1 + 400, `gap ${i}: ${g} ms, expected ≥ ${expected[i]}`));
    assert.match(r.stderr(), /409/);
    assert.match(r.stderr(), /503/);
  });

  it('--cooldown 0 against a server that always answers 503: at most 2 requests in 3 s (failed attempts wait ≥ 5 s)', async () => {
    const always503 = await ScriptedServer.start();
    always503.otherwise(status(503, '{"error":"service_unavailable","error_description":"Service unavailable"}'));
    try {
      const r = tail(['--url', always503.url, '--cooldown', '0']);
      await new Promise((res) => setTimeout(res, 3000));
      const sent = always503.requests.length;
      r.child.kill('SIGINT');
      assert.equal(await r.exit, 0);
      assert.ok(sent >= 1 && sent <= 2, `${sent} requests in 3 s`);
      assert.match(r.stderr(), /503/);
      assert.match(r.stderr(), /next attempt in [56] s/, 'the 5 s floor, plus up to 10 % jitter');
    } finally { await always503.close(); }
  });

  it('a cooldown file with 1e16 as the last loss: no crash, a warning, repaired, one cooldown, then hits', async () => {
    mock = await MockLiveStreamServer.start({ rate: 20 });
    const key = streamKey(mock.streamUrl);
    const file = new FileCooldownStore(stateDir).fileFor(key);
    writeFileSync(file, JSON.stringify({ stream: key, lastLossAt: 1e16 }));
    const t0 = Date.now();
    const r = tail(['--url', mock.streamUrl, '--cooldown', '1']);
    await until(() => r.lines().length > 0, 10_000, 'hits after one cooldown');
    assert.ok(Date.now() - t0 >= 900, 'the cooldown was waited out');
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0, r.stderr());
    assert.match(r.stderr(), /warning: The shared cooldown state of .* is corrupt/);
    assert.doesNotMatch(r.stderr(), /Invalid time value/);
    const repaired = JSON.parse(readFileSync(file, 'utf8')) as { lastLossAt: number };
    assert.ok(Math.abs(repaired.lastLossAt - Date.now()) < 10_000, 'repaired (then the SIGINT recorded its own loss)');
  });

  it('idle timeout: silence is a loss, reconnect after the cooldown', async () => {
    mock = await MockLiveStreamServer.start({ rate: 20 });
    const r = tail(['--url', mock.streamUrl, '--idle-timeout', '0.5', '--cooldown', '0.2'], FAST_BACKOFF);
    await until(() => r.lines().length > 0, 10_000, 'hits');
    mock.pause();
    await until(() => mock!.requests.length >= 2, 10_000, 'reconnect after idle');
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0);
    assert.match(r.stderr(), /idle/i);
  });

  it('SIGINT during a cooldown exits 0 promptly; the loss time is persisted for the next run', async () => {
    mock = await MockLiveStreamServer.start({ rate: 20 });
    const r = tail(['--url', mock.streamUrl]);
    await until(() => r.lines().length > 0, 10_000, 'hits');
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0);
    const files = readdirSync(stateDir).filter((f) => f.startsWith('cooldown-'));
    assert.equal(files.length, 1);
    const rec = JSON.parse(readFileSync(join(stateDir, files[0]), 'utf8'));
    assert.ok(Math.abs(rec.lastLossAt - Date.now()) < 5000);
    // A second run honours the 60 s cooldown the first one left behind…
    const r2 = tail(['--url', mock.streamUrl]);
    await until(() => /cooling down/.test(r2.stderr()), 10_000, 'cooldown line');
    assert.equal(mock.requests.length, 1, 'no request during the cooldown');
    const t0 = Date.now();
    r2.child.kill('SIGTERM');
    assert.equal(await r2.exit, 0);
    assert.ok(Date.now() - t0 < 2000, 'prompt exit during cooldown');
    // …unless forced.
    const r3 = tail(['--url', mock.streamUrl, '--force']);
    await until(() => r3.lines().length > 0, 10_000, 'forced connect');
    r3.child.kill('SIGINT');
    assert.equal(await r3.exit, 0);
  });

  it('exit codes: 3 for permanent errors and refused redirects, 4 for auth, 2 for bad arguments (no request made)', async () => {
    mock = await MockLiveStreamServer.start({ rate: 5, accessToken: 'good-token-123' });
    mock.enqueue({ status: 404 });
    const a = tail(['--url', mock.streamUrl], { LIVESTREAM_ACCESS_TOKEN: 'good-token-123' });
    assert.equal(await a.exit, 3);
    assert.match(a.stderr(), /404/);

    mock.enqueue({ status: 302, location: 'https://evil.example.com/steal' });
    const b = tail(['--url', mock.streamUrl], { LIVESTREAM_ACCESS_TOKEN: 'good-token-123' });
    assert.equal(await b.exit, 3);
    assert.match(b.stderr(), /evil\.example\.com/);

    const c = tail(['--url', mock.streamUrl], { LIVESTREAM_ACCESS_TOKEN: 'wrong-token-456' });
    assert.equal(await c.exit, 4);
    assert.match(c.stderr(), /401/);
    assert.doesNotMatch(c.stderr() + c.stdout(), /wrong-token-456/, 'token never printed');

    const n = mock.requests.length;
    for (const bad of [['--max-connections', '9'], ['--reset', 'oldest'], ['--smoothing', '--smoothing-bucket-size', '7201'], ['--cooldown', 'soon'], ['--bogus'], ['--token', 'abc']]) {
      const d = tail(['--url', mock.streamUrl, ...bad], { LIVESTREAM_ACCESS_TOKEN: 'good-token-123' });
      assert.equal(await d.exit, 2, bad.join(' '));
      assert.doesNotMatch(d.stderr(), /at .*\.js:\d+/, 'no stack trace');
    }
    const e = tail(['--url', 'https://livestream.adobe.net/api/1/stream/x']);
    assert.equal(await e.exit, 2);
    assert.match(e.stderr(), /LIVESTREAM_ACCESS_TOKEN/);
    assert.equal(mock.requests.length, n, 'no request for bad arguments');
  });

  it('client credentials from the environment, against the IMS-like endpoint', async () => {
    mock = await MockLiveStreamServer.start({ rate: 20, clientId: 'cid', clientSecret: 'csecret-789' });
    const r = tail(['--url', mock.streamUrl, '--ims-url', mock.tokenUrl, '--scopes', 'openid,AdobeID'], { LIVESTREAM_CLIENT_ID: 'cid', LIVESTREAM_CLIENT_SECRET: 'csecret-789' });
    await until(() => r.lines().length > 0, 10_000, 'hits');
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0);
    assert.equal(mock.tokenRequests, 1);
    const streamReq = mock.requests.find((q) => q.path.includes('/stream/'));
    assert.equal(streamReq?.apiKey, 'cid');
    assert.match(streamReq?.authorization ?? '', /^Bearer mock-/);
    assert.doesNotMatch(r.stderr(), /csecret-789/);
  });

  it('--demo works with no credentials; piped stderr gets plain lines, no terminal status line', async () => {
    const r = tail(['--demo']);
    await until(() => r.lines().length >= 2, 10_000, 'demo hits');
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0);
    hitIds(r.lines());
    assert.match(r.stderr(), /connected/);
    assert.ok(!r.stderr().includes('\x1b['), 'no escape codes when stderr is not a terminal');
  });

  it('mock subcommand: prints its stream URL and serves the tail command; exits 0 on SIGINT', async () => {
    const m = runCli(['mock', '--port', '0', '--rate', '50', '--ghost-seconds', '0']);
    runs.push(m);
    await until(() => /http:\/\/127\.0\.0\.1:\d+\/api\/1\/stream\/demo\n/.test(m.stdout()), 10_000, 'mock URL');
    const url = m.stdout().trim();
    // Without --control there is no control endpoint at all, and no token is printed.
    assert.ok(!m.stderr().includes(CONTROL_TOKEN_HEADER), m.stderr());
    const off = await fetch(`${new URL(url).origin}/_mock/control`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"setRate":1}' });
    assert.equal(off.status, 404);
    const r = tail(['--url', url]);
    await until(() => r.lines().length >= 5, 10_000, 'hits from the mock subcommand');
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0);
    m.child.kill('SIGINT');
    assert.equal(await m.exit, 0);
    hitIds(r.lines());
  });

  it('mock --control: the control token goes to stderr only, and control requests need it', async () => {
    const m = runCli(['mock', '--port', '0', '--rate', '5', '--control']);
    runs.push(m);
    await until(() => new RegExp(`${CONTROL_TOKEN_HEADER}: \\S+`).test(m.stderr()), 10_000, 'the control line');
    const url = m.stdout().trim();
    const token = new RegExp(`${CONTROL_TOKEN_HEADER}: (\\S+)`).exec(m.stderr())![1]!;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!m.stdout().includes(token), 'stdout carries only the stream URL');
    const control = `${new URL(url).origin}/_mock/control`;
    const post = (headers: Record<string, string>) => fetch(control, { method: 'POST', headers, body: '{"setRate":42}' });
    assert.equal((await post({ 'content-type': 'application/json' })).status, 401);
    assert.equal((await post({ 'content-type': 'text/plain', [CONTROL_TOKEN_HEADER]: token })).status, 415);
    const ok = await post({ 'content-type': 'application/json', [CONTROL_TOKEN_HEADER]: token });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json() as { rate: number }).rate, 42);
    m.child.kill('SIGINT');
    assert.equal(await m.exit, 0);
  });
  it('tail at full speed into a pipe: stdout\'s pauses never lift gunzip\'s hold on the socket (no listener pile-up)', async function () {
    this.timeout(120_000);
    // tail pauses reading whenever stdout is full and resumes on its 'drain', many times a
    // second. That resume used to resume the socket while gunzip was still over its mark: a
    // 'drain' listener piled up per write (MaxListenersExceededWarning) and gunzip's input grew.
    const gen = createHitGenerator({ seed: 5 });
    const n = 60_000;
    const lines = Array.from({ length: n }, () => gen.next(Date.now()));
    const gz = gzipSync(`${lines.join('\n')}\n`, { level: 6 });
    const server = await ScriptedServer.start();
    server.next((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
      res.write(gz); // as fast as the socket takes it; the connection stays open
    });
    try {
      const child = spawn(process.execPath, [CLI, 'tail', '--url', server.url, '--force', '--state-dir', stateDir], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
      let count = 0;
      await new Promise<void>((resolve, reject) => {
        child.on('exit', (code) => reject(new Error(`tail exited (${code}) after ${count}/${n} lines: ${err}`)));
        child.stdout!.on('data', (d: Buffer) => {
          for (let i = -1; (i = d.indexOf(10, i + 1)) !== -1;) count++;
          if (count >= n) resolve();
        });
      });
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
      assert.equal(count, n);
      assert.doesNotMatch(err, /MaxListeners|Warning/, err);
    } finally {
      await server.close();
    }
  });
});
