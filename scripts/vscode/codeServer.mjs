// Helpers shared by the code-server runners (integration tests, demo, screenshots):
// system checks, throwaway run dirs, settings, starting/stopping code-server in
// its own process group, the workbench URL with the smoke-test-driver payload,
// and headless Chromium through playwright-core.
/* global fetch */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { browserLaunchOptions, SystemSetupError } from '../setup/system.mjs';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HOST = '127.0.0.1';
export const RUN_DIR_PREFIX = 'livestream-vscode-';

/** A missing system piece or an environment problem: printed as one line, exit 1. */
export class SetupError extends Error {}

/**
 * The browser that drives the workbench (playwright-core never downloads one
 * here): installs Debian's Chromium first when we may (scripts/setup/system.mjs),
 * otherwise one line naming the command. Returns playwright launch options.
 */
export function requireBrowser() {
  try {
    return browserLaunchOptions();
  } catch (e) {
    throw e instanceof SystemSetupError ? new SetupError(e.message) : e;
  }
}

export async function freePort(preferred = 0) {
  const tryPort = (port) => new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, HOST, () => { const { port: p } = srv.address(); srv.close(() => resolve(p)); });
  });
  return (preferred && await tryPort(preferred)) || await tryPort(0);
}

/** Deletes run dirs of earlier runs older than a day (those kept for screenshots or debugging). */
function pruneOldRunDirs() {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(RUN_DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    try { if (statSync(dir).mtimeMs < dayAgo) rmSync(dir, { recursive: true, force: true }); } catch { /* raced with another run */ }
  }
}

/** Fresh throwaway dirs for one run. code-server writes under ~/.config etc.
 *  unless the XDG_* dirs point elsewhere, so they live in the run dir too. */
export function makeRunDir() {
  pruneOldRunDirs();
  const d = makeDirs(mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX)));
  writeFileSync(join(d.workspace, 'README.md'), '# Live Stream Inspector test workspace\n');
  return d;
}

/** The folders of one code-server profile under `root` (throwaway run dir or the persistent demo). */
export function makeDirs(root) {
  const d = {
    root,
    userData: join(root, 'user-data'),
    extensions: join(root, 'extensions'),
    workspace: join(root, 'workspace'),
    screenshots: join(root, 'screenshots'),
    xdg: { config: join(root, 'xdg', 'config'), data: join(root, 'xdg', 'data'), cache: join(root, 'xdg', 'cache'), runtime: join(root, 'xdg', 'runtime') },
    tmp: join(root, 'tmp'),
  };
  for (const p of [d.userData, d.extensions, d.workspace, d.tmp, ...Object.values(d.xdg)]) mkdirSync(p, { recursive: true, mode: 0o700 });
  return d;
}

/** Env for code-server (its extension host inherits it). */
export function runEnv(d, extra = {}) {
  return {
    ...process.env,
    XDG_CONFIG_HOME: d.xdg.config,
    XDG_DATA_HOME: d.xdg.data,
    XDG_CACHE_HOME: d.xdg.cache,
    XDG_RUNTIME_DIR: d.xdg.runtime,
    TMPDIR: d.tmp,
    ...extra,
  };
}

export const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern' };

/** User settings that keep the workbench quiet and deterministic. */
export function writeSettings(userDataDir, { theme = THEMES.dark, extra = {} } = {}) {
  const settings = {
    'workbench.colorTheme': theme,
    'telemetry.telemetryLevel': 'off',
    'chat.disableAIFeatures': true,
    'chat.commandCenter.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.enableExperiments': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'security.workspace.trust.enabled': false,
    'git.enabled': false,
    'window.restoreWindows': 'none',
    ...extra,
  };
  const dir = join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
}

/**
 * Starts code-server in its own process group (detached) so stopping it can kill
 * every child: killing only the main pid leaves extension hosts behind.
 */
export function startCodeServer({ p, port, userDataDir, extensionsDir, workspace, env, logFile }) {
  const args = [
    p.codeServerEntry,
    '--bind-addr', `${HOST}:${port}`,
    '--auth', 'none',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--disable-proxy',
    // Without it, extension hosts of closed pages linger for hours.
    '--reconnection-grace-time', '5',
    // Without it the workbench silently ignores the payload (dev path, tests path).
    '--vscode-option', 'enable-smoke-test-driver',
    workspace,
  ];
  const log = createWriteStream(logFile);
  const child = spawn(p.nodeBin, args, { cwd: workspace, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  const exitedPromise = new Promise((resolve) => child.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
  child.on('error', () => { /* reported through 'exit' */ });
  return {
    child,
    url: `http://${HOST}:${port}`,
    port,
    get exited() { return exited; },
    exitedPromise,
    stop: () => stopGroup(child.pid),
  };
}

function groupAlive(pid) {
  try { process.kill(-pid, 0); return true; } catch { return false; }
}

/** SIGTERM the group, wait for it to go, SIGKILL what is left. */
export async function stopGroup(pid, graceMs = 5000) {
  if (!pid || !groupAlive(pid)) return;
  try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
  const until = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < until) await delay(100);
  if (groupAlive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
}

/** Last resort from a synchronous 'exit' handler. */
export function killGroupNow(pid) {
  if (pid && groupAlive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
}

/** Polls /healthz until code-server answers (about half a second). */
export async function waitHealthy(server, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (server.exited) throw new SetupError(`code-server exited early (${JSON.stringify(server.exited)}); see its log`);
    try {
      const res = await fetch(`${server.url}/healthz`);
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await delay(100);
  }
  throw new SetupError(`code-server did not answer ${server.url}/healthz within ${timeoutMs / 1000}s`);
}

/**
 * The workbench URL. The payload goes through the smoke-test driver: the
 * extension under development and (optionally) the suite, as vscode-remote URIs
 * on the code-server host.
 */
export function workbenchUrl(server, { workspace, extensionPath, testsPath }) {
  const remote = (abs) => `vscode-remote://${HOST}:${server.port}${abs}`;
  const payload = [['skipWelcome', 'true']];
  // Without a development path the installed extensions run (the .vsix test).
  if (extensionPath) payload.push(['extensionDevelopmentPath', remote(extensionPath)]);
  if (testsPath) payload.push(['extensionTestsPath', remote(testsPath)]);
  return `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox', // root in CI; Chromium refuses to start sandboxed as root
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** `browser`: launch options from requireBrowser() ({executablePath} or {channel}). */
export async function launchChromium(browser) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new SetupError('playwright-core is not installed: run npm ci in the repository');
  }
  return chromium.launch({ ...browser, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** Spawns a command and resolves when it exits 0. */
export function runCommand(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: repoRoot, ...opts });
    child.on('error', reject);
    child.on('close', (code) => code === 0 ? resolve() : reject(new SetupError(`${cmd} ${args.join(' ')} failed (exit ${code})`)));
  });
}

/** Builds the extension with the project's own build (dist/extension.js). */
export async function buildExtension() {
  await runCommand('npm', ['run', '--silent', 'build']);
}
