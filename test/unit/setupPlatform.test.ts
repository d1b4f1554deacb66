import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanNpmEnv, osFamily, planSystemSetup, selectBrowser, selectIntegrationRunner, type SystemProbe } from '../../scripts/setup/platform.mjs';
import { NODE_VERSION, npmEnvFor } from '../../scripts/vscode/provision.mjs';

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n';
const UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n';
const FEDORA = 'NAME="Fedora Linux"\nID=fedora\n';

describe('setup: what runs where', () => {
  describe('browser for the webview tests', () => {
    const on = (platform: string, present: string[], env: Record<string, string> = {}) =>
      selectBrowser({ platform, env, exists: (p) => present.includes(p) });

    it('CHROMIUM_PATH wins everywhere, and a wrong one is an error, not a fallback', () => {
      assert.deepEqual(on('linux', ['/opt/c', '/usr/bin/chromium'], { CHROMIUM_PATH: '/opt/c' }), { executablePath: '/opt/c', label: '/opt/c' });
      assert.deepEqual(on('darwin', [], { CHROMIUM_PATH: '/nope' }), { missing: 'CHROMIUM_PATH=/nope does not exist' });
      assert.equal((on('linux', ['/x'], { LIVESTREAM_CHROMIUM: '/x' }) as { executablePath: string }).executablePath, '/x');
    });
    it('Linux: Debian chromium first, then Ubuntu/Chrome/Edge paths; none found is reported', () => {
      assert.equal((on('linux', ['/usr/bin/chromium', '/usr/bin/google-chrome']) as { executablePath: string }).executablePath, '/usr/bin/chromium');
      assert.equal((on('linux', ['/usr/bin/google-chrome-stable']) as { executablePath: string }).executablePath, '/usr/bin/google-chrome-stable');
      assert.ok('missing' in on('linux', []));
    });
    it('macOS: an installed Chrome, Chromium or Edge app', () => {
      assert.equal((on('darwin', ['/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge']) as { executablePath: string }).executablePath, '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge');
      assert.ok('missing' in on('darwin', []));
    });
    it('Windows: the chrome channel when Chrome is installed, else Edge (always there)', () => {
      const env = { PROGRAMFILES: 'C:\\Program Files' };
      assert.equal((on('win32', ['C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe'], env) as { channel: string }).channel, 'chrome');
      assert.equal((on('win32', [], env) as { channel: string }).channel, 'msedge');
    });
  });

  describe('integration runner', () => {
    it('code-server on Linux, desktop VS Code (test-electron) on macOS and Windows, overridable', () => {
      assert.equal(selectIntegrationRunner({ platform: 'linux', env: {} }), 'code-server');
      assert.equal(selectIntegrationRunner({ platform: 'darwin', env: {} }), 'electron');
      assert.equal(selectIntegrationRunner({ platform: 'win32', env: {} }), 'electron');
      assert.equal(selectIntegrationRunner({ platform: 'linux', env: { LIVESTREAM_INTEGRATION_RUNNER: 'electron' } }), 'electron');
      assert.throws(() => selectIntegrationRunner({ platform: 'linux', env: { LIVESTREAM_INTEGRATION_RUNNER: 'docker' } }), /electron or code-server/);
    });
  });

  describe('system packages', () => {
    const probe = (over: Partial<SystemProbe> = {}): SystemProbe => ({
      platform: 'linux', osRelease: DEBIAN, isRoot: true, hasApt: true, installed: () => false, browserFound: false, ...over,
    });

    it('reads the OS family from /etc/os-release', () => {
      assert.equal(osFamily(DEBIAN), 'debian');
      assert.equal(osFamily(UBUNTU), 'ubuntu');
      assert.equal(osFamily(FEDORA), 'fedora');
    });
    it('root with apt on a bare Debian: installs exactly what is missing, saying why', () => {
      const plan = planSystemSetup(['browser', 'nativeBuild'], probe({ installed: (p) => ['build-essential', 'python3'].includes(p) }));
      assert.equal(plan.action, 'install');
      if (plan.action !== 'install') return;
      assert.deepEqual(plan.packages, ['chromium', 'fonts-liberation', 'pkg-config', 'libkrb5-dev']);
      assert.deepEqual(plan.command.slice(0, 3), ['apt-get', 'install', '-y']);
      assert.match(plan.reasons.join(' '), /webview tests/);
      assert.match(plan.reasons.join(' '), /native modules/);
    });
    it('nothing to do when everything is there, or another Chrome-family browser is', () => {
      assert.deepEqual(planSystemSetup(['browser', 'nativeBuild'], probe({ installed: () => true })), { action: 'ok' });
      assert.deepEqual(planSystemSetup(['browser'], probe({ browserFound: true })), { action: 'ok' });
    });
    it('Ubuntu gets its deb package name for Chromium (not the snap wrapper)', () => {
      const plan = planSystemSetup(['browser'], probe({ osRelease: UBUNTU }));
      assert.equal(plan.action, 'install');
      if (plan.action === 'install') assert.ok(plan.packages.includes('chromium-browser'));
    });
    it('not root: one line with the exact command, nothing installed', () => {
      const plan = planSystemSetup(['browser'], probe({ isRoot: false }));
      assert.equal(plan.action, 'fail');
      if (plan.action !== 'fail') return;
      assert.ok(!plan.message.includes('\n'));
      assert.match(plan.message, /sudo apt-get update && sudo apt-get install -y chromium fonts-liberation$/);
    });
    it('another distribution: its own package manager in the message', () => {
      const plan = planSystemSetup(['nativeBuild'], probe({ osRelease: FEDORA, hasApt: false }));
      assert.equal(plan.action, 'fail');
      if (plan.action === 'fail') assert.match(plan.message, /sudo dnf install -y gcc-c\+\+ make python3 pkgconf-pkg-config krb5-devel$/);
    });
    it('macOS and Windows need no system packages (desktop VS Code, an installed browser)', () => {
      assert.deepEqual(planSystemSetup(['browser', 'nativeBuild'], probe({ platform: 'darwin' })), { action: 'ok' });
    });
  });

  describe('nested npm under `npm run` (code-server provisioning)', function () {
    this.timeout(60_000);
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'lsi-npmenv-'));
      // A package whose script reports what npm told it about Node (code-server's
      // postinstall reads the Node version from npm_config_user_agent).
      writeFileSync(join(dir, 'package.json'), JSON.stringify({
        private: true,
        scripts: { probe: 'node -e "console.log(process.env.npm_config_user_agent + \'|\' + process.version)"' },
      }));
      // "Node 24" for this test: the real node, made to report NODE_VERSION, first on PATH.
      writeFileSync(join(dir, 'as24.cjs'), `Object.defineProperty(process, 'version', { value: 'v${NODE_VERSION}' });\n`);
      const bin = join(dir, 'bin');
      execFileSync('mkdir', ['-p', bin]);
      writeFileSync(join(bin, 'node'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} --require ${JSON.stringify(join(dir, 'as24.cjs'))} "$@"\n`);
      chmodSync(join(bin, 'node'), 0o755);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** What an outer `npm test` on Node 20 exports to its scripts (the parts that matter). */
    const outerNpmRun = {
      ...process.env,
      npm_config_user_agent: 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false',
      npm_lifecycle_event: 'test:integration',
      npm_lifecycle_script: 'node scripts/vscode/runIntegration.mjs',
      npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js',
      npm_node_execpath: process.execPath,
      npm_package_name: 'livestream-inspector',
      NODE: process.execPath,
      INIT_CWD: '/work/main',
    };
    const probe = (env: Record<string, string | undefined>) =>
      execFileSync('npm', ['run', '--silent', 'probe'], { cwd: dir, env: env as NodeJS.ProcessEnv, encoding: 'utf8' }).trim();

    it('without cleaning, the nested npm would name the outer Node (the bug this guards against)', () => {
      const out = probe({ ...outerNpmRun, PATH: `${join(dir, 'bin')}:${process.env.PATH}` });
      assert.match(out, /node\/v20\.20\.2 .*\|v24\./, out);
    });
    it('the provisioning env names the Node it runs on (Node 24 first on PATH) and drops npm_* lifecycle variables', () => {
      const env = npmEnvFor(outerNpmRun, { nodeBinDir: join(dir, 'bin'), nodedir: '/opt/node24' });
      for (const k of Object.keys(env)) assert.ok(!/^npm_(lifecycle|package|execpath|node_execpath|config_user_agent)/i.test(k), k);
      assert.equal(env.NODE, undefined);
      assert.equal(env.npm_config_nodedir, '/opt/node24');
      const out = probe(env);
      assert.match(out, new RegExp(`^npm/\\S+ node/v${NODE_VERSION.replace(/\./g, '\\.')} .*\\|v${NODE_VERSION.replace(/\./g, '\\.')}$`), out);
    });
    it('keeps how to reach the registry', () => {
      const env = cleanNpmEnv({ npm_config_registry: 'https://r.example/', 'npm_config_@corp:registry': 'https://c.example/', npm_config_cafile: '/ca', npm_config_user_agent: 'x', PATH: '/bin' });
      assert.deepEqual(env, { npm_config_registry: 'https://r.example/', 'npm_config_@corp:registry': 'https://c.example/', npm_config_cafile: '/ca', PATH: '/bin' });
    });
  });
});
