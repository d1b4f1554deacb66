import * as vscode from 'vscode';
import { Disposable, toDisposable } from '../shared/dispose';
import type { EngineSnapshot } from '../shared/model';
import { statusView, TOOLTIP_COMMANDS } from '../shared/statusView';

/** Applies the core's pure statusView(state) to one status bar item; ticks for the countdown and rate. */
export class StatusBarController extends Disposable implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private timer?: ReturnType<typeof setInterval>;
  private last?: EngineSnapshot;

  /** `extraTooltip`: more Markdown under the engine's tooltip (the tracking rules' counts, issue 13). */
  constructor(private readonly snapshot: () => EngineSnapshot, private readonly extraTooltip: () => string | undefined = () => undefined) {
    super();
    this.register(toDisposable(() => this.tick(false)));
    // An id and a name, so a user can hide it from the status bar's context menu.
    this.item = this.register(vscode.window.createStatusBarItem('liveStream.status', vscode.StatusBarAlignment.Left, 100));
    this.item.name = 'Live Stream';
    this.item.command = 'liveStream.statusMenu';
    this.render(snapshot());
    this.item.show();
  }

  render(s: EngineSnapshot = this.snapshot()): void {
    if (this.isDisposed) return;
    this.last = s;
    const v = statusView(s, Date.now());
    this.item.text = v.text;
    this.item.accessibilityInformation = { label: v.ariaLabel, role: 'button' };
    const extra = this.extraTooltip();
    const md = new vscode.MarkdownString(extra ? `${v.tooltip}\n\n---\n\n${extra}` : v.tooltip, true);
    md.isTrusted = { enabledCommands: [...TOOLTIP_COMMANDS] };
    this.item.tooltip = md;
    this.item.backgroundColor = v.background ? new vscode.ThemeColor(v.background) : undefined;
    // Tick only while something on it changes by itself (rate, countdown).
    this.tick(s.state.kind === 'connected' || s.state.kind === 'cooldown');
  }

  private tick(live: boolean): void {
    if (live && !this.timer) this.timer = setInterval(() => this.render(), 1000);
    if (!live && this.timer) { clearInterval(this.timer); this.timer = undefined; }
  }

  get current(): EngineSnapshot | undefined { return this.last; }
}
