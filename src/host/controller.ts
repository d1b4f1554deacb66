import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { Disposable, toDisposable } from '../shared/dispose';
import type { EngineSnapshot, StoredHit } from '../shared/model';
import { parseSettings, RECONNECT_KEYS, settingId, SETTINGS_SECTION } from '../session/settings';
import { StreamService } from '../session/streamService';
import { UserError } from '../stream/errors';
import { formatCountdown } from '../shared/statusView';
import { CredentialStore } from './credentialStore';
import { FollowService } from './follow';
import { HitsPanel } from './hitsPanel';
import { channelLogger } from './log';
import type { PanelBackend } from './panelBackend';
import { RulesController } from './rulesDiagnostics';
import { StatusBarController } from './statusBar';

/** globalState key: per secret kind, the hosts the user confirmed may receive it (per profile, never per workspace). */
const ALLOWED_HOSTS_KEY = 'liveStream.allowedCredentialHosts';

/** `contributes.walkthroughs[0].id` in package.json. */
export const WALKTHROUGH_ID = 'getStarted';

/** What the extension returns from activate(): used by the integration tests. */
export interface LiveStreamApi {
  readonly service: StreamService;
  readonly activationMs: number;
  statusText(): string;
  /** The status bar item's tooltip (Markdown source). */
  statusTooltip(): string;
  readonly credentials: CredentialStore;
}

/**
 * Wires the vscode-free StreamService to VS Code: commands, status bar,
 * settings, secrets, log, the hits panel. Owns nothing of the protocol itself.
 */
