// Builds the three bundles: extension host (node/cjs, `vscode` external), CLI (node/cjs)
// and the webview (browser/iife). `--production` minifies; `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const entries = [
  { ...common, entryPoints: [join(root, 'src/extension.ts')], outfile: join(root, 'dist/extension.js'), platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
  { ...common, entryPoints: [join(root, 'src/cli/main.ts')], outfile: join(root, 'dist/cli.js'), platform: 'node', format: 'cjs', target: 'node20', banner: { js: '#!/usr/bin/env node' } },
];
if (existsSync(join(root, 'src/webview/main.ts'))) {
  entries.push({ ...common, entryPoints: [join(root, 'src/webview/main.ts')], outfile: join(root, 'dist/webview/main.js'), platform: 'browser', format: 'iife', target: 'chrome120' });
}

const contexts = await Promise.all(entries.filter((e) => existsSync(e.entryPoints[0])).map((e) => esbuild.context(e)));
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
