import * as vscode from 'vscode';
import { RulesChecker, describeTally, KIND_LABEL, type HitRuleResult, type RuleFailure } from '../analytics/rules/checker';
import { parseRulesFile, RULES_LIMITS, type RulesFileError, type RuleSet, type Severity } from '../analytics/rules/ruleFile';
import type { Rec } from '../analytics/recordAccess';
import { Disposable, toDisposable } from '../shared/dispose';
import type { StoredHit } from '../shared/model';

/** Where a workspace keeps its rules, in order of preference. */
export const RULES_PATHS = ['.vscode/livestream-rules.json', 'livestream-rules.json'] as const;
/** Diagnostics and the status bar are redrawn at most this often while hits arrive. */
const UPDATE_MS = 1000;
const SOURCE = 'Live Stream rules';
/**
 * At most this much of the extension host's thread goes to checking per second, and at most
 * SLICE_MS per batch (one long synchronous run would show as event-loop delay for every other
 * extension). Reading a hit's data for the check also parses it here when the stream's worker
 * delivered it unparsed, and that counts too. At firehose rates the rest of the hits are left
 * unchecked and counted (tooltip, log), never silently: the window's one thread also reads the
 * stream and serves the panel. At ordinary rates (hundreds of hits/s) every hit is checked.
 */
// 5 % of the thread: with the stream worker the rest of a firehose costs this thread about as much (README, Performance).
const CHECK_BUDGET_MS_PER_S = 50;
const SLICE_MS = 4;
/** Kept hits rechecked when the rules change (newest first in importance). */
const RECHECK_MAX = 5000;

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export interface RulesControllerOptions {
  log: vscode.LogOutputChannel;
  /** The kept hits (oldest first), rechecked when the rules change. */
  hits(): readonly StoredHit[];
  myTraffic(): string[];
  /** Kept hits got new results (rules changed): the panel needs a fresh snapshot. */
  onRechecked(): void;
  /** Counts changed: redraw the status bar (its tooltip reads `tooltip()`). */
  onStats(): void;
  /** Opens the hits panel with this filter text. */
  showFiltered(filter: string): void;
}

/**
 * Tracking rules in VS Code (issue 13). Every hit is checked here, in the
 * extension host, as it arrives and before the panel relays it: this is the
 * one place that sees every hit whether or not the panel is open (the relay
 * may leave hits out of a batch at firehose rates), and the Problems panel and
 * the status bar live here. The check is the filter's own compiled terms
 * (`compileFilter`, regexes on RE2) plus bounded detectors, so it costs what
 * the panel's filter costs; the results travel with each hit (`Hit.rules`)
 * and the webview only shows and filters them.
 *
 * The rules file is workspace content: it is size-checked before it is read,
 * parse errors become diagnostics on the bad line, and a broken rule is left
 * out while the others keep running.
 */
export class RulesController extends Disposable {
  private readonly diagnostics: vscode.DiagnosticCollection;
  private checker: RulesChecker;
  private set: RuleSet;
  private file: vscode.Uri | undefined;
  private errors: RulesFileError[] = [];
  private shownVersion = -1;
  private timer: ReturnType<typeof setInterval> | undefined;
  private watchers: vscode.Disposable[] = [];
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  /** Checking time spent in the current one-second window, and hits left unchecked over the budget. */
  private budget = { windowStart: 0, spentMs: 0 };
  private unchecked = 0;
  private uncheckedLogged = 0;

