import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import manifest from '../../package.json';

const root = join(__dirname, '../..');

describe('packaging', function () {
  this.timeout(60_000);

  it('vsce ls ships exactly the bundle, the webview assets and the docs', () => {
    const out = execFileSync(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
    const files = out.split('\n').map((l) => l.trim()).filter(Boolean).sort();
    assert.deepEqual(files, ['LICENSE', 'README.md', 'dist/extension.js', 'dist/webview/codicon.css', 'dist/webview/codicon.ttf', 'dist/webview/main.js', 'dist/webview/style.css', 'package.json'].sort());
  });

  it('the manifest is a valid extension manifest that code-server 4.139 (VS Code 1.139) loads', () => {
    assert.equal(manifest.name, 'livestream-inspector');
    assert.equal(manifest.displayName, 'Live Stream Inspector');
    assert.equal(manifest.publisher, 'livestream-tools');
    assert.equal(manifest.main, './dist/extension.js');
    assert.equal(manifest.engines.vscode, '^1.100.0');
    assert.equal(manifest.devDependencies['@types/vscode'], '1.100.0', '@types/vscode pinned to the engines floor');
    for (const c of manifest.contributes.commands) assert.equal(c.category, 'Live Stream', c.command);
  });
});
