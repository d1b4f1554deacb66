// Runs the integration suite (test/integration) inside a real VS Code: the
// provisioned code-server, driven by headless system Chromium. Exit code = suite
// result. See scripts/vscode/README.md.
//
//   node scripts/vscode/runIntegration.mjs [--theme dark|light|"<theme name>"] [--grep <text>] [--no-build]
//   (--no-build: use the existing dist/ instead of running `npm run build`)
//
// Env: LIVESTREAM_TEST_THEME, LIVESTREAM_TEST_GREP, LIVESTREAM_TEST_TIMEOUT_S (default 300),
// LIVESTREAM_SCREENSHOT_DIR + LIVESTREAM_SCREENSHOT_SUFFIX (README screenshots mode),
// LIVESTREAM_KEEP_RUN_DIR=1, LIVESTREAM_TEST_VERBOSE=1 (browser console too).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format, parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { provision, ProvisionError } from './provision.mjs';
import { selectIntegrationRunner } from '../setup/platform.mjs';
import { makeLoopbackCert } from '../setup/tls.mjs';
import { ensureSystem, SystemSetupError } from '../setup/system.mjs';
import { spawn } from 'node:child_process';
import { buildSuite } from './buildSuite.mjs';
import { startHarnessServer } from './harnessServer.mjs';
import {
  SetupError, THEMES, buildExtension, freePort, killGroupNow, launchChromium, makeRunDir, repoRoot,
  requireBrowser, runEnv, startCodeServer, waitHealthy, workbenchUrl, writeSettings,
} from './codeServer.mjs';

const RESULT_MARKER = 'livestream-integration-result ';
// Known harmless noise from the extension host (gallery look-ups without network).
const NOISE = [/getaddrinfo ENOTFOUND open-vsx\.org/, /open-vsx\.org/];

const say = (msg) => console.log(`[integration] ${msg}`);

/** Env of the caller minus what a parent VS Code injects (it would confuse code-server). */
function cleanEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(VSCODE_|ELECTRON_)/.test(k)) delete env[k];
  return env;
}

/** openssl for the test certificate and redis-server for the relay test (installed like the browser where we may). */
function requireTls() {
  // redis-server too: the team-relay test starts its own instance on loopback.
  try { ensureSystem(['tls', 'redis']); } catch (e) { throw e instanceof SystemSetupError ? new SetupError(e.message) : e; }
  return true;
}

/**
 * VS Code runs extension tests only with a development path. For the .vsix run
 * that path is an empty stub extension, so the extension under test is the
 * installed package, loaded like a user's.
 */
function runnerStub(d) {
  const dir = join(d.root, 'test-runner-stub');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'livestream-test-runner-stub', publisher: 'livestream-tools', version: '0.0.0', engines: { vscode: '^1.100.0' } }));
  return dir;
}

