import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import { postChecked, type PanelBackend } from './panelBackend';
import { EXPORT_LABELS, type ExportFormat } from '../analytics/exportFormat';
import { Disposable } from '../shared/dispose';
import type { StoredHit } from '../shared/model';
import { buildPanelHtml } from '../shared/panelHtml';
import { PanelRelay } from '../session/panelRelay';
import { systemClock } from '../stream/clock';
import {
  PROTOCOL_VERSION, isHostToWebview, isWebviewToHost, wireHits, type WireHit,
  type HostToWebview, type WebviewToHost,
} from '../shared/protocol';

/** File extensions per format, for the save dialog's filter. */
const EXPORT_EXTENSIONS: Record<ExportFormat, string[]> = { ndjson: ['ndjson', 'jsonl'], json: ['json'], csv: ['csv'] };

/**
 * The hits webview panel. The backend owns the connection and the hit ring
 * buffer; this class only relays: a snapshot when the webview says `ready`,
 * then batched hits, state changes, and the webview's requests back to the backend.
 */
export class HitsPanel extends Disposable {
  static readonly viewType = 'liveStream.hits';
  private static current: HitsPanel | undefined;

  /** Options for both `createWebviewPanel` and a restored panel: scripts on, only dist/webview loadable. */
  static readonly webviewOptions = (extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions => ({
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
    // The webview keeps only UI state (getState/setState) and gets a fresh
    // snapshot when shown again, so there is no reason to keep a hidden page alive.
    retainContextWhenHidden: false,
  });

  static createOrShow(extensionUri: vscode.Uri, backend: PanelBackend, log?: (msg: string) => void): HitsPanel {
    if (HitsPanel.current) {
      HitsPanel.current.panel.reveal();
      return HitsPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(HitsPanel.viewType, 'Live Stream Hits', vscode.ViewColumn.Active, HitsPanel.webviewOptions(extensionUri));
    return new HitsPanel(panel, extensionUri, backend, log);
  }

  /** For `registerWebviewPanelSerializer`: adopt a panel VS Code restored after a reload. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, backend: PanelBackend, log?: (msg: string) => void): HitsPanel {
    HitsPanel.current?.panel.dispose();
    const { enableScripts, localResourceRoots } = HitsPanel.webviewOptions(extensionUri);
    panel.webview.options = { enableScripts, localResourceRoots };
    return new HitsPanel(panel, extensionUri, backend, log);
  }

  /** True between the webview's `ready` and the page going away (hidden panels lose their page). */
  private ready = false;
  private visible: boolean;
  /** Batches hits for the webview: at most one message per 100 ms, bounded in count and bytes, newest kept. */
  private readonly relay: PanelRelay;
  /** Messages that must survive until the page is ready (export results); hits/state are covered by the snapshot. */
  private held: HostToWebview[] = [];
  private exporting = false;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly backend: PanelBackend,
    /** Problems only (invalid messages, failed posts, webview errors): the host logs them as warnings. */
    private readonly log: (msg: string) => void = () => undefined,
  ) {
    super();
    HitsPanel.current = this;
    this.visible = panel.visible;
    this.relay = new PanelRelay({
      clock: systemClock,
      source: { snapshot: () => backend.snapshot(), oldestSeq: () => this.oldestSeq(), maxHits: () => backend.maxHits() },
      post: (msg) => this.post(msg),
    });
    // Set once: reassigning html reloads the page and throws away its UI state.
    panel.webview.html = this.html();

    this.register(panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    this.register(backend.onHits((hits) => this.onHits(hits)));
    this.register(backend.onState((engine) => this.post({ type: 'state', engine, now: Date.now() })));
    this.register(backend.onReset(() => this.sendSnapshot()));
    if (backend.visitor) { const v = backend.visitor; this.register(v.onFollowState(() => this.post(v.followState()))); }
    this.register(panel.onDidChangeViewState(() => this.onViewState()));
    this.register(panel.onDidDispose(() => this.dispose()));
  }

  private html(): string {
    const webview = this.panel.webview;
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const uri = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(root, f)).toString();
    return buildPanelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: uri('main.js'),
      styleUri: uri('style.css'),
      codiconUri: uri('codicon.css'),
    });
  }

  /**
   * Shows the hits matching `filter` (the Problems panel's "Show matching hits", issue 13).
   * A fresh snapshot goes first, so rule results that changed since a hit was sent (an
   * awaited hit that never arrived) are current; the message is checked like the webview will.
   */
  showFilter(filter: string): void {
    const msg: HostToWebview = { type: 'setFilter', filter };
    if (!isHostToWebview(msg)) { this.log(`hits panel: refused to send an invalid filter (${filter.length} characters)`); return; }
    this.sendSnapshot();
    this.post(msg);
  }

  private onViewState(): void {
    const visible = this.panel.visible;
    if (visible === this.visible) return;
    this.visible = visible;
    if (!visible) {
      // retainContextWhenHidden is off: the page is destroyed now and will say
      // `ready` again when shown, which triggers the snapshot. Nothing to send until then.
      this.ready = false;
      this.relay.reset();
    } else if (this.ready) {
      this.sendSnapshot();
    }
  }

  private onHits(hits: readonly StoredHit[]): void {
    if (!this.ready) return; // the snapshot sent on `ready` will contain them
    this.relay.push(hits);
  }

  private sendSnapshot(): void {
    if (!this.ready) return;
    // The snapshot supersedes anything batched so far.
    this.relay.reset();
    const wire = wireHits(this.backend.hits());
    this.send({
      type: 'snapshot', version: PROTOCOL_VERSION, engine: this.backend.snapshot(),
      hits: wire.hits, ...(wire.records ? { records: wire.records } : {}), maxHits: this.backend.maxHits(), myTraffic: this.backend.myTraffic(), now: Date.now(),
    });
    if (this.backend.visitor) this.send(this.backend.visitor.followState());
    const held = this.held;
    this.held = [];
    for (const m of held) this.send(m);
  }

  private post(msg: HostToWebview): void {
    if (!this.ready) {
      if (msg.type === 'exportResult' || msg.type === 'setFilter' || msg.type === 'goldenHit') this.held.push(msg);
      return;
    }
    this.send(msg);
  }

  /** Posts and logs any failure (throw, rejection, or `false`): nothing is lost silently. */
  private send(msg: HostToWebview): void {
    void postChecked(this.panel.webview, msg, describeOutgoing(msg), this.log);
  }

  private oldestSeq(): number | undefined {
    return this.backend.oldestSeq ? this.backend.oldestSeq() : this.backend.hits()[0]?.seq;
  }

  private onMessage(msg: unknown): void {
    if (!isWebviewToHost(msg)) {
      // The page renders hostile text; whatever it sends is validated, never trusted.
      this.log(`hits panel: ignored an invalid message from the webview: ${describe(msg)}`);
      return;
    }
    void this.handle(msg).catch((err: unknown) => this.log(`hits panel: ${msg.type} failed: ${errorText(err)}`));
  }

  private async handle(msg: WebviewToHost): Promise<void> {
    switch (msg.type) {
      case 'ready':
        if (msg.version !== PROTOCOL_VERSION) this.log(`hits panel: webview speaks protocol ${msg.version}, host ${PROTOCOL_VERSION}`);
        this.ready = true;
        this.sendSnapshot();
        return;
      case 'connect': return this.backend.connect();
      case 'connectDemo': return this.backend.connectDemo();
      case 'disconnect': return this.backend.disconnect();
      case 'clear':
        this.backend.clear();
        this.relay.reset();
        this.post({ type: 'cleared' });
        return;
      case 'copyText':
        await vscode.env.clipboard.writeText(msg.text);
        return;
      case 'copyHit': {
        const hit = this.backend.bySeq(msg.seq);
        if (!hit) {
          void vscode.window.showWarningMessage('That hit is no longer kept (the buffer keeps the newest liveStream.maxHits hits).');
          return;
        }
        // The exact record text: ids beyond 2^53 survive only here, not in parsed data.
        await vscode.env.clipboard.writeText(hit.raw);
        return;
      }
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', msg.query ?? 'liveStream');
        return;
      case 'log':
        this.log(`hits webview [${msg.level}]: ${msg.message}`);
        return;
      case 'export':
        return this.export(msg.format, msg.filter);
      case 'follow': case 'unfollow': case 'saveGolden': case 'listGolden': case 'loadGolden':
        // issue 13: src/host/follow.ts
        if (!this.backend.visitor) { this.log(`hits panel: ${msg.type} is not available`); return; }
        return this.backend.visitor.handle(msg, (m) => this.post(m));
    }
  }

  private async export(format: ExportFormat, filterText: string): Promise<void> {
    // Guard from the first click: a second click must not open a second save dialog.
    if (this.exporting) {
      void vscode.window.showInformationMessage('An export is already running.');
      return;
    }
    this.exporting = true;
    try {
      await this.runExport(format, filterText);
    } finally {
      this.exporting = false;
    }
  }

  private async runExport(format: ExportFormat, filterText: string): Promise<void> {
    // Loaded on first export: keeps activation light.
    const [{ compileFilter }, { exportHits }] = await Promise.all([import('../analytics/filter/compileFilter'), import('../analytics/exportHits')]);
    const compiled = compileFilter(filterText, { myTraffic: this.backend.myTraffic(), ruleFailures: (d) => this.backend.ruleFailures?.(d) });
    if (!compiled.ok) {
      const error = `Invalid filter: ${compiled.error.message}`;
      void vscode.window.showErrorMessage(`Export: ${error}`);
      this.post({ type: 'exportResult', outcome: 'error', format, count: 0, error });
      return;
    }
    const stamp = new Date().toISOString().replace(/[:T]/g, '-').replace(/\..*$/, '');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `live-stream-hits-${stamp}.${format}`;
    const target = await vscode.window.showSaveDialog({
      title: 'Export Live Stream hits',
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: { [EXPORT_LABELS[format]]: EXPORT_EXTENSIONS[format] },
      saveLabel: 'Export',
    });
    if (!target) {
      this.post({ type: 'exportResult', outcome: 'cancelled', format, count: 0 });
      return;
    }
    // Take the hits now: the ring buffer keeps moving while the file is written.
    const all = this.backend.hits().slice();
    const filter = compiled.filter;
    let count = 0;
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Exporting hits as ${format.toUpperCase()}`, cancellable: true },
        async (progress, token) => {
          let lastReport = 0;
          function* matching(): Generator<StoredHit> {
            for (const h of all) {
              if (token.isCancellationRequested) return;
              if (filter.isEmpty || filter.test(h.data)) { count++; yield h; }
            }
          }
          const write = await openSink(target);
          try {
            let sinceYield = 0;
            for (const chunk of exportHits(matching(), format)) {
              await write.chunk(chunk);
              if (++sinceYield >= 500) {
                sinceYield = 0;
                // Let the cancel button and the UI breathe during big exports.
                await new Promise<void>((r) => setImmediate(r));
                const pct = (count / Math.max(1, all.length)) * 100;
                progress.report({ message: `${count} hits`, increment: pct - lastReport });
                lastReport = pct;
              }
              if (token.isCancellationRequested) break;
            }
            if (token.isCancellationRequested) { await write.abort(); return 'cancelled' as const; }
            await write.close();
            return 'done' as const;
          } catch (err) {
            await write.abort();
            throw err;
          }
        });
      if (outcome === 'cancelled') {
        this.post({ type: 'exportResult', outcome, format, count: 0 });
        return;
      }
      this.post({ type: 'exportResult', outcome: 'done', format, count, path: target.fsPath || target.toString() });
      void vscode.window.showInformationMessage(`Exported ${count} hit${count === 1 ? '' : 's'} to ${vscode.workspace.asRelativePath(target)}.`);
    } catch (err) {
      const error = errorText(err);
      this.log(`hits panel: export to ${target.toString()} failed: ${error}`);
      void vscode.window.showErrorMessage(`Export failed: ${error}`);
      this.post({ type: 'exportResult', outcome: 'error', format, count, error });
    }
  }

  override dispose(): void {
    if (this.isDisposed) return;
    if (HitsPanel.current === this) HitsPanel.current = undefined;
    this.relay.dispose();
    this.ready = false;
    super.dispose();
    // Safe if already disposed (onDidDispose path).
    this.panel.dispose();
  }
}

/** A short description of an outgoing message for the log (never its content). */
function describeOutgoing(msg: HostToWebview): string {
  if (msg.type === 'hits' || msg.type === 'snapshot') {
    const hits: readonly WireHit[] = msg.hits;
    const range = hits.length ? `, seq ${hits[0]!.seq}–${hits[hits.length - 1]!.seq}` : '';
    return `${msg.type === 'hits' ? 'a batch' : 'a snapshot'} of ${hits.length} hit${hits.length === 1 ? '' : 's'}${range}`;
  }
  return `a ${msg.type} message`;
}

interface Sink { chunk(s: string): Promise<void>; close(): Promise<void>; abort(): Promise<void> }

/** A streaming writer for local files (no whole export in memory); buffered fallback for remote file systems. */
async function openSink(uri: vscode.Uri): Promise<Sink> {
  if (uri.scheme === 'file') {
    const path = uri.fsPath;
    const ws = createWriteStream(path, { encoding: 'utf8' });
    await Promise.race([once(ws, 'open'), once(ws, 'error').then(([e]) => { throw e; })]);
    let failed: Error | undefined;
    ws.on('error', (e) => { failed = e; });
    return {
      async chunk(s) {
        if (failed) throw failed;
        if (!ws.write(s)) await Promise.race([once(ws, 'drain'), once(ws, 'error').then(([e]) => { throw e; })]);
      },
      async close() {
        if (failed) throw failed;
        await new Promise<void>((resolve, reject) => { ws.once('error', reject); ws.end(() => resolve()); });
      },
      async abort() {
        ws.destroy();
        await fsp.rm(path, { force: true }).catch(() => undefined);
      },
    };
  }
  const parts: string[] = [];
  return {
    async chunk(s) { parts.push(s); },
    async close() { await vscode.workspace.fs.writeFile(uri, Buffer.from(parts.join(''), 'utf8')); },
    async abort() { parts.length = 0; },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A short, safe description of a rejected message for the log (never the whole payload). */
function describe(msg: unknown): string {
  if (typeof msg !== 'object' || msg === null) return typeof msg;
  const type = (msg as { type?: unknown }).type;
  return `type=${typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof type}, keys=${Object.keys(msg).slice(0, 10).join(',')}`;
}
