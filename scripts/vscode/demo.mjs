// The newcomer's command: opens the extension in a real VS Code on the demo
// stream, no credentials. Desktop VS Code when a `code` CLI exists, otherwise the
// provisioned code-server on loopback (URL printed; opened where a desktop exists).
// The extension auto-connects to the demo stream when LIVESTREAM_DEMO_AUTOCONNECT=1.
//
//   node scripts/vscode/demo.mjs [--code-server] [--port N] [--no-build]
//   node scripts/vscode/demo.mjs --check    # CI: headless load + activation check, exit 0/1
//
// The code-server demo keeps its profile under <cache>/demo/ so settings and
// state survive restarts (delete that folder to start over); --check uses a
// throwaway profile instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { cacheDir, provision, ProvisionError } from './provision.mjs';
import {
  SetupError, buildExtension, freePort, killGroupNow, launchChromium, makeDirs, makeRunDir, repoRoot,
  requireBrowser, runEnv, startCodeServer, waitHealthy, workbenchUrl, writeSettings,
} from './codeServer.mjs';

const DEFAULT_PORT = 8377; // stable across restarts when free, so a bookmarked tab keeps working
const say = (msg) => console.log(`[demo] ${msg}`);
const onPath = (bin) => (process.env.PATH || '').split(delimiter).some((d) => d && existsSync(join(d, bin)));
// Only for testing this script against another extension folder.
const extensionPath = process.env.LIVESTREAM_EXTENSION_PATH || repoRoot;

function extensionId() {
  const pkg = JSON.parse(readFileSync(join(extensionPath, 'package.json'), 'utf8'));
  return `${pkg.publisher}.${pkg.name}`;
}

/** The extension activates on `workspaceContains:.vscode/livestream-demo` and then
 *  connects to the demo stream by itself; the env var alone cannot activate it. */
function markDemoWorkspace(workspace) {
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  const marker = join(workspace, '.vscode', 'livestream-demo');
  if (!existsSync(marker)) writeFileSync(marker, '');
}

/** Persistent demo dirs under the cache (the same shape as a throwaway run dir). */
function demoDirs() {
  const d = makeDirs(join(cacheDir(), 'demo'));
  const readme = join(d.workspace, 'README.md');
  if (!existsSync(readme)) writeFileSync(readme, '# Live Stream Inspector demo\n\nThe status bar shows the demo stream; run "Live Stream: Show Hits" to see hits arrive.\n');
  // First run only: later the user's own settings changes are kept.
  if (!existsSync(join(d.userData, 'User', 'settings.json'))) writeSettings(d.userData);
  return d;
}

/** Files under user-data/logs whose text contains the activation line of the extension host. */
function activationLogged(userData, id) {
  const logs = join(userData, 'logs');
  if (!existsSync(logs)) return false;
  const needle = `ExtensionService#_doActivateExtension ${id}`.toLowerCase();
  for (const f of readdirSync(logs, { recursive: true }).map(String)) {
    if (!/exthost/i.test(f) || !f.endsWith('.log')) continue;
    const file = join(logs, f);
    try { if (statSync(file).isFile() && readFileSync(file, 'utf8').toLowerCase().includes(needle)) return true; } catch { /* rotating */ }
  }
  return false;
}

async function withDesktop(workspace) {
  say(`opening desktop VS Code (code --extensionDevelopmentPath=${extensionPath})`);
  // A window of an already running VS Code may not see this env: close VS Code
  // first, or use the Connect to Demo Stream command.
  const r = spawnSync('code', ['--new-window', `--extensionDevelopmentPath=${extensionPath}`, workspace], {
    stdio: 'inherit', env: { ...process.env, LIVESTREAM_DEMO_AUTOCONNECT: '1' },
  });
  return r.status ?? 1;
}

