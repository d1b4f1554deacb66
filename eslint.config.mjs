// Lint is deliberately small: type-aware correctness rules plus the architectural
// boundaries between the folders of src/ (each folder's README says what it owns).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Hit data is untrusted everywhere: never markup from strings.
const NO_HTML_STRINGS = [{
  selector: "AssignmentExpression[left.property.name='innerHTML']",
  message: 'Hit data is untrusted: use textContent / DOM APIs, never innerHTML.',
}, {
  selector: "AssignmentExpression[left.property.name='outerHTML']",
  message: 'Hit data is untrusted: never outerHTML.',
}, {
  selector: "CallExpression[callee.property.name='insertAdjacentHTML']",
  message: 'Hit data is untrusted: never insertAdjacentHTML.',
}];

/**
 * What each folder of src/ may import: our folders (relative imports that leave
 * the folder) and packages. Everything else is an error, for static imports,
 * re-exports and dynamic `import()` alike. Lower layers first:
 * analytics, shared → stream, mock → relay → session → host, cli (webview: analytics, shared).
 */
const BOUNDARIES = {
  // The Analytics domain also runs in the webview: no Node, no HTTP, no VS Code.
  analytics: { folders: [], packages: ['re2js', 'jsonc-parser'], node: false },
  // Protocol, model, status view, panel HTML: imported by both sides.
  shared: { folders: ['analytics'], packages: [], node: false },
  // The connection engine: Node and undici, nothing that knows a window or settings.
  stream: { folders: ['shared'], packages: ['undici'], node: true },
  mock: { folders: [], packages: [], node: true },
  // The team relay on Redis Streams: publisher, lease/fence, viewer. Uses the engine, never a window.
  relay: { folders: ['stream', 'shared'], packages: ['ioredis'], node: true },
  // The per-window session: reads the manifest for setting defaults.
  session: { folders: ['stream', 'mock', 'shared', 'relay'], packages: [], node: true, files: ['package.json'] },
  cli: { folders: ['stream', 'mock', 'shared', 'session', 'analytics', 'relay'], packages: [], node: true },
  host: { folders: ['session', 'stream', 'shared', 'analytics'], packages: ['vscode'], node: true },
  // The browser side: only the domain, the shared protocol and browser packages.
  webview: { folders: ['analytics', 'shared'], packages: ['@tanstack/virtual-core', 'uplot', 're2js'], node: false },
};

const NODE_BUILTINS = builtinModules.filter((m) => !m.startsWith('_'));
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** no-restricted-imports and no-restricted-syntax (for `import()`) for the files of `folder` at `depth` below src/. */
function boundary(folder, rule, depth) {
  const up = `(?:\\.\\./){${depth}}`;
  const allowed = [...rule.folders.map((f) => `${f}/`), ...(rule.files ?? []).map((f) => `\\.\\./${esc(f)}$`)];
  const leaving = `^${up}${allowed.length ? `(?!${allowed.join('|')})` : ''}`;
  const where = `src/${folder}/`;
  const folderMsg = `${where} may import only ${rule.folders.length ? rule.folders.map((f) => `src/${f}/`).join(', ') : 'its own files'} (see ${where}README.md).`;
  // vscode, undici and Node built-ins have their own messages below.
  const otherPackages = `^(?![./]|node:|${[...rule.packages, 'vscode', 'undici', ...NODE_BUILTINS].map((p) => `${esc(p)}(?:/|$)`).join('|')})`;
  const packagesMsg = `${where} may use only these packages: ${rule.packages.join(', ') || 'none'}.`;
  const patterns = [
    { regex: leaving, message: folderMsg },
    { regex: otherPackages, message: packagesMsg },
  ];
  const paths = [];
  if (!rule.packages.includes('vscode')) paths.push({ name: 'vscode', message: 'Only src/host/ and src/extension.ts may import vscode: keep this testable in plain Node.' });
  if (!rule.packages.includes('undici')) paths.push({ name: 'undici', message: `${where} must not make HTTP requests: that is src/stream/.` });
  if (!rule.node) {
    const message = `${where} also runs in the webview (a browser): no Node built-ins.`;
    patterns.push({ regex: '^node:', message });
    paths.push(...NODE_BUILTINS.map((name) => ({ name, message })));
  }
  const forbidden = [[leaving, folderMsg], [otherPackages, packagesMsg], ...paths.map((p) => [`^${esc(p.name)}$`, p.message])];
  if (!rule.node) forbidden.push(['^node:', `${where} also runs in the webview (a browser): no Node built-ins.`]);
  const dynamic = forbidden.map(([r, message]) => ({
    selector: `ImportExpression[source.value=/${r.replace(/\//g, '\\/')}/]`,
    message: `import(): ${message}`,
  }));
  return {
    files: [`src/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      'no-restricted-imports': ['error', { paths, patterns }],
      'no-restricted-syntax': ['error', ...NO_HTML_STRINGS, ...dynamic],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.vscode-test/**', 'out/**', 'media/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', ...NO_HTML_STRINGS],
    },
  },
  {
    // Any file of src/ (a folder added later too): no vscode outside the host layer.
    files: ['src/**/*.ts'],
    ignores: ['src/host/**', 'src/extension.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/host/ and src/extension.ts may import vscode: keep this testable in plain Node.' }] }] },
  },
  ...Object.entries(BOUNDARIES).flatMap(([folder, rule]) => [1, 2, 3].map((depth) => boundary(folder, rule, depth))),
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' } },
  },
);
