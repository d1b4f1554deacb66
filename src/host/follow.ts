import * as vscode from 'vscode';
import { summarize } from '../analytics/summary';
import { isFollowableId, MAX_FOLLOWED, shortId } from '../analytics/visitorIds';
import { Disposable, toDisposable } from '../shared/dispose';
import type { StoredHit } from '../shared/model';
import type { FollowStateMessage, HostToWebview, WebviewToHost } from '../shared/protocol';
import { parseSettings, SETTINGS_SECTION } from '../session/settings';
import { GOLDEN_DIR, GoldenError, goldenFileName, isGoldenName, listGolden, readGolden, saveGolden } from './golden';
import { FollowWatch, inert, lagText } from './followWatch';

/** The panel messages this module answers (issue 13). */
export type VisitorMessage = Extract<WebviewToHost, { type: 'follow' | 'unfollow' | 'saveGolden' | 'listGolden' | 'loadGolden' }>;

/** What the hits panel needs from "follow my visitor" and golden hits (see `PanelBackend.visitor`). */
export interface VisitorBackend {
  followState(): FollowStateMessage;
  /** The followed set or the waiting state changed: post `followState()`. */
  readonly onFollowState: vscode.Event<void>;
  handle(msg: VisitorMessage, post: (m: HostToWebview) => void): Promise<void>;
}

export interface FollowDeps {
  onHits(l: (hits: StoredHit[]) => void): () => void;
  bySeq(seq: number): StoredHit | undefined;
  log: vscode.LogOutputChannel;
}

const KEY = 'myTraffic';

/**
 * "Follow this visitor" and golden hits, in the extension host.
 *
 * The followed set **is** `liveStream.myTraffic`: `is:mine`, export and the
 * Settings UI already use it, so there is one list the user can see and edit,
 * not a second hidden one in workspace state. Following writes it where its
 * value already comes from (a workspace that set it keeps it there), otherwise
 * to the user settings: a visitor id is personal data and must not land in a
 * `.vscode/settings.json` that gets committed.
 */
export class FollowService extends Disposable implements VisitorBackend {
  readonly watch = new FollowWatch(() => Date.now());
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onFollowState = this.changed.event;