async function main() {
  const { values } = parseArgs({ options: { check: { type: 'boolean' }, 'code-server': { type: 'boolean' }, port: { type: 'string' }, 'no-build': { type: 'boolean' } } });
  const check = Boolean(values.check);
  const browserOpts = check ? requireBrowser() : undefined;
  if (!values['no-build'] && extensionPath === repoRoot) await buildExtension();

  if (!check && !values['code-server'] && onPath('code')) {
    const { workspace } = demoDirs();
    markDemoWorkspace(workspace);
    return withDesktop(workspace);
  }

  const p = await provision();
  const d = check ? makeRunDir() : demoDirs();
  if (check) writeSettings(d.userData);
  markDemoWorkspace(d.workspace);
  const port = values.port ? Number(values.port) : await freePort(check ? 0 : Number(process.env.LIVESTREAM_DEMO_PORT || DEFAULT_PORT));
  const server = startCodeServer({
    p, port,
    userDataDir: d.userData, extensionsDir: d.extensions, workspace: d.workspace,
    logFile: join(d.root, 'code-server.log'),
    env: runEnv(d, { LIVESTREAM_DEMO_AUTOCONNECT: '1' }),
  });
  const onExit = () => killGroupNow(server.child.pid);
  process.on('exit', onExit);
  let browser;
  const stop = async () => { await browser?.close().catch(() => {}); await server.stop(); };
  try {
    await waitHealthy(server);
    const url = workbenchUrl(server, { workspace: d.workspace, extensionPath });
    if (check) return await runCheck({ browserOpts, url, d, setBrowser: (b) => { browser = b; } });

    say(`VS Code (code-server ${server.url}) with Live Stream Inspector on the demo stream:\n\n  ${url}\n`);
    if ((process.env.DISPLAY || process.env.WAYLAND_DISPLAY) && onPath('xdg-open')) {
      spawn('xdg-open', [url], { stdio: 'ignore', detached: true }).unref();
      say('opened it in your browser');
    }
    say(`profile kept in ${d.root}; Ctrl-C to stop`);
    const signal = await Promise.race([
      new Promise((r) => process.once('SIGINT', () => r('SIGINT'))),
      new Promise((r) => process.once('SIGTERM', () => r('SIGTERM'))),
      server.exitedPromise.then((e) => `code-server exited (${JSON.stringify(e)}); see ${join(d.root, 'code-server.log')}`),
    ]);
    say(`${signal}: stopping`);
    return signal.startsWith('SIG') ? 0 : 1;
  } finally {
    await stop();
    process.off('exit', onExit);
    if (check) rmSync(d.root, { recursive: true, force: true });
  }
}

/** Headless: the workbench loads and the extension activates by itself. */
async function runCheck({ browserOpts, url, d, setBrowser }) {
  const id = extensionId();
  const timeoutMs = Number(process.env.LIVESTREAM_DEMO_CHECK_TIMEOUT_S || 60) * 1000;
  const browser = await launchChromium(browserOpts);
  setBrowser(browser);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  say('workbench loaded');
  // What a newcomer must see: the status bar connected with a rate, and hit rows
  // in the panel's webview. Nothing less counts as a working demo.
  const until = Date.now() + timeoutMs;
  let status;
  let rows = [];
  while (Date.now() < until) {
    status = await page.locator('.statusbar-item').evaluateAll((els) => els.map((e) => e.textContent ?? '').find((t) => /Live Stream \d+(\.\d)?\/s/.test(t)));
    rows = [];
    for (const frame of page.frames()) {
      if (frame === page.mainFrame() || frame.isDetached()) continue;
      try { rows.push(...await frame.locator('[role="row"][aria-rowindex]').evaluateAll((els) => els.map((e) => e.textContent ?? ''))); } catch { /* frame navigated meanwhile */ }
    }
    const hitRows = rows.filter((r) => /demo(prod|dev|stage)/.test(r));
    if (status && hitRows.length >= 2) {
      say(`OK: ${id} connected to the demo stream by itself; status bar "${status.trim()}", ${hitRows.length} hit rows in the panel`);
      return 0;
    }
    await delay(250);
  }
  say(`FAILED: within ${timeoutMs / 1000}s the demo did not show hits (status bar: ${status ? `"${status.trim()}"` : 'no "Live Stream N/s" item'}; panel rows: ${rows.length}). Log: ${activationLogged(d.userData, id) ? 'the extension activated' : 'no activation of ' + id}`);
  return 1;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e instanceof SetupError || e instanceof ProvisionError ? `error: ${e.message}` : e);
  process.exit(1);
});
