import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import manifest from '../../package.json';

const root = join(__dirname, '../..');

/** What `vsce package` puts into the .vsix (the .vscodeignore allowlist applied). */
function shippedFiles(): string[] {
  const out = execFileSync(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim()).filter(Boolean).sort();
}

/** Relative link and image targets of a Markdown text (no URLs, no anchors). */
function relativeTargets(markdown: string): string[] {
  const targets = [...markdown.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
  return targets.filter((t) => !/^[a-z][\w+.-]*:/i.test(t) && !t.startsWith('#')).map((t) => posix.normalize(t.split('#')[0]));
}

describe('packaging', function () {
  this.timeout(60_000);
  let files: string[];
  before(() => { files = shippedFiles(); });

  it('vsce ls ships the bundles, webview assets, docs and the images the README and walkthrough use, nothing else', () => {
    const images = ['icon', 'panel-dark', 'panel-light', 'statusbar-409-dark', 'statusbar-409-light', 'statusbar-connected-dark', 'statusbar-connected-light'].map((n) => `media/${n}.png`);
    assert.deepEqual(files, [
      'CHANGELOG.md', 'LICENSE', 'README.md', 'SECURITY.md', 'package.json',
      'dist/demoWorker.js', 'dist/extension.js', 'dist/streamWorker.js', 'dist/webview/codicon.css', 'dist/webview/codicon.ttf', 'dist/webview/main.js', 'dist/webview/style.css',
      ...images, 'media/walkthrough/credentials.md', 'media/walkthrough/filter.md', 'schemas/livestream-rules.schema.json',
    ].sort());
  });

  it('every relative link and image in the README resolves inside the package (VS Code renders them from the installed files)', () => {
    const targets = relativeTargets(readFileSync(join(root, 'README.md'), 'utf8'));
    assert.ok(targets.some((t) => t.endsWith('.png')), 'the README shows screenshots');
    const missing = targets.filter((t) => !files.includes(t));
    assert.deepEqual(missing, [], `README links to files the .vsix does not contain: ${missing.join(', ')}`);
  });

  it('every walkthrough step\'s media ships', () => {
    const steps = manifest.contributes.walkthroughs.flatMap((w) => w.steps);
    assert.ok(steps.length >= 5);
    for (const s of steps) {
      const media = s.media as { image?: Record<string, string>; markdown?: string };
      const paths = media.markdown ? [media.markdown] : Object.values(media.image ?? {});
      assert.ok(paths.length > 0, `step ${s.id} has media`);
      for (const p of paths) assert.ok(files.includes(p), `${s.id}: ${p} is shipped`);
    }
  });

  it('the icon is our 128×128 PNG', () => {
    assert.equal(manifest.icon, 'media/icon.png');
    const png = readFileSync(join(root, manifest.icon));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
  });

  it('the manifest is a valid extension manifest that code-server 4.139 (VS Code 1.139) loads', () => {
    assert.equal(manifest.name, 'livestream-inspector');
    assert.equal(manifest.displayName, 'Live Stream Inspector');
    assert.equal(manifest.publisher, 'livestream-tools');
    assert.equal(manifest.main, './dist/extension.js');
    assert.equal(manifest.engines.vscode, '^1.100.0');
    assert.equal(manifest.devDependencies['@types/vscode'], '1.100.0', '@types/vscode pinned to the engines floor');
    assert.equal(manifest.license, 'MIT');
    for (const c of manifest.contributes.commands) assert.equal(c.category, 'Live Stream', c.command);
  });

  it('every setting has a scope, and each one that steers credentials or timing is restricted in untrusted workspaces', () => {
    const props = manifest.contributes.configuration.properties as Record<string, { scope?: string }>;
    const restricted = new Set(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations);
    for (const [id, p] of Object.entries(props)) {
      assert.ok(p.scope, `${id} declares a scope`);
      // Application scope: a workspace cannot set it at all; everything else that matters is restricted.
      const steers = /streamUrl|maxConnections|reset|smoothing|Cooldown|idleTimeout|autoReconnect|auth\.|trustedHosts/.test(id);
      if (steers) assert.ok(p.scope === 'application' || restricted.has(id), `${id}: application scope or restricted`);
    }
    for (const id of ['liveStream.auth.imsUrl', 'liveStream.trustedHosts', 'liveStream.reconnectCooldownSeconds']) assert.equal(props[id].scope, 'application', id);
  });
});
