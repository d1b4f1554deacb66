// Export end to end, as a user does it: a filter typed in the hits panel, Export →
// NDJSON in the webview, VS Code's save dialog (in code-server the "simple file
// dialog": a quick input whose value is a path), then the file on disk checked
// against the host's own records.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LiveStreamApi } from '../../src/host/controller';
import type { StoredHit } from '../../src/shared/model';
import { compileFilter } from '../../src/analytics/filter/compileFilter';
import { hitType } from '../../src/analytics/summary';
import {
  activatedApi, clickWebview, disconnectDemo, ensureDemoConnected, EXT_ID, fillWorkbench, inputValue, panelTab, pressWebview, pressWorkbench, queryWebview, queryWorkbench,
  QUICK_INPUT, QUICK_INPUT_BOX, requireHarness, typeWebview, waitFor, waitForWebview,
} from './harness';

// A proper subset of the demo's hits (nearly all of them are demoprod; page views are about 40 %).
const FILTER = 'reportSuite=demoprod type:page';
const FILTER_INPUT = '.filter-input';
// The simple file dialog is a quick input; its path box is the quick input's text box (QUICK_INPUT_BOX).
/** A folder in the export folder, so the dialog's listing shows when it has moved there. */
const MARKER = 'listed-by-the-dialog';

/** Every `liveStream.*` setting as VS Code resolves it in every scope. */
function settingsSnapshot(): string {
  const ext = vscode.extensions.getExtension(EXT_ID)!;
  const keys = Object.keys(ext.packageJSON.contributes.configuration.properties as Record<string, unknown>);
  const all = vscode.workspace.getConfiguration();
  return JSON.stringify(keys.map((k) => [k, all.inspect(k)]));
}

/** What the export writes for one hit: the exact record text on one line (src/analytics/exportHits.ts). */
const recordLine = (h: StoredHit) => h.raw.trim().replace(/\r\n|\r|\n/g, ' ');