  constructor(private readonly o: RulesControllerOptions) {
    super();
    this.set = parseRulesFile('{}', { builtinsOff: !this.builtinsOn() }).set;
    this.checker = this.newChecker();
    this.diagnostics = this.register(vscode.languages.createDiagnosticCollection('liveStream.rules'));
    this.register(toDisposable(() => { this.stopTimer(); clearTimeout(this.reloadTimer); for (const w of this.watchers) w.dispose(); }));
    this.register(vscode.languages.registerCodeActionsProvider(
      { pattern: '**/livestream-rules.json' },
      { provideCodeActions: (_doc, _range, ctx) => codeActions(ctx.diagnostics) },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ));
    this.register(vscode.commands.registerCommand('liveStream.showRuleMatches', (filter: unknown) => {
      // Arguments can come from anywhere (a command link): only a rule filter of sane length.
      const text = typeof filter === 'string' && filter.length <= 200 && /^(rule:[A-Za-z0-9_.-]+(\/[a-z-]+)?|is:violation)$/.test(filter) ? filter : 'is:violation';
      this.o.showFiltered(text);
    }));
    this.register(vscode.commands.registerCommand('liveStream.openRules', () => this.openRules()));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.watch()));
    this.register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('liveStream.rules') || e.affectsConfiguration('liveStream.myTraffic')) this.scheduleReload();
    }));
    this.watch();
  }

  /** The results of a hit (by its data object), for `is:violation` / `rule:` in the host's export filter. */
  readonly ruleFailures = (d: Rec): readonly RuleFailure[] | undefined => this.results.get(d)?.failed;
  private readonly results = new WeakMap<object, HitRuleResult>();

  /** Checks new hits and attaches the results (`hit.rules`); called before the panel sees them. */
  check(hits: readonly StoredHit[]): void {
    if (this.checker.ruleCount === 0) return;
    const start = performance.now();
    if (start - this.budget.windowStart >= 1000) this.budget = { windowStart: start, spentMs: 0 };
    let i = 0;
    for (; i < hits.length; i++) {
      // Clock reads are cheap but not free: every 16 hits.
      if ((i & 15) === 15) {
        const used = performance.now() - start;
        if (used > SLICE_MS || this.budget.spentMs + used > CHECK_BUDGET_MS_PER_S) break;
      }
      this.checkOne(hits[i]!);
    }
    this.budget.spentMs += performance.now() - start;
    if (i < hits.length) {
      this.unchecked += hits.length - i;
      for (; i < hits.length; i++) hits[i]!.rules = undefined;
      if (Date.now() - this.uncheckedLogged > 10_000) {
        this.uncheckedLogged = Date.now();
        this.o.log.warn(`Tracking rules: over the checking budget (${CHECK_BUDGET_MS_PER_S} ms per second, ${SLICE_MS} ms per batch) at this hit rate; ${this.unchecked} hits left unchecked so far.`);
      }
    }
    this.startTimer();
  }

  private checkOne(h: StoredHit): void {
    // A placeholder keeps only top-level scalars: checking it would report what it lacks for display, not in the hit.
    if (h.omitted) { h.rules = undefined; return; }
    try {
      const r = this.checker.check(h.data);
      h.rules = r;
      this.results.set(h.data, r);
    } catch (e) {
      // The checker does not throw on hostile data; if it ever did, one hit must not stop the stream.
      this.o.log.warn(`Tracking rules: checking hit ${h.seq} failed: ${(e as Error).message}`);
    }
  }

  /** Markdown for the status bar tooltip, or undefined without rules. */
  tooltip(): string | undefined {
    if (this.checker.ruleCount === 0 && !this.file) return undefined;
    const s = this.checker.stats;
    // Names come from a workspace file and fields from hits: escaped, never Markdown.
    const where = this.file ? escapeMarkdown(vscode.workspace.asRelativePath(this.file)) : 'built-in checks only';
    const lines = [`**Tracking rules** (${where}): ${this.checker.ruleCount} rules checked, ${s.hitsChecked} hits checked, ${s.hitsFailing} failing`];
    if (this.errors.length) lines.push(`${this.errors.length} error${this.errors.length === 1 ? '' : 's'} in the rules file (see Problems)`);
    if (s.lastFailure) {
      const f = s.lastFailure;
      lines.push(`Last failure ${new Date(f.at).toLocaleTimeString()}: ${escapeMarkdown(`${f.rule}${f.kind !== 'expect' ? ` (${KIND_LABEL[f.kind] ?? f.kind})` : ''}${f.field ? `, ${f.field}` : ''}`)}`);
    }
    if (s.pending) lines.push(`${s.pending} expected hit${s.pending === 1 ? '' : 's'} awaited`);
    if (this.unchecked) lines.push(`${this.unchecked} hits not checked (over the checking budget at this rate)`);
    return lines.join('  \n');
  }

  /** Finds the rules file of the first workspace folder that has one and watches both places. */
  private watch(): void {
    for (const w of this.watchers.splice(0)) w.dispose();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, `{${RULES_PATHS.join(',')}}`));
      w.onDidCreate(() => this.scheduleReload());
      w.onDidChange(() => this.scheduleReload());
      w.onDidDelete(() => this.scheduleReload());
      this.watchers.push(w);
    }
    this.scheduleReload(0);
  }

  private scheduleReload(ms = 300): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => { void this.reload().catch((e: unknown) => this.o.log.warn(`Tracking rules: ${(e as Error).message}`)); }, ms);
  }

  private async findFile(): Promise<vscode.Uri | undefined> {
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      for (const p of RULES_PATHS) {
        const uri = vscode.Uri.joinPath(folder.uri, p);
        try {
          const st = await vscode.workspace.fs.stat(uri);
          if (st.type & vscode.FileType.File) return uri;
        } catch { /* not there */ }
      }
    }
    return undefined;
  }

  private async reload(): Promise<void> {
    if (this.isDisposed) return;
    const file = await this.findFile();
    let text = '{}';
    this.errors = [];
    if (file) {
      try {
        const st = await vscode.workspace.fs.stat(file);
        text = st.size > RULES_LIMITS.fileBytes ? ' '.repeat(RULES_LIMITS.fileBytes + 1) : new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
      } catch (e) {
        this.o.log.warn(`Tracking rules: cannot read ${file.toString()}: ${(e as Error).message}`);
      }
    }
    const parsed = parseRulesFile(text, { myTraffic: this.o.myTraffic(), builtinsOff: !this.builtinsOn() });
    this.file = file;
    this.errors = parsed.errors;
    this.set = parsed.set;
    this.checker = this.newChecker();
    this.unchecked = 0;
    this.o.log.info(`Tracking rules: ${file ? vscode.workspace.asRelativePath(file) : 'no rules file'}: ${parsed.set.rules.length} rules, ${parsed.set.builtins.length} built-in checks${parsed.errors.length ? `, ${parsed.errors.length} errors` : ''}.`);
    // Recheck what is kept, so the panel and the Problems panel match the rules as saved: the
    // newest RECHECK_MAX only (a saved file must not freeze the window for 100 000 hits).
    const kept = this.o.hits();
    const from = Math.max(0, kept.length - RECHECK_MAX);
    for (let i = 0; i < kept.length; i++) {
      const h = kept[i]!;
      if (i >= from && this.checker.ruleCount) this.checkOne(h); else h.rules = undefined;
    }
    this.shownVersion = -1;
    this.update();
    this.o.onRechecked();
    if (this.checker.ruleCount) this.startTimer();
  }

  private newChecker(): RulesChecker {
    return new RulesChecker(this.set, { clock: { now: () => Date.now() } });
  }

  private builtinsOn(): boolean {
    return vscode.workspace.getConfiguration('liveStream').get<boolean>('rules.builtins', true) !== false;
  }

  private startTimer(): void {
    this.timer ??= setInterval(() => this.update(), UPDATE_MS);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Expires awaited hits and redraws diagnostics and the status bar if anything changed (at most once a second). */
  private update(): void {
    if (this.isDisposed) return;
    this.checker.expire();
    if (this.checker.version === this.shownVersion) return;
    this.shownVersion = this.checker.version;
    this.o.onStats();
    if (!this.file) { this.diagnostics.clear(); return; }
    const diags: vscode.Diagnostic[] = [];
    for (const e of this.errors) {
      const d = new vscode.Diagnostic(new vscode.Range(e.line, e.column, e.line, e.column + Math.max(1, e.length)), e.message, vscode.DiagnosticSeverity.Error);
      d.source = SOURCE;
      diags.push(d);
    }
    const within = new Map(this.set.rules.map((r) => [r.id, r.withinMs]));
    for (const t of this.checker.tallies()) {
      const d = new vscode.Diagnostic(new vscode.Range(t.at.line, t.at.column, t.at.line, t.at.column + Math.max(1, t.at.length)), describeTally(t, within.get(t.rule)), SEVERITY[t.severity]);
      d.source = SOURCE;
      d.code = `${t.rule}/${t.kind}`;
      diags.push(d);
    }
    this.diagnostics.set(this.file, diags);
  }

  /** Opens the rules file, or creates `.vscode/livestream-rules.json` with an example. */
  private async openRules(): Promise<void> {
    const existing = await this.findFile();
    if (existing) { await vscode.window.showTextDocument(existing); return; }
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) { void vscode.window.showWarningMessage('Live Stream: open a folder first: tracking rules live in the workspace (.vscode/livestream-rules.json).'); return; }
    const uri = vscode.Uri.joinPath(folder.uri, RULES_PATHS[0]);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(EXAMPLE_RULES));
    await vscode.window.showTextDocument(uri);
  }
}

