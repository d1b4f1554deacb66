// Pure decisions about the machine the tests and the demo run on: which browser
// drives the webview tests, which real VS Code runs the integration suite, which
// system packages are missing and how to get them. No I/O here: every fact comes
// in through `probe`, so a unit test can play macOS, Windows, Ubuntu or a bare
// Debian container (test/unit/setupPlatform.test.ts). `system.mjs` does the I/O.

/**
 * What the Linux runners need from the OS, by purpose. Debian and Ubuntu names;
 * `check` says how to see that it is there without the package manager.
 */
export const NEEDS = {
  browser: {
    why: 'headless Chromium runs the webview tests and drives VS Code (code-server)',
    packages: ['chromium', 'fonts-liberation'],
  },
  tls: {
    why: 'openssl makes the throwaway certificate of the loopback HTTPS test servers',
    packages: ['openssl'],
  },
  redis: {
    why: 'the team-relay tests start their own redis-server on a loopback port (no Redis mock)',
    packages: ['redis-server'],
  },
  nativeBuild: {
    why: "code-server's native modules (argon2, kerberos, node-pty) compile from source",
    packages: ['build-essential', 'python3', 'pkg-config', 'libkrb5-dev'],
  },
};

/** Where a Chrome-family browser lives when it is installed the usual way. */
const BROWSER_PATHS = {
  linux: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/usr/bin/microsoft-edge', '/snap/bin/chromium'],
  darwin: [
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
    '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
  ],
};

/**
 * The browser for playwright-core (it never downloads one here): an explicit
 * `CHROMIUM_PATH` (or the older `LIVESTREAM_CHROMIUM`) wins; then a Chrome,
 * Chromium or Edge at its usual path; on Windows Playwright's `chrome` or
 * `msedge` channel (Edge ships with Windows 10 and 11).
 *
 * @param {{platform: string, env: Record<string, string|undefined>, exists: (p: string) => boolean}} probe
 * @returns {{executablePath?: string, channel?: string, label: string} | {missing: string}}
 */
export function selectBrowser({ platform, env, exists }) {
  const explicit = env.CHROMIUM_PATH || env.LIVESTREAM_CHROMIUM;
  if (explicit) {
    if (exists(explicit)) return { executablePath: explicit, label: explicit };
    return { missing: `CHROMIUM_PATH=${explicit} does not exist` };
  }
  if (platform === 'win32') {
    const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter(Boolean);
    if (roots.some((r) => exists(`${r}\\Google\\Chrome\\Application\\chrome.exe`))) return { channel: 'chrome', label: 'Google Chrome (channel chrome)' };
    return { channel: 'msedge', label: 'Microsoft Edge (channel msedge)' };
  }
  const found = (BROWSER_PATHS[platform] ?? []).find((p) => exists(p));
  if (found) return { executablePath: found, label: found };
  return { missing: 'no Chrome, Chromium or Edge found' };
}

/**
 * Which real VS Code runs `npm run test:integration`: code-server on Linux (it is
 * provisioned from the npm registry, which is all CI can reach); desktop VS Code
 * through @vscode/test-electron on macOS and Windows, where it can be downloaded
 * and code-server's Linux Node build does not run. `LIVESTREAM_INTEGRATION_RUNNER`
 * overrides (e.g. `electron` on a Linux desktop with a display).
 */
export function selectIntegrationRunner({ platform, env }) {
  const forced = env.LIVESTREAM_INTEGRATION_RUNNER;
  if (forced === 'electron' || forced === 'code-server') return forced;
  if (forced) throw new Error(`LIVESTREAM_INTEGRATION_RUNNER must be electron or code-server, not "${forced}"`);
  return platform === 'linux' ? 'code-server' : 'electron';
}

