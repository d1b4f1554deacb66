// Runs the same integration suite in desktop VS Code through @vscode/test-electron,
// for machines that have desktop VS Code or can download it. (On this project's
// CI machines only the npm registry is reachable, so use runIntegration.mjs.)
//
//   node scripts/vscode/runElectron.mjs [--no-build]
//
// Env: LIVESTREAM_VSCODE_EXECUTABLE  use this VS Code binary instead of downloading
//      LIVESTREAM_VSCODE_VERSION     version to download (default: stable)
//      LIVESTREAM_TEST_GREP          run only tests whose title contains this
// Linux without a display: run it under xvfb-run.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { cacheDir } from './provision.mjs';
import { buildSuite } from './buildSuite.mjs';
import { SetupError, buildExtension, makeRunDir, repoRoot, writeSettings } from './codeServer.mjs';

const say = (msg) => console.log(`[electron] ${msg}`);

export async function main() {
  const { values } = parseArgs({ options: { 'no-build': { type: 'boolean' }, grep: { type: 'string' }, theme: { type: 'string' } } });
  let testElectron;
  try {
    testElectron = await import('@vscode/test-electron');
  } catch {
    throw new SetupError('@vscode/test-electron is not installed: run npm ci in the repository');
  }
  if (!values['no-build']) await buildExtension();
  const testsPath = await buildSuite();

  let vscodeExecutablePath = process.env.LIVESTREAM_VSCODE_EXECUTABLE;
  if (vscodeExecutablePath && !existsSync(vscodeExecutablePath)) throw new SetupError(`LIVESTREAM_VSCODE_EXECUTABLE=${vscodeExecutablePath} does not exist`);
  if (!vscodeExecutablePath) {
    const version = process.env.LIVESTREAM_VSCODE_VERSION || 'stable';
    say(`downloading VS Code ${version} (cached under ${join(cacheDir(), 'vscode-test')}) ...`);
    try {
      // `timeout` is an idle timeout: a blocked network fails in seconds instead of hanging.
      vscodeExecutablePath = await testElectron.downloadAndUnzipVSCode({ version, cachePath: join(cacheDir(), 'vscode-test'), timeout: 15_000 });
    } catch (e) {
      throw new SetupError(`could not download desktop VS Code (${String(e?.message ?? e).split('\n')[0]}): this machine cannot reach the VS Code download site; run npm run test:integration (code-server) instead, or set LIVESTREAM_VSCODE_EXECUTABLE to an installed VS Code`);
    }
  }

  const d = makeRunDir();
  writeSettings(d.userData);
  try {
    await testElectron.runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: testsPath,
      extensionTestsEnv: { LIVESTREAM_TEST_COLOR: process.stdout.isTTY ? '1' : '0', ...((values.grep ?? process.env.LIVESTREAM_TEST_GREP) ? { LIVESTREAM_TEST_GREP: values.grep ?? process.env.LIVESTREAM_TEST_GREP } : {}) },
      launchArgs: [
        d.workspace,
        `--user-data-dir=${d.userData}`,
        `--extensions-dir=${d.extensions}`,
        '--disable-extensions', // other installed extensions stay out; ours is the dev path
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--disable-telemetry',
      ],
    });
    say('PASSED');
    return 0;
  } catch (e) {
    say(`FAILED: ${e?.message ?? e}`);
    return 1;
  } finally {
    rmSync(d.root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((code) => process.exit(code), (e) => {
    console.error(e instanceof SetupError ? `error: ${e.message}` : e);
    process.exit(1);
  });
}