/** "Show matching hits" for each rule diagnostic (its code is `<rule>/<kind>`). */
export function codeActions(diagnostics: readonly vscode.Diagnostic[]): vscode.CodeAction[] {
  const out: vscode.CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.source !== SOURCE || typeof d.code !== 'string' || !d.code.includes('/')) continue;
    const filter = `rule:${d.code}`;
    const a = new vscode.CodeAction(`Show matching hits (${filter})`, vscode.CodeActionKind.QuickFix);
    a.command = { command: 'liveStream.showRuleMatches', title: 'Show matching hits', arguments: [filter] };
    a.diagnostics = [d];
    out.push(a);
  }
  return out;
}

function escapeMarkdown(s: string): string {
  return s.slice(0, 300).replace(/[\\`*_{}[\]()#+!|<>~&]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ');
}

export const EXAMPLE_RULES = `{
  // Built-in checks: true, false or a severity ("error", "warning", "info").
  "builtins": { "personalData": "error", "evarLength": "warning", "eventValues": "warning", "unknownFields": "info" },
  "rules": [
    {
      "id": "checkout-evar5",
      "when": "pageName~/^checkout:/ is:page",
      "expect": "has:evar5",
      "severity": "error",
      "message": "Checkout pages must set eVar5 (checkout step)"
    },
    {
      "id": "purchase-after-confirmation",
      "when": "pageName=checkout:confirmation",
      "expect": "purchase>0 products.revenue>0",
      "within": "2m",
      "severity": "error",
      "message": "A purchase with revenue follows the confirmation page"
    }
  ]
}
`;
