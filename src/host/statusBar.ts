import * as vscode from 'vscode';
import type { EngineSnapshot } from '../shared/model';
import { statusView, TOOLTIP_COMMANDS } from '../shared/statusView';

/** Applies the core's pure statusView(state) to one status bar item; ticks for the countdown and rate. */
export class StatusBarController implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private timer?: ReturnType<typeof setInterval>;
  private last?: EngineSnapshot;

  constructor(private readonly snapshot: () => EngineSnapshot) {
    // An id and a name, so a user can hide it from the status bar's context menu.
    this.item = vscode.window.createStatusBarItem('liveStream.status', vscode.StatusBarAlignment.Left, 100);
    this.item.name = 'Live Stream';
    this.item.command = 'liveStream.statusMenu';
    this.render(snapshot());
    this.item.show();
  }

  render(s: EngineSnapshot = this.snapshot()): void {
    this.last = s;
    const v = statusView(s, Date.now());
    this.item.text = v.text;
    this.item.accessibilityInformation = { label: v.ariaLabel, role: 'button' };
    const md = new vscode.MarkdownString(v.tooltip, true);
    md.isTrusted = { enabledCommands: [...TOOLTIP_COMMANDS] };
    this.item.tooltip = md;
    this.item.backgroundColor = v.background ? new vscode.ThemeColor(v.background) : undefined;
    // Tick only while something on it changes by itself (rate, countdown).
    const live = s.state.kind === 'connected' || s.state.kind === 'cooldown';
    if (live && !this.timer) this.timer = setInterval(() => this.render(), 1000);
    if (!live && this.timer) { clearInterval(this.timer); this.timer = undefined; }
  }

  get current(): EngineSnapshot | undefined { return this.last; }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.item.dispose();
  }
}
