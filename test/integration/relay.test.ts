// A window with liveStream.source = relay: its hits come from a team relay
// (the real CLI `relay` process) through a real redis-server with a password
// (kept in SecretStorage), never from Adobe. The panel shows the relay's hits,
// history included; the status bar says "via relay" with the relay's state
// and its last Adobe error code.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LiveStreamApi } from '../../src/host/controller';
import { MockLiveStreamServer } from '../../src/mock/mockServer';
import { RedisServer } from '../support/redisServer';
import { pressWebview, requireHarness, waitFor, waitForStatusBarText, waitForWebview } from './harness';

const EXT_ID = 'livestream-tools.livestream-inspector';
const KEY = 'livestream:itest';
const PASSWORD = 'team-relay-pw-8c1f';

describe('team relay viewer (liveStream.source = relay)', function () {
  this.timeout(90_000);
  let a: LiveStreamApi;
  let redis: RedisServer | undefined;
  let mock: MockLiveStreamServer | undefined;
  let relay: ChildProcess | undefined;
  let relayErr = '';
  let stateDir = '';
  const cfg = () => vscode.workspace.getConfiguration('liveStream');

  before(async function () {
    requireHarness(this); // the panel's rows and the rendered status bar
    const ext = vscode.extensions.getExtension<LiveStreamApi>(EXT_ID)!;
    await ext.activate();
    a = ext.exports;
    await vscode.commands.executeCommand('liveStream.disconnect');
    redis = await RedisServer.start({ password: PASSWORD });
    mock = await MockLiveStreamServer.start({ rate: 10, ghostSeconds: 0 });
    stateDir = mkdtempSync(join(tmpdir(), 'lsi-relay-it-'));
    relay = spawn(process.execPath, [join(ext.extensionPath, 'dist', 'cli.js'), 'relay', '--url', mock.streamUrl, '--redis', redis.url, '--key', KEY, '--cooldown', '4', '--state-dir', stateDir],
      { env: { PATH: process.env.PATH ?? '', HOME: stateDir, LIVESTREAM_REDIS_PASSWORD: PASSWORD }, stdio: ['ignore', 'ignore', 'pipe'] });
    relay.stderr!.setEncoding('utf8').on('data', (d: string) => { relayErr += d; });
    const c = redis.client();
    await waitFor(async () => (await c.xlen(KEY)) > 0, { message: `the relay publishing (${relayErr})`, timeoutMs: 20_000 });
    // Published before this window connects: it must arrive as history.
    mock.inject('{"hitIdHigh":4242,"hitIdLow":18446744073709551615,"pageName":"relay-history-page","reportSuite":"relaysuite"}');
    await waitFor(async () => (await c.xrange(KEY, '-', '+')).some(([, f]) => f[1].includes('relay-history-page')), { message: 'history published' });
    // No more generated hits: the panel is virtualized (only visible rows exist), so the
    // history hit must stay near the top to be seen there.
    mock.pause();
  });

  after(async () => {
    await vscode.commands.executeCommand('liveStream.disconnect');
    await cfg().update('source', undefined, vscode.ConfigurationTarget.Global);
    await cfg().update('relay.url', undefined, vscode.ConfigurationTarget.Global);
    await cfg().update('relay.key', undefined, vscode.ConfigurationTarget.Global);
    await a?.credentials.setRelayPassword('');
    relay?.kill('SIGKILL');
    await mock?.close();
    await redis?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('connects through Redis with the password from secret storage: history and live hits in the panel, "via relay" in the status bar', async () => {
    // Earlier suites leave demo hits in the store: this window now shows one relayed stream only.
    a.service.clear();
    await a.credentials.setRelayPassword(PASSWORD);
    await cfg().update('source', 'relay', vscode.ConfigurationTarget.Global);
    await cfg().update('relay.url', redis!.url, vscode.ConfigurationTarget.Global);
    await cfg().update('relay.key', KEY, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('liveStream.connect');
    await waitFor(() => a.service.snapshot().relay?.relayState === 'connected' && a.service.snapshot().state.kind === 'connected', { message: 'viewer and relay connected', timeoutMs: 20_000 });
    assert.equal(a.service.snapshot().relay?.redis, 'connected');
    assert.ok(a.service.hits().some((h) => h.key === '4242:18446744073709551615'), 'the history hit, with its exact 64-bit id');
    assert.equal(mock!.requests.filter((q) => q.status === 200).length, 1, 'only the relay connected to the (mock) Adobe stream');
    assert.match(a.statusText(), /^\$\(broadcast\) Live Stream via relay \d+(\.\d)?\/s$/);
    await waitForStatusBarText(/Live Stream via relay/, { timeoutMs: 10_000 });

    await vscode.commands.executeCommand('liveStream.showHits');
    // The panel re-applies the filter an earlier suite typed: Escape in the filter box clears it.
    await waitForWebview('.filter-input', { want: /^/ });
    await pressWebview('Escape', '.filter-input');
    await waitForWebview('[role="row"][aria-rowindex]', { want: /relaysuite/, timeoutMs: 30_000 });
    mock!.inject('{"hitIdHigh":4242,"hitIdLow":7,"pageName":"relay-live-page","reportSuite":"relaylivesuite"}');
    await waitForWebview('[role="row"][aria-rowindex]', { want: /relaylivesuite/, timeoutMs: 30_000 });
  });

  it('the relay losing Adobe shows in this window: its cooldown and the last Adobe error code', async () => {
    await mock!.dropAll('reset');
    await waitFor(() => a.service.snapshot().relay?.relayState === 'cooldown', { message: 'relay cooling down', timeoutMs: 15_000 });
    const code = a.service.snapshot().relay?.relayLastErrorCode;
    assert.ok(code, 'the relay published its last error code');
    assert.match(a.statusText(), new RegExp(`via relay: \\$\\(watch\\) relay cooling down \\d+ s ${code}$`));
    assert.equal(a.service.snapshot().state.kind, 'connected', 'this window is still connected to Redis: no cooldown of its own');
    await waitFor(() => a.service.snapshot().relay?.relayState === 'connected', { message: 'relay back after its cooldown', timeoutMs: 20_000 });
  });
});