describe('export', function () {
  this.timeout(120_000);
  let a: LiveStreamApi;
  let dir: string | undefined;
  let connectedHere = false;
  let openedPanel = false;
  let filterBefore: string | undefined;
  let settingsBefore = '';
  let credentialsBefore = '';

  before(async () => {
    a = await activatedApi();
    settingsBefore = settingsSnapshot();
    credentialsBefore = JSON.stringify(await a.credentials.get() ?? null);
  });

  after(async () => {
    // Leave the window as found: the dialog closed, the panel's filter as it was
    // (or the panel closed when this test opened it), the demo disconnected when
    // this test connected it, and no file behind.
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    if (openedPanel) {
      const tab = panelTab();
      if (tab) await vscode.window.tabGroups.close(tab);
    } else if (filterBefore !== undefined) {
      await pressWebview('Control+A', FILTER_INPUT).catch(() => undefined);
      await (filterBefore ? typeWebview(filterBefore, FILTER_INPUT) : pressWebview('Delete', FILTER_INPUT)).catch(() => undefined);
      await pressWebview('Enter', FILTER_INPUT).catch(() => undefined);
    }
    // Hand the next test a stream it can connect to without a 409.
    if (connectedHere) await disconnectDemo(a);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('Export → NDJSON from the panel writes exactly the filtered hits, with their exact record text', async function () {
    requireHarness(this);
    const svc = a.service;
    const compiled = compileFilter(FILTER, { myTraffic: svc.myTraffic() });
    assert.ok(compiled.ok, 'the test filter compiles');
    const matching = () => svc.hits().filter((h) => compiled.filter.test(h.data));

    // The demo stream, connected (another test may have left it connected, or in a cooldown).
    connectedHere = await ensureDemoConnected(a);
    await waitFor(() => svc.hits().length >= 20 && matching().length >= 5 && svc.hits().length - matching().length >= 5,
      { message: '20 hits, at least 5 matching the filter and 5 not', timeoutMs: 30_000 });

    // The panel, with rows.
    openedPanel = !panelTab();
    await vscode.commands.executeCommand('liveStream.showHits');
    await waitFor(() => panelTab(), { message: 'the panel tab' });
    await waitForWebview('.grid-body [role="row"][aria-rowindex]', { min: 3, timeoutMs: 30_000 });

    // Type the filter; the table shows only demoprod page views once it is applied.
    filterBefore = await inputValue('webview', FILTER_INPUT);
    await pressWebview('Control+A', FILTER_INPUT);
    await typeWebview(FILTER, FILTER_INPUT);
    await pressWebview('Enter', FILTER_INPUT);
    assert.equal(await inputValue('webview', FILTER_INPUT), FILTER);
    await waitFor(async () => {
      const row = '.grid-body [role="row"][aria-rowindex]';
      const [suites, types] = await Promise.all([queryWebview(`${row} .c-suite`), queryWebview(`${row} .c-type`)]);
      return suites.length > 0 && suites.every((t) => t === 'demoprod') && types.length === suites.length && types.every((t) => t === 'page');
    }, { message: 'the table to show only demoprod page views' });
    assert.deepEqual(await queryWebview(`${FILTER_INPUT}[aria-invalid="true"]`), [], 'the filter is valid');

    dir = mkdtempSync(join(os.tmpdir(), 'lsi-export-'));
    const file = join(dir, 'hits.ndjson');
    mkdirSync(join(dir, MARKER));

    // Export → NDJSON through the webview's own menu.
    const before = matching().length;
    const oldestBefore = svc.hits()[0]!.seq;
    await clickWebview('.toolbar button[aria-haspopup="menu"]', 'Export');
    await clickWebview('.menu [role="menuitem"]', 'NDJSON');

    // The save dialog: a quick input titled as the extension asked, prefilled with a path.
    // Wait for its own value first: typing before it is set would be overwritten.
    await waitFor(async () => (await queryWorkbench(`${QUICK_INPUT} .quick-input-title`)).some((t) => t.includes('Export Live Stream hits')),
      { message: 'the save dialog' });
    await waitFor(async () => (await inputValue('workbench', QUICK_INPUT_BOX)).match(/live-stream-hits-[\d-]+\.ndjson$/)?.input,
      { message: 'the save dialog to propose a file name' });
    await fillWorkbench(QUICK_INPUT_BOX, file);
    // The dialog now lists the folder typed; an Enter before that is lost (it
    // applies to the list's first item, "..", a folder: not a file to save). The
    // marker folder says the listing is ours.
    await waitFor(async () => (await queryWorkbench(`${QUICK_INPUT} .quick-input-list .monaco-list-row`)).some((t) => t.startsWith(MARKER)),
      { message: `the save dialog to list ${dir}` });
    await pressWorkbench('Enter', QUICK_INPUT_BOX);

    // Done when the webview got `exportResult` (its toast) and the file ends with a complete line.
    const toast = await waitFor(async () => (await queryWebview('.toast')).find((t) => /^Exported [\d,]+ hits?\.$/.test(t) || /failed|cancelled/.test(t)),
      { message: 'the export result in the panel', timeoutMs: 30_000 });
    assert.match(toast, /^Exported/, toast);
    const text = await waitFor(() => {
      try { const t = readFileSync(file, 'utf8'); return t.endsWith('\n') ? t : undefined; } catch { return undefined; }
    }, { message: `${file} to be complete` });
    const after = matching();
    assert.equal(statSync(file).size, Buffer.byteLength(text), 'the file did not change after completion');
    // The comparisons below rely on the ring buffer only having grown meanwhile
    // (it holds liveStream.maxHits, 5000 by default: minutes of demo traffic).
    assert.equal(svc.hits()[0]!.seq, oldestBefore, 'no hit left the buffer during the export');

    const lines = text.slice(0, -1).split('\n');
    assert.equal(Number(toast.replace(/\D/g, '')), lines.length, 'the panel reports the count written');
    // Every hit matching at the moment of the export: at least those seen before the
    // click, at most those matching now (hits keep arriving meanwhile).
    assert.ok(lines.length >= before && lines.length <= after.length, `${lines.length} lines; ${before} matching before the click, ${after.length} now`);
    console.log(`  exported ${lines.length} hits (${before} matching before the click, ${after.length} after)`);
    for (const [i, line] of lines.entries()) {
      const rec = JSON.parse(line) as { reportSuite?: unknown };
      assert.equal(rec.reportSuite, 'demoprod', `line ${i + 1} is filtered`);
      assert.equal(hitType(rec), 'page', `line ${i + 1} is a page view`);
    }
    // Exactly the host's records of the hits matching at export time, in order…
    assert.deepEqual(lines, after.slice(0, lines.length).map(recordLine));
    // …which left out the others received until then.
    const lastSeq = after[lines.length - 1]!.seq;
    assert.ok(svc.hits().filter((h) => h.seq <= lastSeq).length > lines.length, 'hits not matching the filter were left out');

    // 64-bit ids as the server sent their digits, not via a JS number: three lines'
    // ids, as text, are ids of records the host holds.
    const idOf = (field: string, text: string) => new RegExp(`"${field}":(\\d+)`).exec(text)?.[1];
    for (const line of [lines[0]!, lines[Math.floor(lines.length / 2)]!, lines[lines.length - 1]!]) {
      const low = idOf('hitIdLow', line);
      assert.ok(low, `a hitIdLow in ${line.slice(0, 80)}`);
      assert.ok(svc.hits().some((h) => idOf('hitIdLow', h.raw) === low), `hitIdLow ${low} is the id of a host record`);
    }
    const ids = lines.flatMap((l) => [idOf('hitIdHigh', l), idOf('hitIdLow', l)]).map((d) => BigInt(d ?? 0));
    assert.ok(ids.some((n) => n > 2n ** 53n), 'ids beyond 2^53 among them (else exactness proves little)');

    // Nothing secret moved: no setting changed, the stored credentials are as they were.
    assert.equal(settingsSnapshot(), settingsBefore, 'liveStream settings untouched');
    assert.equal(JSON.stringify(await a.credentials.get() ?? null), credentialsBefore, 'credentials untouched');
    assert.ok(!/authorization|bearer|client_secret|access_token/i.test(text), 'no credential-like text in the export');
  });
});
