// Smoke: the extension loads in a real VS Code, activates through a command, and
// every command package.json declares is registered. package.json is read at run
// time so this grows with the manifest.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  harnessAvailable, queryWorkbench, requestScreenshot, requireHarness, screenshotsForReadme, waitFor, waitForStatusBarText, waitForWebview,
} from './harness';

interface Manifest {
  publisher: string;
  name: string;
  engines: { vscode: string };
  contributes?: { commands?: { command: string }[] };
}

// The command used to activate: harmless (opens the log), always wired up.
const ACTIVATION_COMMAND = 'liveStream.showLog';

describe('smoke', () => {
  let ext: vscode.Extension<unknown>;
  let manifest: Manifest;

  before(() => {
    const found = vscode.extensions.all.find((e) => e.packageJSON?.name === 'livestream-inspector');
    assert.ok(found, `livestream-inspector is not loaded in VS Code ${vscode.version}: is engines.vscode too new, or the build missing?`);
    ext = found;
    manifest = ext.packageJSON as Manifest;
    assert.equal(ext.id.toLowerCase(), `${manifest.publisher}.${manifest.name}`.toLowerCase());
    // Under `--vsix` the runner installed the package: make sure that is what runs, not the work tree.
    const installedDir = process.env.LIVESTREAM_EXPECT_EXTENSIONS_DIR;
    if (installedDir) assert.ok(ext.extensionPath.startsWith(installedDir), `the installed .vsix runs (${ext.extensionPath}), not a development copy`);
  });

  it('activates through a command', async () => {
    const declared = (manifest.contributes?.commands ?? []).map((c) => c.command);
    if (declared.includes(ACTIVATION_COMMAND)) {
      // Declared commands activate the extension implicitly (onCommand).
      await vscode.commands.executeCommand(ACTIVATION_COMMAND);
    } else {
      // Not declared yet: nothing can activate it by command, so activate it directly.
      console.log(`  (${ACTIVATION_COMMAND} is not declared in package.json; activating directly)`);
      await ext.activate();
    }
    await waitFor(() => ext.isActive, { message: 'the extension to be active' });
  });

  it('registers every command declared in package.json', async () => {
    const declared = (manifest.contributes?.commands ?? []).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = declared.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `declared in package.json but not registered: ${missing.join(', ')}`);
    assert.ok(registered.has(ACTIVATION_COMMAND), `${ACTIVATION_COMMAND} is not registered`);
    const undeclared = [...registered].filter((c) => c.startsWith('liveStream.') && !declared.includes(c));
    if (undeclared.length) console.log(`  (registered but not in package.json: ${undeclared.join(', ')})`);
  });

});

// The harness itself, on a status bar item and a webview this test creates, so
// a broken harness is told apart from a broken extension. Its screenshots stay
// in the run dir: not README images.
describe('harness', () => {
  const disposables: vscode.Disposable[] = [];
  after(() => disposables.forEach((d) => d.dispose()));

  it('reads and screenshots the rendered status bar', async function () {
    requireHarness(this);
    const item = vscode.window.createStatusBarItem('livestream.harnessProbe', vscode.StatusBarAlignment.Left);
    disposables.push(item);
    item.text = 'Harness probe 42';
    item.show();
    assert.equal(await waitForStatusBarText(/Harness probe 42/), 'Harness probe 42');
    if (!screenshotsForReadme) {
      assert.ok(await requestScreenshot('harness-statusbar', 'statusbar', { text: 'Harness probe 42' }));
      assert.ok(await requestScreenshot('harness-window', 'window'));
    }
  });

  it('reads and screenshots a webview', async function () {
    requireHarness(this);
    const panel = vscode.window.createWebviewPanel('livestream.harnessProbe', 'Harness probe', vscode.ViewColumn.One, { enableScripts: false });
    disposables.push(panel);
    panel.webview.html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${panel.webview.cspSource} 'unsafe-inline';"></head>
      <body><h1>Probe</h1><ul>${[1, 2, 3].map((n) => `<li class="probe-row">row ${n}</li>`).join('')}</ul></body></html>`;
    const rows = await waitForWebview('li.probe-row', { min: 3 });
    assert.deepEqual(rows, ['row 1', 'row 2', 'row 3']);
    if (!screenshotsForReadme) assert.ok(await requestScreenshot('harness-webview', 'webview', { text: 'row 3' }));
    // The workbench side too: the panel's tab is rendered.
    assert.ok((await queryWorkbench('.tab')).some((t) => t.includes('Harness probe')));
    assert.ok(harnessAvailable());
  });
});
