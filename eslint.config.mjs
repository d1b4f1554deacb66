// Lint is deliberately small: type-aware correctness rules plus the architectural
// boundary that keeps the core testable in plain Node (no `vscode` outside src/host).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.vscode-test/**', 'out/**', 'media/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', {
        selector: "AssignmentExpression[left.property.name='innerHTML']",
        message: 'Hit data is untrusted: use textContent / DOM APIs, never innerHTML.',
      }, {
        selector: "AssignmentExpression[left.property.name='outerHTML']",
        message: 'Hit data is untrusted: never outerHTML.',
      }, {
        selector: "CallExpression[callee.property.name='insertAdjacentHTML']",
        message: 'Hit data is untrusted: never insertAdjacentHTML.',
      }],
    },
  },
  {
    // The core and the shared protocol must run in plain Node and in the webview.
    files: ['src/analytics/**/*.ts', 'src/stream/**/*.ts', 'src/session/**/*.ts', 'src/mock/**/*.ts', 'src/shared/**/*.ts', 'src/cli/**/*.ts', 'src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'The core must not depend on VS Code; put VS Code code under src/host/.' }] }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' } },
  },
);
