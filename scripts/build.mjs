// Builds the three bundles: extension host (node/cjs, `vscode` external), CLI (node/cjs)
// and the webview (browser/iife). `--production` minifies; `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
// `--only=cli,extension,webview` builds a subset (tests rebuild just what they exercise).
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const entries = [
  // Banner and footer stamp the bundle's evaluation, so activation time includes loading our code.
  { name: 'extension', ...common, entryPoints: [join(root, 'src/extension.ts')], outfile: join(root, 'dist/extension.js'), platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], banner: { js: 'globalThis.__liveStreamBundleStart = performance.now();' }, footer: { js: 'globalThis.__liveStreamBundleEnd = performance.now();' } },
  // The stream pipeline's worker thread (src/stream/pipeline.ts loads it from next to the bundle).
  { name: 'worker', ...common, entryPoints: [join(root, 'src/stream/pipelineWorker.ts')], outfile: join(root, 'dist/streamWorker.js'), platform: 'node', format: 'cjs', target: 'node20' },
  // The extension's demo stream server, in its own thread (src/session/demoServerHandle.ts).
  { name: 'demo', ...common, entryPoints: [join(root, 'src/session/demoWorker.ts')], outfile: join(root, 'dist/demoWorker.js'), platform: 'node', format: 'cjs', target: 'node20' },
  { name: 'cli', ...common, entryPoints: [join(root, 'src/cli/main.ts')], outfile: join(root, 'dist/cli.js'), platform: 'node', format: 'cjs', target: 'node20', banner: { js: '#!/usr/bin/env node' } },
];
if (existsSync(join(root, 'src/webview/main.ts'))) {
  entries.push({ name: 'webview', ...common, entryPoints: [join(root, 'src/webview/main.ts')], outfile: join(root, 'dist/webview/main.js'), platform: 'browser', format: 'iife', target: 'chrome120' });
}

// The stream worker ships with both node bundles (each loads dist/streamWorker.js), the demo worker with the extension.
const wanted = (name) => !only || only.includes(name) || (name === 'worker' && (only.includes('cli') || only.includes('extension'))) || (name === 'demo' && only.includes('extension'));
const selected = entries.filter((e) => existsSync(e.entryPoints[0]) && wanted(e.name));
// `name` is ours, not an esbuild option.
const contexts = await Promise.all(selected.map((e) => esbuild.context(Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'name')))));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
// Webview static assets: codicons font + css are copied next to the bundle so
// localResourceRoots can stay limited to dist/webview.
const codicons = join(root, 'node_modules/@vscode/codicons/dist');
const out = join(root, 'dist/webview');
mkdirSync(out, { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(join(codicons, f), join(out, f));
if (existsSync(join(root, 'src/webview/style.css'))) copyFileSync(join(root, 'src/webview/style.css'), join(out, 'style.css'));