  constructor(private readonly deps: FollowDeps) {
    super();
    this.register(this.changed);
    this.watch.setEntries(this.entries());
    this.register(toDisposable(deps.onHits((hits) => this.onHits(hits))));
    this.register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(`${SETTINGS_SECTION}.${KEY}`)) return;
      this.watch.setEntries(this.entries());
      this.changed.fire();
    }));
    const reg = (id: string, fn: (...args: unknown[]) => unknown) => this.register(vscode.commands.registerCommand(id, fn));
    reg('liveStream.followVisitor', (id?: unknown) => (typeof id === 'string' ? this.follow(id) : this.askFollow()));
    reg('liveStream.unfollowVisitor', (id?: unknown) => (typeof id === 'string' ? this.unfollow(id) : this.manage()));
    reg('liveStream.manageFollowed', () => this.manage());
  }

  /** The followed entries, through the one settings parser. */
  entries(): string[] {
    const cfg = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    return parseSettings((k) => cfg.get(k)).settings.myTraffic;
  }

  followState(): FollowStateMessage {
    const since = this.watch.since;
    return since === undefined ? { type: 'followState', entries: this.entries() } : { type: 'followState', entries: this.entries(), since };
  }

  /** Where `liveStream.myTraffic` is set now; the user settings when nowhere. */
  private target(): vscode.ConfigurationTarget {
    const i = vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect<string[]>(KEY);
    if (i?.workspaceFolderValue !== undefined) return vscode.ConfigurationTarget.WorkspaceFolder;
    if (i?.workspaceValue !== undefined) return vscode.ConfigurationTarget.Workspace;
    return vscode.ConfigurationTarget.Global;
  }

  async follow(id: string): Promise<void> {
    if (!isFollowableId(id)) {
      void vscode.window.showErrorMessage('Live Stream: that is not a visitor id that can be followed (one line, at most 200 characters).');
      return;
    }
    const list = this.entries();
    if (list.includes(id)) {
      this.watch.setEntries(list, id);
      this.changed.fire();
      return;
    }
    if (list.length >= MAX_FOLLOWED) {
      void vscode.window.showErrorMessage(`Live Stream: you follow ${list.length} visitors already (at most ${MAX_FOLLOWED}). Unfollow some first.`, 'Manage Followed Visitors')
        .then((p) => { if (p) void this.manage(); });
      return;
    }
    const next = [...list, id];
    await vscode.workspace.getConfiguration(SETTINGS_SECTION).update(KEY, next, this.target());
    // Set here too: the configuration event may come later than the panel's next message.
    this.watch.setEntries(next, id);
    this.deps.log.info(`Following visitor ${shortId(id)} (liveStream.myTraffic).`);
    this.changed.fire();
  }

  async unfollow(id: string): Promise<void> {
    const cfg = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const i = cfg.inspect<string[]>(KEY);
    // Removed from every scope that lists it, or the effective list would still hold it.
    const scopes: [string[] | undefined, vscode.ConfigurationTarget][] = [
      [i?.workspaceFolderValue, vscode.ConfigurationTarget.WorkspaceFolder],
      [i?.workspaceValue, vscode.ConfigurationTarget.Workspace],
      [i?.globalValue, vscode.ConfigurationTarget.Global],
    ];
    for (const [value, target] of scopes) {
      if (Array.isArray(value) && value.includes(id)) await cfg.update(KEY, value.filter((v) => v !== id), target);
    }
    this.watch.setEntries(this.entries());
    this.deps.log.info(`Stopped following visitor ${shortId(id)}.`);
    this.changed.fire();
  }

  private async askFollow(): Promise<void> {
    const id = await vscode.window.showInputBox({
      title: 'Follow a visitor',
      prompt: 'An ECID (38 digits), visitor id (visIdHigh:visIdLow), custom visitor id or IP address. Easier: select a hit in the hits panel and press F.',
      validateInput: (v) => (isFollowableId(v.trim()) ? undefined : 'One line, at most 200 characters.'),
    });
    if (id) await this.follow(id.trim());
  }

  /** The palette's "Manage Followed Visitors": uncheck to unfollow, or add one. */
  private async manage(): Promise<void> {
    const list = this.entries();
    if (list.length === 0) {
      // Not awaited: the command finishes now; the message's buttons act later.
      void vscode.window.showInformationMessage('Live Stream: you follow no visitor yet. Select a hit in the hits panel and press F (or use “Follow this visitor” in its details).', 'Follow a Visitor Id…', 'Show Hits')
        .then((pick) => {
          if (pick === 'Show Hits') void vscode.commands.executeCommand('liveStream.showHits');
          else if (pick) void this.askFollow();
        });
      return;
    }
    type Item = vscode.QuickPickItem & { id: string };
    const items: Item[] = list.map((id) => ({ label: id, id, picked: true }));
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Followed visitors (liveStream.myTraffic)', placeHolder: 'Uncheck the visitors to stop following, then press Enter', canPickMany: true,
    });
    if (!picked) return;
    const keep = new Set(picked.map((p) => p.id));
    for (const id of list) if (!keep.has(id)) await this.unfollow(id);
  }

  private onHits(hits: readonly StoredHit[]): void {
    const wasWaiting = this.watch.since !== undefined;
    const n = this.watch.observe(hits);
    if (wasWaiting && this.watch.since === undefined) this.changed.fire();
    if (!n) return;
    const sum = summarize(n.hit.data);
    const page = sum.pageName ? ` “${inert(sum.pageName.slice(0, 80))}”` : '';
    const lag = n.lagMs === undefined ? '' : `, ${lagText(n.lagMs)} after it was sent`;
    const which = n.afterFollow ? 'Your hit arrived' : 'Your followed visitor is back';
    const text = `Live Stream: ${which}: ${inert(shortId(n.entry))}${page}${lag}.`;
    this.deps.log.info(text);
    void vscode.window.showInformationMessage(text, 'Show Hits', 'Unfollow').then((pick) => {
      if (pick === 'Show Hits') void vscode.commands.executeCommand('liveStream.showHits');
      if (pick === 'Unfollow') void this.unfollow(n.entry);
    });
  }

  // ------------------------------------------------------------ panel messages

  async handle(msg: VisitorMessage, post: (m: HostToWebview) => void): Promise<void> {
    switch (msg.type) {
      case 'follow': return this.follow(msg.id);
      case 'unfollow': return this.unfollow(msg.id);
      case 'saveGolden': return this.saveGolden(msg.seq, post);
      case 'listGolden': return this.postList(post);
      case 'loadGolden': return this.load(msg.name, post);
    }
  }

  /** The first workspace folder on disk; golden hits live in the repository. */
  private root(): string | undefined {
    return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
  }

  private noRoot(): string {
    return `Golden hits are kept in the workspace (${GOLDEN_DIR}/): open a folder first.`;
  }

  private async postList(post: (m: HostToWebview) => void): Promise<void> {
    const root = this.root();
    if (!root) { post({ type: 'goldenList', names: [], skipped: 0, error: this.noRoot() }); return; }
    try {
      const { names, skipped } = await listGolden(root);
      post({ type: 'goldenList', names, skipped });
    } catch (e) {
      post({ type: 'goldenList', names: [], skipped: 0, error: `Cannot list ${GOLDEN_DIR}: ${(e as Error).message}` });
    }
  }

  private async load(name: string, post: (m: HostToWebview) => void): Promise<void> {
    const root = this.root();
    if (!root) { post({ type: 'goldenHit', name, error: this.noRoot() }); return; }
    try {
      post({ type: 'goldenHit', name, data: await readGolden(root, name) });
    } catch (e) {
      const error = e instanceof GoldenError ? e.message : `${name} cannot be read: ${(e as Error).message}`;
      this.deps.log.warn(`Golden hit: ${error}`);
      post({ type: 'goldenHit', name, error });
    }
  }

  private async saveGolden(seq: number, post: (m: HostToWebview) => void): Promise<void> {
    const hit = this.deps.bySeq(seq);
    if (!hit) {
      void vscode.window.showWarningMessage('That hit is no longer kept (the buffer keeps the newest liveStream.maxHits hits).');
      return;
    }
    const root = this.root();
    if (!root) { void vscode.window.showErrorMessage(`Live Stream: ${this.noRoot()}`); return; }
    const existing = new Set((await listGolden(root).catch(() => ({ names: [] as string[] }))).names);
    const page = summarize(hit.data).pageName;
    let suggestion = goldenFileName(page || 'golden-hit');
    for (let i = 2; existing.has(suggestion) && i < 1000; i++) suggestion = goldenFileName(`${page || 'golden-hit'}-${i}`);
    const name = await vscode.window.showInputBox({
      title: 'Save as golden hit',
      prompt: `File name in ${GOLDEN_DIR}/ (the hit's exact record text is written there; commit it to share it)`,
      value: suggestion,
      valueSelection: [0, suggestion.length - '.json'.length],
      validateInput: (v) => (!isGoldenName(v) ? 'Letters, digits, “.”, “_” and “-”, ending in .json' : existing.has(v) ? `${v} already exists` : undefined),
    });
    if (!name) return;
    try {
      // The exact text as received: ids beyond 2^53 keep every digit.
      await saveGolden(root, name, hit.raw);
    } catch (e) {
      void vscode.window.showErrorMessage(`Live Stream: could not save the golden hit: ${(e as Error).message}`);
      return;
    }
    this.deps.log.info(`Saved golden hit ${GOLDEN_DIR}/${name}.`);
    await this.postList(post);
    void vscode.window.showInformationMessage(`Saved golden hit ${GOLDEN_DIR}/${name}.`, 'Open File').then((p) => {
      if (p) void vscode.window.showTextDocument(vscode.Uri.joinPath(vscode.Uri.file(root), GOLDEN_DIR, name));
    });
  }
}

