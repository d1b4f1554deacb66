// Tracking rules in a real VS Code (issue 13): a rules file written into the
// workspace, the demo stream (which has violating hits), diagnostics in the
// Problems panel on the rules' lines, and the "Show matching hits" code action
// opening the hits panel filtered to them.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LiveStreamApi } from '../../src/host/controller';
import { disconnectDemo, ensureDemoConnected, inputValue, panelTab, queryWebview, queryWorkbench, requireHarness, waitFor } from './harness';

const EXT_ID = 'livestream-tools.livestream-inspector';

// Line numbers (0-based) matter: the diagnostics must sit on them.
const RULES = [
  '{',                                                                                                        // 0
  '  "builtins": { "personalData": "error", "evarLength": false, "eventValues": false, "unknownFields": false },', // 1
  '  "rules": [',                                                                                             // 2
  '    { "id": "checkout-evar5", "when": "pageName~/^checkout:/", "expect": "has:evar5", "severity": "error", "message": "Checkout pages set eVar5" },', // 3
  '    { "id": "no-email-in-prop9", "expect": "-prop9~/@/", "severity": "warning", "message": "No e-mail in prop9" }', // 4
  '  ]',
  '}',
  '',
].join('\n');


describe('tracking rules', function () {
  this.timeout(150_000);
  let a: LiveStreamApi;
  let rulesUri: vscode.Uri;
  let connectedHere = false;

  before(async () => {
    const ext = vscode.extensions.getExtension<LiveStreamApi>(EXT_ID);
    assert.ok(ext, `${EXT_ID} not installed`);
    await vscode.commands.executeCommand('liveStream.showLog');
    await waitFor(() => ext.isActive, { message: 'activation' });
    a = ext.exports;
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace has a folder');
    rulesUri = vscode.Uri.joinPath(folder.uri, '.vscode', 'livestream-rules.json');
  });

  after(async () => {
    const tab = panelTab();
    if (tab) await vscode.window.tabGroups.close(tab);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(rulesUri).then(undefined, () => undefined);
    // The diagnostics go with the file.
    await waitFor(() => vscode.languages.getDiagnostics(rulesUri).length === 0, { message: 'diagnostics cleared', timeoutMs: 15_000 }).catch(() => undefined);
    if (connectedHere) await disconnectDemo(a);
  });

  it('a rules file and the demo stream: diagnostics on the rules\' lines, "Show matching hits" opens the filtered panel', async function () {
    requireHarness(this);
    await vscode.workspace.fs.writeFile(rulesUri, new TextEncoder().encode(RULES));
    connectedHere = await ensureDemoConnected(a);

    // Diagnostics by rule and kind, each on its rule's line, with a count and the last hit's time.
    const byCode = () => new Map(vscode.languages.getDiagnostics(rulesUri).map((d) => [String(d.code), d]));
    const diags = await waitFor(() => {
      const m = byCode();
      return m.has('checkout-evar5/expect') && m.has('personal-data/email') && m.has('no-email-in-prop9/expect') ? m : undefined;
    }, { message: 'diagnostics for checkout-evar5, personal-data/email and no-email-in-prop9', timeoutMs: 60_000, intervalMs: 500 });
    const checkout = diags.get('checkout-evar5/expect')!;
    assert.equal(checkout.range.start.line, 3);
    assert.equal(checkout.severity, vscode.DiagnosticSeverity.Error);
    assert.match(checkout.message, /^\d+× Checkout pages set eVar5; last at \d{4}-\d\d-\d\dT[\d:.]+Z: evar5 = \(absent\)$/);
    assert.equal(checkout.source, 'Live Stream rules');
    const email = diags.get('personal-data/email')!;
    assert.equal(email.range.start.line, 1);
    assert.match(email.message, /E-mail address; last at .*: prop9 = jane\.doe@example\.com/);
    assert.equal(diags.get('no-email-in-prop9/expect')!.range.start.line, 4);
    assert.equal(diags.get('no-email-in-prop9/expect')!.severity, vscode.DiagnosticSeverity.Warning);
    // The counts keep going up as hits arrive (throttled redraws).
    const first = Number(/^(\d+)×/.exec(checkout.message)![1]);
    await waitFor(() => Number(/^(\d+)×/.exec(String(byCode().get('checkout-evar5/expect')?.message))?.[1] ?? 0) > first,
      { message: 'the checkout-evar5 count to grow', timeoutMs: 60_000, intervalMs: 500 });

    // The status bar tooltip: rules checked, hits failing, last failure.
    await waitFor(() => /\*\*Tracking rules\*\* \(\.vscode\/livestream-rules\.json\): 3 rules checked, \d+ hits checked, [1-9]\d* failing/.test(a.statusTooltip())
      && /Last failure .*: (checkout-evar5|personal-data|no-email-in-prop9)/.test(a.statusTooltip()),
    { message: `the status bar tooltip to report the rules (${a.statusTooltip().slice(-300)})`, timeoutMs: 10_000 });

    // The Problems panel shows them, with the line.
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await waitFor(async () => (await queryWorkbench('.markers-panel .monaco-list-row')).some((t) => t.includes('Checkout pages set eVar5') && t.includes('Ln 4')),
      { message: 'the Problems panel row for checkout-evar5 on line 4' });

    // The code action on that line.
    const doc = await vscode.workspace.openTextDocument(rulesUri);
    await vscode.window.showTextDocument(doc);
    // The request is cancelled when the diagnostics change under it (they update every second): ask again then.
    let titles: string[] = [];
    const show = await waitFor(async () => {
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', rulesUri, checkout.range, vscode.CodeActionKind.QuickFix.value)
        .then((x) => x, () => [] as vscode.CodeAction[]);
      titles = actions.map((x) => x.title);
      return actions.find((x) => x.title === 'Show matching hits (rule:checkout-evar5/expect)' && x.command);
    }, { message: 'the "Show matching hits" code action', timeoutMs: 20_000, intervalMs: 300 }).catch((e: Error) => { throw new Error(`${e.message}; code actions: ${titles.join(', ')}`); });
    assert.ok(show.command);
    await vscode.commands.executeCommand(show.command.command, ...(show.command.arguments ?? []));
    await waitFor(() => panelTab(), { message: 'the panel tab' });
    await waitFor(async () => (await inputValue('webview', '.filter-input').catch(() => '')) === 'rule:checkout-evar5/expect', { message: 'the filter set by the code action', timeoutMs: 30_000 });
    // The table shows only the failing checkout hits once the filter is applied (next frame).
    let last = '';
    await waitFor(async () => {
      const [pages, marks] = await Promise.all([
        // Recycled row elements stay in the DOM, hidden: only the shown ones count.
        queryWebview('.grid-body [role="row"][aria-rowindex]:not([hidden]) .c-page'), queryWebview('.grid-body [role="row"][aria-rowindex]:not([hidden]) .c-rules'),
      ]);
      last = `${pages.join(' | ')} / ${marks.join(' | ')}`;
      return pages.length > 0 && pages.every((t) => t.startsWith('checkout:')) && marks.length === pages.length && marks.every((t) => /^✗ \d+$/.test(t));
    }, { message: 'only failing checkout hits in the table', timeoutMs: 30_000 }).catch((e: Error) => { throw new Error(`${e.message}; last seen: ${last}`); });

    // Editing the file is picked up (file watcher): a syntax error becomes a diagnostic on its line.
    await vscode.workspace.fs.writeFile(rulesUri, new TextEncoder().encode(RULES.replace('"severity": "warning",', '"severity": "warning"')));
    const syntax = await waitFor(() => vscode.languages.getDiagnostics(rulesUri).find((d) => /JSON syntax/.test(d.message)),
      { message: 'a syntax-error diagnostic', timeoutMs: 20_000, intervalMs: 250 });
    assert.equal(syntax.range.start.line, 4);
  });
});
