import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Agent } from 'undici';
import { makeLoopbackCert } from '../../scripts/setup/tls.mjs';
import { assertTrustedFor, isTrustedFor } from '../../src/stream/credentialHosts';
import { UntrustedHostError } from '../../src/stream/errors';
import { LiveStreamEngine } from '../../src/stream/liveStreamEngine';
import { nullLogger } from '../../src/stream/logger';
import { parseSettings, type Settings } from '../../src/session/settings';
import { StreamService, type Credentials } from '../../src/session/streamService';
import { UserError } from '../../src/stream/errors';
import { StaticTokenProvider } from '../../src/stream/tokens';
import { until, waitForState } from '../support/engineHelpers';

const u = (s: string) => new URL(s);

describe('credential hosts: secrets go only where the user sent them', () => {
  it('the token: https under adobe.net, plain-http loopback (the mock), nothing else', () => {
    for (const ok of ['https://livestream.adobe.net/api/1/stream/x', 'https://adobe.net/x', 'https://LIVESTREAM.Adobe.NET./x', 'http://127.0.0.1:9/x', 'http://localhost:9/x', 'http://[::1]:9/x']) {
      assert.ok(isTrustedFor(u(ok), 'token'), ok);
    }
    for (const bad of ['https://adobe.net.evil.com/x', 'https://evil-adobe.net/x', 'https://evil.example/steal', 'http://livestream.adobe.net/x', 'https://localhost:8443/x', 'https://127.0.0.1/x', 'https://ims-na1.adobelogin.com/x']) {
      assert.ok(!isTrustedFor(u(bad), 'token'), bad);
    }
  });
  it('the client secret: https under adobelogin.com (not adobe.net)', () => {
    assert.ok(isTrustedFor(u('https://ims-na1.adobelogin.com/ims/token/v3'), 'clientSecret'));
    assert.ok(!isTrustedFor(u('https://livestream.adobe.net/ims'), 'clientSecret'));
    assert.ok(!isTrustedFor(u('https://attacker.example/steal'), 'clientSecret'));
    assert.ok(!isTrustedFor(u('https://adobelogin.com.attacker.example/steal'), 'clientSecret'));
  });
  it('hosts the user allowed: host:port only on that port, a bare host on any https port, never plain http', () => {
    assert.ok(isTrustedFor(u('https://proxy.corp:8443/x'), 'token', ['proxy.corp:8443']));
    assert.ok(!isTrustedFor(u('https://proxy.corp:9443/x'), 'token', ['proxy.corp:8443']));
    assert.ok(isTrustedFor(u('https://proxy.corp:9443/x'), 'token', ['Proxy.Corp']));
    assert.ok(!isTrustedFor(u('http://proxy.corp/x'), 'token', ['proxy.corp']));
    assert.ok(!isTrustedFor(u('https://other.corp/x'), 'token', ['proxy.corp', '']));
  });
  it('the refusal names the host, the rule and how to allow it', () => {
    assert.throws(() => assertTrustedFor(u('https://evil.example:444/x'), 'token'), (e: unknown) =>
      e instanceof UntrustedHostError && e.host === 'evil.example:444' && e.setting === 'liveStream.streamUrl'
      && /Refused to send your access token to evil\.example:444: evil\.example:444 is not under adobe\.net/.test(e.message)
      && /liveStream\.trustedHosts/.test(e.message) && /--allow-host evil\.example:444/.test(e.message));
  });

  describe('over real TLS on loopback (a non-Adobe name: https://localhost)', function () {
    this.timeout(30_000);
    let tls: ReturnType<typeof makeLoopbackCert>;
    let server: Server;
    let port = 0;
    let connections = 0;
    const seen: { path: string; authorization?: string; body: string }[] = [];
    let dir: string;

    before(async () => {
      tls = makeLoopbackCert();
      server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
        req.on('end', () => {
          seen.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
          if (req.url?.startsWith('/ims')) {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ access_token: 'tok-from-ims', expires_in: 3600 }));
            return;
          }
          // One hit, then an open stream (the engine is stopped by the test).
          res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
          res.write(gzipSync('{"hitIdHigh":1,"hitIdLow":2,"pageName":"x"}\r\n'));
        });
      });
      server.on('secureConnection', () => { connections++; });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(tls.dir, { recursive: true, force: true });
    });
    beforeEach(() => { seen.length = 0; connections = 0; dir = mkdtempSync(join(tmpdir(), 'lsi-trust-')); });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const trustingAgent = () => new Agent({ connect: { ca: tls.cert } });

    it('engine: an untrusted host gets no connection at all and the engine stops with untrusted-host', async () => {
      const engine = new LiveStreamEngine({
        stream: { url: `https://localhost:${port}/api/1/stream/x` }, tokens: new StaticTokenProvider('tok-secret-1'),
        dispatcher: trustingAgent(), log: nullLogger, cooldownMs: 60_000,
      });
      const run = engine.start();
      const s = await waitForState(engine, 'stopped');
      await run;
      assert.equal(s.lastError?.code, 'untrusted-host');
      assert.match(s.lastError?.description ?? '', /localhost:\d+ is not under adobe\.net/);
      assert.equal(connections, 0);
      assert.deepEqual(seen, []);
      await engine.dispose();
    });

    it('engine: the same host allowed by the user receives the token (so the refusal above is the check, not TLS)', async () => {
      const engine = new LiveStreamEngine({
        stream: { url: `https://localhost:${port}/api/1/stream/x` }, tokens: new StaticTokenProvider('tok-secret-1'),
        trustedHosts: [`localhost:${port}`], dispatcher: trustingAgent(), log: nullLogger,
      });
      const run = engine.start();
      await waitForState(engine, 'connected');
      assert.equal(seen[0]?.authorization, 'Bearer tok-secret-1');
      await engine.stop('test');
      await run;
      await engine.dispose();
    });

    const service = (settings: Partial<Settings>, creds: Credentials, allowed: string[] = []) => new StreamService({
      stateDir: dir, log: nullLogger, holderId: 'w1', windowLabel: 'window 1',
      settings: () => { const r = parseSettings(() => undefined); return { settings: { ...r.settings, ...settings }, problems: [] }; },
      credentials: async () => creds,
      allowedHosts: (kind) => (kind === "token" ? allowed : []),
      engineOverrides: { dispatcher: trustingAgent() },
    });

    it('service: a workspace-set stream URL on a foreign host is refused before anything is sent, naming the host', async () => {
      const s = service({ streamUrl: `https://localhost:${port}/api/1/stream/x` }, { kind: 'accessToken', token: 'tok-secret-2' });
      await assert.rejects(s.connect(), (e: unknown) => e instanceof UserError && e.action === 'trustHost' && e.host === `localhost:${port}` && e.setting === 'liveStream.streamUrl');
      assert.equal(connections, 0);
      await s.dispose();
    });

    it('service: a foreign IMS URL never receives the client secret', async () => {
      const s = service(
        { streamUrl: 'https://livestream.adobe.net/api/1/stream/x', imsUrl: `https://localhost:${port}/ims/token/v3`, authMethod: 'clientCredentials' },
        { kind: 'clientCredentials', clientId: 'cid', clientSecret: 'secret-3' },
      );
      await assert.rejects(s.connect(), (e: unknown) => e instanceof UserError && e.action === 'trustHost' && e.setting === 'liveStream.auth.imsUrl' && /client secret/.test(e.message));
      assert.equal(connections, 0);
      await s.dispose();
    });

    it('service: once the user confirmed the host, it connects and the token arrives', async () => {
      const s = service({ streamUrl: `https://localhost:${port}/api/1/stream/x` }, { kind: 'accessToken', token: 'tok-secret-2' }, [`localhost:${port}`]);
      await s.connect();
      await until(() => seen.length > 0, 5000, 'a request');
      assert.equal(seen[0].authorization, 'Bearer tok-secret-2');
      await s.dispose();
    });

    it('CLI: tail --url https://localhost… exits 2 with the host named and makes no connection; --allow-host lets it through', async () => {
      const cli = join(__dirname, '../../dist/cli.js');
      const run = (extra: string[]) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, [cli, 'tail', '--url', `https://localhost:${port}/api/1/stream/x`, '--state-dir', dir, ...extra], {
          env: { ...process.env, LIVESTREAM_ACCESS_TOKEN: 'tok-cli-4', NODE_EXTRA_CA_CERTS: tls.certPath },
        }, (_err, _out, stderr) => resolve({ code: child.exitCode, stderr }));
        if (extra.length) void until(() => seen.length > 0, 10_000, 'the CLI request').then(() => child.kill('SIGINT'), () => child.kill('SIGKILL'));
      });
      const refused = await run([]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, new RegExp(`Refused to send your access token to localhost:${port}`));
      assert.ok(!refused.stderr.includes('tok-cli-4'));
      assert.equal(connections, 0);
      const allowed = await run(['--allow-host', `localhost:${port}`]);
      assert.equal(seen[0]?.authorization, 'Bearer tok-cli-4', allowed.stderr);
    });
  });
});