/** `code-server --install-extension <vsix>` into the run's own extensions dir. */
function installVsix(p, d, vsix) {
  return new Promise((resolveP, reject) => {
    const child = spawn(p.nodeBin, [p.codeServerEntry, '--user-data-dir', d.userData, '--extensions-dir', d.extensions, '--install-extension', vsix, '--force'],
      { env: runEnv(d, cleanEnv()), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => { out += b; });
    child.stderr.on('data', (b) => { out += b; });
    child.on('error', reject);
    child.on('close', (code) => code === 0 && /successfully installed/i.test(out)
      ? resolveP()
      : reject(new SetupError(`installing ${vsix} failed (exit ${code}): ${out.trim().split('\n').slice(-3).join(' | ')}`)));
  });
}

export async function main(argv = process.argv.slice(2)) {
  // macOS/Windows: desktop VS Code through @vscode/test-electron (see selectIntegrationRunner).
  if (selectIntegrationRunner({ platform: process.platform, env: process.env }) === 'electron') {
    say(`${process.platform}: running the suite in desktop VS Code (@vscode/test-electron)`);
    return (await import('./runElectron.mjs')).main();
  }
  const { values } = parseArgs({ args: argv, options: { theme: { type: 'string' }, grep: { type: 'string' }, 'no-build': { type: 'boolean' }, vsix: { type: 'string' } } });
  // --vsix: test the packaged product. It is installed with --install-extension (no
  // development path), so a file the .vscodeignore allowlist drops fails the run.
  const vsix = values.vsix ? resolve(values.vsix) : undefined;
  if (vsix && !existsSync(vsix)) throw new SetupError(`--vsix ${vsix} does not exist: run npm run package first`);
  const themeArg = values.theme ?? process.env.LIVESTREAM_TEST_THEME ?? 'dark';
  const theme = THEMES[themeArg] ?? themeArg;
  const grep = values.grep ?? process.env.LIVESTREAM_TEST_GREP;
  const timeoutS = Number(process.env.LIVESTREAM_TEST_TIMEOUT_S || 300);
  const verbose = process.env.LIVESTREAM_TEST_VERBOSE === '1';
  const t0 = Date.now();
  const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

  const browserOpts = requireBrowser(); // fail fast, before the 2-minute provision
  requireTls();
  const p = await provision();
  if (vsix) { /* the package is the product under test */ } else if (!values['no-build']) await buildExtension();
  else if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) throw new SetupError('--no-build but dist/extension.js is missing: run npm run build');
  const testsPath = await buildSuite();
  say(`provisioned and built (${secs()})`);

  const d = makeRunDir();
  const tls = makeLoopbackCert(join(d.root, 'tls'));
  if (vsix) {
    await installVsix(p, d, vsix);
    say(`installed ${vsix} into ${d.extensions}`);
  }
  const readmeShots = Boolean(process.env.LIVESTREAM_SCREENSHOT_DIR);
  const screenshotDir = readmeShots ? resolve(repoRoot, process.env.LIVESTREAM_SCREENSHOT_DIR) : d.screenshots;
  const shots = [];
  writeSettings(d.userData, { theme });

  let page;
  let browser;
  let server;
  let harness;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await browser?.close().catch(() => {});
    await harness?.close().catch(() => {});
    await server?.stop();
  };
  // Whatever happens (signal, crash, timeout), the process group must go.
  const onExit = () => killGroupNow(server?.child.pid);
  process.on('exit', onExit);
  const onSignal = (sig) => { say(`${sig}: stopping`); cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let result = { passes: 0, failures: 0, pending: 0 };
  let sawResult = false;
  let exitCode = 1;
  let timer;
  try {
    // One deadline for everything after the build: start, page load, suite.
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no result within ${timeoutS}s (LIVESTREAM_TEST_TIMEOUT_S)`)), timeoutS * 1000); });
    const session = (async () => {
      harness = await startHarnessServer({ page: () => page, screenshotDir, suffix: process.env.LIVESTREAM_SCREENSHOT_SUFFIX ?? '', onShot: (f) => shots.push(f) });
      const port = await freePort();
      // After a timeout, cleanup has run: start nothing more (it would leak).
      const stillOn = () => { if (cleaned) throw new Error('aborted'); };
      stillOn();
      server = startCodeServer({
        p, port,
        userDataDir: d.userData, extensionsDir: d.extensions, workspace: d.workspace,
        logFile: join(d.root, 'code-server.log'),
        env: runEnv(d, {
          ...cleanEnv(),
          LIVESTREAM_TEST_HARNESS: harness.url,
          LIVESTREAM_TEST_COLOR: process.stdout.isTTY ? '1' : '0',
          LIVESTREAM_SCREENSHOTS_MODE: readmeShots ? 'readme' : 'run',
          // A trusted certificate for the loopback HTTPS server of the hostile-workspace test.
          NODE_EXTRA_CA_CERTS: tls.certPath, LIVESTREAM_TEST_TLS_CERT: tls.certPath, LIVESTREAM_TEST_TLS_KEY: tls.keyPath,
          ...(vsix ? { LIVESTREAM_EXPECT_EXTENSIONS_DIR: d.extensions } : {}),
          ...(grep ? { LIVESTREAM_TEST_GREP: grep } : {}),
        }),
      });
      await waitHealthy(server);
      say(`code-server ${server.url} ready (${secs()}), theme "${theme}", run dir ${d.root}`);

      stillOn();
      const b = await launchChromium(browserOpts);
      if (cleaned) { await b.close(); stillOn(); }
      browser = b;
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
      const pg = await context.newPage();
      let resolveExit;
      const suiteExit = new Promise((r) => { resolveExit = r; });
      // The workbench forwards the extension host's console output here
      // (printf-style arguments) and the suite's exit code to codeAutomationExit.
      await pg.exposeFunction('codeAutomationLog', (_type, args) => {
        const text = Array.isArray(args) ? format(...args) : String(args);
        if (text.startsWith(RESULT_MARKER)) {
          try { result = JSON.parse(text.slice(RESULT_MARKER.length)); sawResult = true; } catch { /* malformed: counted as failure below */ }
          return;
        }
        if (!verbose && NOISE.some((re) => re.test(text))) return;
        process.stdout.write(text.endsWith('\n') ? text : text + '\n');
      });
      await pg.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
      pg.on('crash', () => resolveExit(Promise.reject(new Error('the workbench page crashed'))));
      pg.on('pageerror', (e) => { if (verbose) console.log(`[page error] ${e.message}`); });
      if (verbose) pg.on('console', (m) => console.log(`[browser ${m.type()}] ${m.text()}`));
      page = pg;

      const url = workbenchUrl(server, { workspace: d.workspace, extensionPath: vsix ? runnerStub(d) : repoRoot, testsPath });
      await pg.goto(url, { waitUntil: 'domcontentloaded' });

      const died = server.exitedPromise.then((e) => { throw new Error(`code-server exited during the run (${JSON.stringify(e)})`); });
      return Promise.race([suiteExit, died]);
    })();
    session.catch(() => { /* after a timeout, cleanup makes it fail too */ });
    exitCode = await Promise.race([session, timeout]);
    if (exitCode === 0 && !sawResult) {
      say('the workbench reported success but the suite printed no result: treating as failure');
      exitCode = 1;
    }
  } catch (e) {
    say(`FAILED: ${e.message}`);
    exitCode = 1;
  } finally {
    clearTimeout(timer);
    await cleanup();
    process.off('exit', onExit);
    const log = join(d.root, 'code-server.log');
    if (exitCode !== 0 && existsSync(log)) {
      const tail = readFileSync(log, 'utf8').split('\n').filter((l) => !NOISE.some((re) => re.test(l))).slice(-25).join('\n');
      if (tail.trim()) console.log(`--- code-server.log (last lines) ---\n${tail}`);
    }
    if (exitCode !== 0 || process.env.LIVESTREAM_KEEP_RUN_DIR === '1') {
      say(`kept run dir ${d.root}${exitCode !== 0 ? ' (profile and code-server.log, for debugging)' : ''}`);
    } else if (shots.some((s) => s.startsWith(d.root))) {
      // Keep only the screenshots (pruned after a day); the profile is ~10 MB.
      for (const f of readdirSync(d.root)) if (join(d.root, f) !== d.screenshots) rmSync(join(d.root, f), { recursive: true, force: true });
    } else {
      rmSync(d.root, { recursive: true, force: true });
    }
  }
  if (shots.length) say(`screenshots:\n  ${shots.join('\n  ')}`);
  if (readmeShots && shots.length === 0 && exitCode === 0) {
    // Screenshot mode that wrote nothing must not look like success.
    say('FAILED: screenshot mode, but the suite requested no screenshot (tests shoot README images when screenshotsForReadme is true)');
    exitCode = 1;
  }
  if (sawResult && result.pending > 0 && exitCode === 0) {
    // Under this runner the DOM harness is always there: a skipped test is a broken test, not a pass.
    say(`FAILED: ${result.pending} test(s) skipped; nothing may be skipped under the code-server runner`);
    exitCode = 1;
  }
  // A plain closing line CI can read whatever the test runner.
  if (sawResult) console.log(`integration: ${result.passes} passed, ${result.failures} failed${result.pending ? `, ${result.pending} skipped` : ''}`);
  else say('the suite reported no result');
  say(`${exitCode === 0 ? 'PASSED' : 'FAILED'} in ${secs()}`);
  return exitCode;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((code) => process.exit(code), (e) => {
    const oneLine = e instanceof SetupError || e instanceof ProvisionError;
    console.error(oneLine ? `error: ${e.message}` : e);
    process.exit(1);
  });
}