/** Reads `ID`/`ID_LIKE` from /etc/os-release text. */
export function osFamily(osRelease) {
  const field = (k) => (osRelease.match(new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm'))?.[1] ?? '').toLowerCase();
  const ids = [field('ID'), ...field('ID_LIKE').split(/\s+/)].filter(Boolean);
  if (ids.includes('ubuntu')) return 'ubuntu';
  if (ids.includes('debian')) return 'debian';
  if (ids.some((i) => ['fedora', 'rhel', 'centos'].includes(i))) return 'fedora';
  if (ids.includes('arch')) return 'arch';
  return ids[0] ?? 'unknown';
}

/** Ubuntu's apt `chromium` is a snap wrapper that fails in containers and CI; its deb is chromium-browser. */
function packageName(pkg, family) {
  if (family === 'ubuntu' && pkg === 'chromium') return 'chromium-browser';
  if (family === 'fedora') return { 'build-essential': 'gcc-c++ make', 'libkrb5-dev': 'krb5-devel', 'pkg-config': 'pkgconf-pkg-config', 'fonts-liberation': 'liberation-fonts' }[pkg] ?? pkg;
  return pkg;
}

/**
 * What to do about missing system packages for `purposes` (keys of NEEDS).
 *
 * @param {string[]} purposes
 * @param {{platform: string, osRelease: string, isRoot: boolean, hasApt: boolean, installed: (pkg: string) => boolean, browserFound: boolean}} probe
 * @returns {{action: 'ok'} | {action: 'install', packages: string[], reasons: string[], command: string[]} | {action: 'fail', message: string}}
 */
export function planSystemSetup(purposes, probe) {
  if (probe.platform !== 'linux') return { action: 'ok' }; // macOS/Windows: desktop VS Code + an installed browser; nothing to compile
  const missing = [];
  const reasons = [];
  for (const purpose of purposes) {
    const need = NEEDS[purpose];
    if (!need) throw new Error(`unknown system need "${purpose}"`);
    // Any Chrome-family browser will do; only install one when there is none.
    const lacking = purpose === 'browser' && probe.browserFound ? [] : need.packages.filter((p) => !probe.installed(p) && !missing.includes(p));
    if (lacking.length) { missing.push(...lacking); reasons.push(`${lacking.join(' ')}: ${need.why}`); }
  }
  if (missing.length === 0) return { action: 'ok' };
  const family = osFamily(probe.osRelease);
  const names = [...new Set(missing.map((p) => packageName(p, family)).join(' ').split(' '))];
  if (probe.hasApt && (family === 'debian' || family === 'ubuntu')) {
    if (probe.isRoot) return { action: 'install', packages: names, reasons, command: ['apt-get', 'install', '-y', '--no-install-recommends', ...names] };
    return { action: 'fail', message: `missing system packages (${reasons.join('; ')}): run  sudo apt-get update && sudo apt-get install -y ${names.join(' ')}` };
  }
  const cmd = family === 'fedora' ? `sudo dnf install -y ${names.join(' ')}` : family === 'arch' ? `sudo pacman -S ${names.join(' ')}` : `install ${names.join(' ')} with your package manager`;
  return { action: 'fail', message: `missing system packages (${reasons.join('; ')}): ${cmd}` };
}

/** npm_* variables that npm sets for a lifecycle script and must not leak into a nested npm. */
const KEEP_NPM_CONFIG = new Set(['registry', 'cafile', 'ca', 'strict_ssl', 'proxy', 'https_proxy', 'noproxy', 'userconfig', 'globalconfig', 'cache']);

/**
 * The environment for a nested `npm` started from inside `npm run …`. npm exports
 * its whole configuration as `npm_config_*` and reads those variables back as
 * configuration, so a nested npm inherits e.g. `user-agent` ("npm/11 node/v20 …")
 * and code-server's postinstall then believes it runs on Node 20. Everything npm
 * set for the outer script goes (lifecycle, package, config, `NODE`, `INIT_CWD`),
 * except how to reach the registry, which the user may have configured that way.
 */
export function cleanNpmEnv(env) {
  const out = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    const lower = k.toLowerCase();
    if (lower.startsWith('npm_config_') && (KEEP_NPM_CONFIG.has(lower.slice('npm_config_'.length)) || lower.startsWith('npm_config_@'))) { out[k] = v; continue; }
    if (lower.startsWith('npm_') || k === 'NODE' || k === 'INIT_CWD') continue;
    out[k] = v;
  }
  return out;
}
