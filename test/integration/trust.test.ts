// A hostile workspace: its .vscode/settings.json points the stream URL and the
// IMS URL at a local HTTPS server under a non-Adobe name (https://localhost).
// The runner makes the certificate and trusts it (NODE_EXTRA_CA_CERTS), so a
// request *would* succeed: nothing but the extension's own check keeps the
// token and the client secret away.
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as vscode from 'vscode';
import type { LiveStreamApi } from '../../src/host/controller';
import { clickWorkbench, queryWorkbench, requireHarness, waitFor } from './harness';

const EXT_ID = 'livestream-tools.livestream-inspector';
// Toasts are not rendered under the test driver; the notification center lists the same notifications.
const NOTE = '.notifications-center .notification-list-item';
async function notifications(): Promise<string[]> {
  await vscode.commands.executeCommand('notifications.showList');
  return queryWorkbench(`${NOTE}-message`);
}

describe('hostile workspace settings', function () {
  this.timeout(90_000);
  let a: LiveStreamApi;
  let server: Server | undefined;
  let port = 0;
  let connections = 0;
  const seen: { path: string; authorization?: string; body: string }[] = [];
  let settingsFile = '';

  before(async function () {
    requireHarness(this); // clicks in the notification
    const ext = vscode.extensions.getExtension<LiveStreamApi>(EXT_ID)!;
    await vscode.commands.executeCommand('liveStream.showLog');
    await waitFor(() => ext.isActive, { message: 'activation' });
    a = ext.exports;
    const certPath = process.env.LIVESTREAM_TEST_TLS_CERT, keyPath = process.env.LIVESTREAM_TEST_TLS_KEY;
    assert.ok(certPath && keyPath && process.env.NODE_EXTRA_CA_CERTS === certPath, 'the runner provides a trusted loopback certificate');
    server = createServer({ key: readFileSync(keyPath), cert: readFileSync(certPath) }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
      req.on('end', () => {
        seen.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
        res.write(gzipSync('{"hitIdHigh":1,"hitIdLow":2,"pageName":"stolen"}\r\n'));
      });
    });
    server.on('secureConnection', () => { connections++; });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;

    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    mkdirSync(join(folder, '.vscode'), { recursive: true });
    settingsFile = join(folder, '.vscode', 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({
      'liveStream.streamUrl': `https://localhost:${port}/api/1/stream/stolen`,
      'liveStream.auth.imsUrl': `https://localhost:${port}/ims/token/v3`,
      'liveStream.auth.method': 'clientCredentials',
    }, null, 2));
    await waitFor(() => vscode.workspace.getConfiguration('liveStream').get('streamUrl') === `https://localhost:${port}/api/1/stream/stolen`,
      { message: 'the workspace settings to apply' });
  });

  after(async () => {
    await vscode.commands.executeCommand('liveStream.disconnect');
    if (settingsFile) rmSync(settingsFile, { force: true });
    await a?.credentials.clear();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('a workspace cannot set the IMS URL (application scope): the secret would go to Adobe IMS', () => {
    const cfg = vscode.workspace.getConfiguration('liveStream');
    assert.equal(cfg.get('auth.imsUrl'), 'https://ims-na1.adobelogin.com/ims/token/v3');
    assert.equal(cfg.get('auth.method'), 'clientCredentials', 'window-scoped settings still apply from the workspace');
  });

  it('Connect asks, naming the host and where the URL came from; declined, nothing is sent and the user is told why', async () => {
    await a.credentials.setClientCredentials('client-id-ws', 'client-secret-ws-1', 'openid');
    const connecting = vscode.commands.executeCommand('liveStream.connect');
    const question = await waitFor(async () => (await notifications()).find((t) => t.includes(`localhost:${port}?`)),
      { message: 'the question naming the host', timeoutMs: 20_000 });
    assert.match(question, /send your Adobe access token to localhost:\d+\?/);
    assert.match(question, /not an Adobe host/);
    assert.match(question, /\.vscode\/settings\.json/);
    // Dismissing it is a "no".
    await vscode.commands.executeCommand('notifications.clearAll');
    await connecting;
    await waitFor(async () => (await notifications()).some((t) => /Refused to send your access token to localhost:\d+/.test(t)),
      { message: 'the error saying why' });
    await vscode.commands.executeCommand('notifications.clearAll');
    assert.equal(connections, 0, 'no TLS connection reached the workspace\'s host');
    assert.deepEqual(seen, []);
    assert.equal(a.service.isActive, false);
  });

  it('allowed by the user in that notification, the same host receives the token (so the check is what stopped it)', async () => {
    writeFileSync(settingsFile, JSON.stringify({ 'liveStream.streamUrl': `https://localhost:${port}/api/1/stream/stolen` }, null, 2));
    await a.credentials.setAccessToken('token-for-localhost-1');
    await waitFor(() => vscode.workspace.getConfiguration('liveStream').get('auth.method') === 'accessToken', { message: 'the access-token method' });
    const connecting = vscode.commands.executeCommand('liveStream.connect');
    await waitFor(async () => (await notifications()).some((t) => t.includes(`localhost:${port}?`)), { message: 'the question', timeoutMs: 20_000 });
    await clickWorkbench(`${NOTE} .monaco-button`, `Send to localhost:${port}`);
    await connecting;
    await waitFor(() => seen.length > 0, { message: 'a request at the allowed host' });
    assert.equal(seen[0].authorization, 'Bearer token-for-localhost-1');
  });
});
