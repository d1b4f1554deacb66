// Makes sure the operating system has what `npm test` and `npm run demo` need,
// installing it when this process may (root with apt: it says what and why),
// otherwise stopping with one line that names the exact command. The README's
// commands and `.ci/run` all come through here, so they cannot drift apart.
//
//   node scripts/setup/system.mjs browser nativeBuild   # CLI form (exit 1 + one line on failure)
//   import { ensureSystem, browserLaunchOptions } from './system.mjs'
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { NEEDS, planSystemSetup, selectBrowser } from './platform.mjs';

/** A missing system piece: printed as one line, exit 1. */
export class SystemSetupError extends Error {}

const say = (msg) => console.log(`[setup] ${msg}`);

function probe() {
  const platform = process.platform;
  return {
    platform,
    osRelease: existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '',
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    hasApt: platform === 'linux' && existsSync('/usr/bin/apt-get') && existsSync('/usr/bin/dpkg-query'),
    installed: (pkg) => spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout?.includes('install ok installed') ?? false,
    browserFound: !('missing' in findBrowser()),
  };
}

/** The browser playwright-core should launch (see selectBrowser), from this machine's facts. */
export function findBrowser(env = process.env) {
  return selectBrowser({ platform: process.platform, env, exists: existsSync });
}

let apted = false;

/**
 * Installs (or demands) the system packages for `purposes` (keys of NEEDS:
 * `browser`, `nativeBuild`). Cheap when everything is there (one dpkg query per package).
 */
export function ensureSystem(purposes) {
  for (const p of purposes) if (!NEEDS[p]) throw new Error(`unknown system need "${p}"`);
  const plan = planSystemSetup(purposes, probe());
  if (plan.action === 'ok') return;
  if (plan.action === 'fail') throw new SystemSetupError(plan.message);
  say(`installing Debian packages: ${plan.reasons.join('; ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const t0 = Date.now();
  if (!apted) {
    const u = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    if (u.status !== 0) throw new SystemSetupError(`apt-get update failed (exit ${u.status}); run it by hand, then: ${plan.command.join(' ')}`);
    apted = true;
  }
  const r = spawnSync(plan.command[0], ['-qq', ...plan.command.slice(1)], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) throw new SystemSetupError(`${plan.command.join(' ')} failed (exit ${r.status})`);
  say(`installed ${plan.packages.join(' ')} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const again = planSystemSetup(purposes, probe());
  if (again.action !== 'ok') throw new SystemSetupError(`still missing after installing: ${again.action === 'install' ? again.packages.join(' ') : again.message}`);
}

/**
 * playwright-core launch options for the browser of this machine, installing
 * Chromium first where we may. Throws SystemSetupError with the command to run.
 */
export function browserLaunchOptions() {
  ensureSystem(['browser']);
  const b = findBrowser();
  if ('missing' in b) {
    throw new SystemSetupError(`${b.missing}: install Chrome, Chromium or Edge, or set CHROMIUM_PATH to one${process.platform === 'linux' ? ' (Debian: apt-get install -y chromium fonts-liberation)' : ''}`);
  }
  return b.channel ? { channel: b.channel } : { executablePath: b.executablePath };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const purposes = process.argv.slice(2);
    ensureSystem(purposes.length ? purposes : Object.keys(NEEDS));
    if (purposes.length === 0 || purposes.includes('browser')) say(`browser: ${findBrowser().label}`);
  } catch (e) {
    console.error(e instanceof SystemSetupError ? `error: ${e.message}` : e);
    process.exit(1);
  }
}
