// Compiles the integration suite (test/integration/**) to out/integration/, the
// JS the extension host loads. index.ts and every *.test.ts become one bundle
// each; `vscode` is provided by the host, and `mocha` resolves from the repo's
// node_modules at run time (bundling mocha breaks its dynamic requires).
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './codeServer.mjs';

export const suiteSrc = join(repoRoot, 'test', 'integration');
export const suiteOut = join(repoRoot, 'out', 'integration');
/** What `extensionTestsPath` points at (a module path without extension). */
export const suiteIndex = join(suiteOut, 'index');

export async function buildSuite() {
  const entryPoints = readdirSync(suiteSrc, { recursive: true })
    .map(String)
    .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
    .map((f) => join(suiteSrc, f));
  rmSync(suiteOut, { recursive: true, force: true }); // no stale tests of deleted files
  await esbuild.build({
    entryPoints,
    outdir: suiteOut,
    outbase: suiteSrc,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  return suiteIndex;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildSuite();
  console.log(`built ${suiteOut}`);
}