export class Controller extends Disposable implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly service: StreamService;
  readonly credentials: CredentialStore;
  readonly status: StatusBarController;
  /** Tracking rules: checks every hit, Problems panel, "Show matching hits" (issue 13). */
  readonly rules: RulesController;
  /** Follow my visitor, golden hits (issue 13). */
  readonly follow: FollowService;
  private readonly hitsEmitter = new vscode.EventEmitter<readonly StoredHit[]>();
  private readonly stateEmitter = new vscode.EventEmitter<EngineSnapshot>();
  private readonly resetEmitter = new vscode.EventEmitter<void>();
  private lastStateKey = '';
  private disposal?: Promise<void>;

  constructor(private readonly context: vscode.ExtensionContext) {
    super();
    this.log = vscode.window.createOutputChannel('Live Stream', { log: true });
    this.credentials = new CredentialStore(context.secrets);
    const logger = channelLogger(this.log);
    const label = `${vscode.workspace.name ?? 'a window without a folder'} (${vscode.env.appName}, pid ${process.pid})`;
    this.service = new StreamService({
      stateDir: context.globalStorageUri.fsPath,
      log: logger,
      holderId: `${process.pid}-${randomBytes(6).toString('hex')}`,
      windowLabel: label,
      settings: () => this.readSettings(),
      credentials: () => this.credentials.get(),
      relayPassword: async () => this.credentials.relayPassword(),
      askTakeover: async (holders) => {
        const names = holders.map((h) => h.label).join(', ');
        const take = await vscode.window.showWarningMessage(
          `Live Stream is already connected to this stream in ${names}. Take over? That window disconnects; this one connects after the reconnect cooldown.`,
          'Take Over',
        );
        return take === 'Take Over';
      },
      notify: (m) => void vscode.window.showInformationMessage(m),
      allowedHosts: (kind) => this.context.globalState.get<Record<string, string[]>>(ALLOWED_HOSTS_KEY, {})[kind] ?? [],
    });
    // `rules` is created below: the first render runs before it exists.
    this.status = new StatusBarController(() => this.service.snapshot(), () => this.rules?.tooltip());
    for (const d of [this.log, this.status, this.hitsEmitter, this.stateEmitter, this.resetEmitter]) this.register(d);
    this.rules = this.register(new RulesController({
      log: this.log,
      hits: () => this.service.hits(),
      myTraffic: () => this.service.myTraffic(),
      onRechecked: () => this.resetEmitter.fire(),
      onStats: () => this.status.render(),
      showFiltered: (filter) => HitsPanel.createOrShow(context.extensionUri, this.backend(), (m) => this.log.warn(m)).showFilter(filter),
    }));

    this.register(toDisposable(this.service.onState((s) => {
      this.status.render(s);
      this.stateEmitter.fire(s);
      void this.updateContext(s);
      const key = `${s.state.kind}:${'code' in s.state ? s.state.code : ''}`;
      if (key !== this.lastStateKey) {
        this.lastStateKey = key;
        this.log.info(`State: ${s.state.kind}${'code' in s.state ? ` (${s.state.code})` : ''}${s.lastError ? `; last error ${s.lastError.code}: ${s.lastError.description}` : ''}`);
      }
    })));
    // Rules first: the results travel with the hits the panel relays.
    this.register(toDisposable(this.service.onHits((h) => { this.rules.check(h); this.hitsEmitter.fire(h); })));
    this.register(toDisposable(this.service.onReset(() => this.resetEmitter.fire())));
    void this.updateContext(this.service.snapshot());
    void this.credentials.has().then((has) => vscode.commands.executeCommand('setContext', 'liveStream.hasCredentials', has));

    this.follow = this.register(new FollowService({ onHits: (l) => this.service.onHits(l), bySeq: (seq) => this.service.bySeq(seq), log: this.log }));
    this.registerCommands();
    this.register(vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChanged(e)));
    this.register(vscode.window.registerWebviewPanelSerializer(HitsPanel.viewType, {
      deserializeWebviewPanel: async (panel) => { HitsPanel.revive(panel, context.extensionUri, this.backend(), (m) => this.log.warn(m)); },
    }));
  }

  /** The seam the hits panel subscribes to. */
  backend(): PanelBackend {
    const s = this.service;
    return {
      snapshot: () => s.snapshot(),
      hits: () => s.hits(),
      maxHits: () => s.maxHits(),
      myTraffic: () => s.myTraffic(),
      onHits: this.hitsEmitter.event,
      onState: this.stateEmitter.event,
      onReset: this.resetEmitter.event,
      bySeq: (seq) => s.bySeq(seq),
      ruleFailures: (d) => this.rules.ruleFailures(d),
      oldestSeq: () => s.oldestSeq(),
      clear: () => s.clear(),
      connect: () => this.run(() => s.connect()),
      connectDemo: () => this.run(() => s.connectDemo()),
      disconnect: () => this.run(() => s.disconnect()),
      visitor: this.follow,
    };
  }

  api(activationMs: number): LiveStreamApi {
    const tooltip = () => { const t = this.status.item.tooltip; return typeof t === 'string' ? t : t?.value ?? ''; };
    return { service: this.service, activationMs, statusText: () => this.status.item.text, statusTooltip: tooltip, credentials: this.credentials };
  }

  /** Parsed once per configuration change (the service reads settings often; problems are logged once). */
  private settingsCache?: ReturnType<typeof parseSettings>;

  private readSettings(): ReturnType<typeof parseSettings> {
    if (!this.settingsCache) {
      const cfg = vscode.workspace.getConfiguration(SETTINGS_SECTION);
      this.settingsCache = parseSettings((k) => cfg.get(k));
      for (const p of this.settingsCache.problems) this.log.warn(p.message);
    }
    return this.settingsCache;
  }

  private registerCommands(): void {
    const reg = (id: string, fn: (...args: unknown[]) => unknown) => this.register(vscode.commands.registerCommand(id, fn));
    reg('liveStream.connect', () => this.run(() => this.service.connect()));
    reg('liveStream.connectDemo', () => this.run(() => this.service.connectDemo()));
    reg('liveStream.disconnect', () => this.run(() => this.service.disconnect()));
    reg('liveStream.connectNow', () => this.connectNow());
    reg('liveStream.showHits', () => { HitsPanel.createOrShow(this.context.extensionUri, this.backend(), (m) => this.log.warn(m)); });
    reg('liveStream.showLog', () => this.log.show(true));
    reg('liveStream.setCredentials', async () => {
      if (await this.credentials.setInteractively()) {
        await vscode.commands.executeCommand('setContext', 'liveStream.hasCredentials', true);
        const go = await vscode.window.showInformationMessage('Live Stream credentials saved in secret storage.', 'Connect');
        if (go === 'Connect') await this.run(() => this.service.connect());
      }
    });
    reg('liveStream.setRelayPassword', async () => {
      if (!(await this.credentials.setRelayPasswordInteractively())) return;
      const go = await vscode.window.showInformationMessage('Team relay password saved in secret storage.', 'Connect');
      if (go === 'Connect') await this.run(async () => { await this.service.disconnect(); await this.service.connect(); });
    });
    reg('liveStream.clearCredentials', async () => {
      await this.credentials.clear();
      await vscode.commands.executeCommand('setContext', 'liveStream.hasCredentials', false);
      void vscode.window.showInformationMessage('Live Stream credentials removed from secret storage.');
    });
    reg('liveStream.statusMenu', () => this.statusMenu());
    reg('liveStream.openWalkthrough', () => vscode.commands.executeCommand('workbench.action.openWalkthrough', `${this.context.extension.id}#${WALKTHROUGH_ID}`, false));
  }

  private async connectNow(): Promise<void> {
    if (this.service.isActive) { this.service.connectNow(); return; }
    await this.run(() => (this.service.isDemo ? this.service.connectDemo({ force: true }) : this.service.connect({ force: true })));
  }

  /** Runs a user action; turns UserError into a message with the action that fixes it. */
  private async run(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (e instanceof UserError && e.action === 'trustHost' && e.host) {
        if (await this.confirmHost(e)) return this.run(fn);
        return;
      }
      if (e instanceof UserError) {
        this.log.warn(e.message);
        const actions = e.action === 'settings' ? ['Open Settings'] : e.action === 'credentials' ? ['Set Credentials', 'Connect to Demo Stream'] : [];
        // Not awaited: the command finishes now; the message's buttons act later.
        void vscode.window.showErrorMessage(`Live Stream: ${e.message}`, ...actions).then((pick) => {
          if (pick === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', e.setting ?? SETTINGS_SECTION);
          if (pick === 'Set Credentials') void vscode.commands.executeCommand('liveStream.setCredentials');
          if (pick === 'Connect to Demo Stream') void vscode.commands.executeCommand('liveStream.connectDemo');
        });
        return;
      }
      this.log.error(`Unexpected error: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`Live Stream: ${(e as Error).message}`);
    }
  }

  /**
   * A secret would go to a host that is not Adobe's: ask, naming the host and
   * where the setting came from. Nothing is sent unless the user picks the
   * button that names the host; the answer is remembered per host and secret.
   * (A notification, not a modal: VS Code refuses modal dialogs under its
   * extension-test driver, and this consent path must be tested for real.)
   */
  private async confirmHost(e: UserError): Promise<boolean> {
    const host = e.host!;
    const setting = e.setting ?? 'liveStream.streamUrl';
    const what = setting === 'liveStream.auth.imsUrl' ? 'client secret' : 'access token';
    const origin = this.settingOrigin(setting);
    this.log.warn(e.message);
    const allow = `Send to ${host}`;
    const pick = await vscode.window.showWarningMessage(
      `Live Stream: send your Adobe ${what} to ${host}? ${setting} points there${origin ? ` (set in ${origin})` : ''}, and it is not an Adobe host: `
        + `whoever runs it could read your report suite's live data. Nothing has been sent.`,
      allow, 'Open Settings',
    );
    if (pick !== allow) {
      if (pick === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', setting);
      else void vscode.window.showErrorMessage(`Live Stream: not connected. ${e.message}`);
      return false;
    }
    const kind = setting === 'liveStream.auth.imsUrl' ? 'clientSecret' : 'token';
    const all = this.context.globalState.get<Record<string, string[]>>(ALLOWED_HOSTS_KEY, {});
    const hosts = all[kind] ?? [];
    if (!hosts.includes(host)) await this.context.globalState.update(ALLOWED_HOSTS_KEY, { ...all, [kind]: [...hosts, host] });
    this.log.info(`You allowed ${host} to receive the ${what}.`);
    return true;
  }

  /** Where the effective value of a setting comes from, for messages ("workspace settings (.vscode/settings.json)"). */
  private settingOrigin(setting: string): string | undefined {
    const i = vscode.workspace.getConfiguration().inspect(setting);
    if (!i) return undefined;
    if (i.workspaceFolderValue !== undefined) return 'a workspace folder\'s .vscode/settings.json';
    if (i.workspaceValue !== undefined) return vscode.workspace.workspaceFile ? 'the workspace file' : "this workspace's .vscode/settings.json";
    if (i.globalValue !== undefined) return 'your user settings';
    return undefined;
  }

  private async statusMenu(): Promise<void> {
    const s = this.service.snapshot();
    const st = s.state;
    type Item = vscode.QuickPickItem & { command: string };
    const items: Item[] = [];
    const wait = st.kind === 'cooldown' ? formatCountdown(st.until - Date.now()) : '';
    if (st.kind === 'cooldown' && st.auto) items.push({ label: '$(debug-continue) Connect Now', description: `skip the ${wait} cooldown (may cause 409)`, command: 'liveStream.connectNow' });
    if (this.service.isActive) items.push({ label: '$(debug-disconnect) Disconnect', command: 'liveStream.disconnect' });
    else {
      items.push({ label: '$(plug) Connect', description: st.kind === 'cooldown' ? `waits ${wait} first` : undefined, command: 'liveStream.connect' });
      items.push({ label: '$(beaker) Connect to Demo Stream', description: 'no credentials needed', command: 'liveStream.connectDemo' });
      if (st.kind === 'cooldown') items.push({ label: '$(debug-continue) Connect Now', description: 'skip the cooldown (may cause 409)', command: 'liveStream.connectNow' });
    }
    items.push({ label: '$(list-flat) Show Hits', command: 'liveStream.showHits' });
    items.push({ label: '$(key) Set Credentials', command: 'liveStream.setCredentials' });
    items.push({ label: '$(output) Show Log', command: 'liveStream.showLog' });
    items.push({ label: '$(gear) Open Settings', command: 'workbench.action.openSettings' });
    const pick = await vscode.window.showQuickPick(items, { title: `Live Stream · ${s.streamUrl || 'not configured'}`, placeHolder: 'What would you like to do?' });
    if (pick) await vscode.commands.executeCommand(pick.command, ...(pick.command === 'workbench.action.openSettings' ? ['@ext:livestream-tools.livestream-inspector'] : []));
  }

  private async onConfigChanged(e: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!e.affectsConfiguration(SETTINGS_SECTION)) return;
    this.settingsCache = undefined;
    const { problems } = this.readSettings();
    if (problems.length) void vscode.window.showWarningMessage(`Live Stream: ${problems[0].message}`, 'Open Settings').then((p) => { if (p) void vscode.commands.executeCommand('workbench.action.openSettings', problems[0].setting); });
    this.service.applySettings();
    const needsReconnect = RECONNECT_KEYS.some((k) => e.affectsConfiguration(settingId(k))) || e.affectsConfiguration('liveStream.reconnectCooldownSeconds') || e.affectsConfiguration('liveStream.autoReconnect');
    if (!needsReconnect || !this.service.isActive || this.service.isDemo) return;
    let where = '';
    if (e.affectsConfiguration('liveStream.streamUrl')) {
      const url = this.readSettings().settings.streamUrl;
      let host = '';
      try { host = new URL(url).host; } catch { /* reported as a settings problem */ }
      const origin = this.settingOrigin('liveStream.streamUrl');
      where = host ? ` The stream URL now points to ${host}${origin ? ` (set in ${origin})` : ''}.` : '';
    }
    const pick = await vscode.window.showInformationMessage(`Live Stream settings changed.${where} Reconnect to apply them? The reconnect waits out the cooldown, as Adobe advises.`, 'Reconnect', 'Later');
    if (pick === 'Reconnect') {
      this.log.info('Reconnecting to apply changed settings (the cooldown applies).');
      await this.run(async () => { await this.service.disconnect(); await this.service.connect(); });
    }
  }

  private async updateContext(s: EngineSnapshot): Promise<void> {
    await vscode.commands.executeCommand('setContext', 'liveStream.active', this.service.isActive);
    await vscode.commands.executeCommand('setContext', 'liveStream.state', s.state.kind);
  }

  /** The same promise for every call: deactivate() and the extension's subscriptions both dispose. */
  override dispose(): Promise<void> {
    this.disposal ??= (async () => {
      // Close cleanly and record the loss time, so a reload within the cooldown waits.
      await this.service.dispose();
      super.dispose();
    })();
    return this.disposal;
  }
}
