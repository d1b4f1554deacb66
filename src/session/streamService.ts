import { join } from 'node:path';
import { systemClock, withLongTimers, type Clock, type TimerHandle } from '../stream/clock';
import { ConnectionLease, type HolderInfo } from './connectionLease';
import { FileCooldownStore } from '../stream/cooldownStore';
import { HitStore, MAX_STORED_RECORD_BYTES, type HitStoreOptions } from './hitStore';
import { LoadMonitor, type LoadSample } from './loadMonitor';
import type { EngineOptions, LiveStreamEngine } from '../stream/liveStreamEngine';
import { SHARED_BATCH_BUDGET_BYTES } from '../stream/sharedBatches';
import { escapeControls } from '../shared/escapeControls';
import { shouldLog, type Logger } from '../stream/logger';
import { Disposable, disposeAll, toDisposable, type IDisposable } from '../shared/dispose';
import type { EngineSnapshot, StoredHit } from '../shared/model';
import type { DemoServer } from './demoServerHandle';
import type { HitSource } from './hitSource';
import { IMS_DEFAULTS, RECONNECT_KEYS, settingId, type Settings, type SettingsProblem } from './settings';
import { assertTrustedFor } from '../stream/credentialHosts';
import { ConfigError, UntrustedHostError, UserError, type SecretKind } from '../stream/errors';
import { buildStreamUrl, streamKey, type StreamOptions } from '../stream/streamConfig';
import type { TokenProvider } from '../stream/tokens';

/** Loaded on first connect (see connectionRuntime.ts). */
const runtime = () => import('./connectionRuntime');

/** Credentials as the host's secret storage returns them. */
export type Credentials =
  | { kind: 'accessToken'; token: string }
  | { kind: 'clientCredentials'; clientId: string; clientSecret: string };

export interface ServiceDeps {
  /** Folder shared by all windows of the profile (VS Code global storage). */
  stateDir: string;
  log: Logger;
  clock?: Clock;
  /** Unique per window/extension host. */
  holderId: string;
  /** Shown to other windows ("held by <label>"). */
  windowLabel: string;
  settings(): { settings: Settings; problems: SettingsProblem[] };
  credentials(): Promise<Credentials | undefined>;
  /** Another window holds the stream: resolve true to take it over. */
  askTakeover?(holders: HolderInfo[]): Promise<boolean>;
  /** Hosts the user allowed to receive this secret by confirming (remembered per host), besides liveStream.trustedHosts. */
  allowedHosts?(kind: SecretKind): readonly string[];
  /** Tell the user something happened without them asking (a takeover by another window). */
  notify?(message: string): void;
  leaseTtlMs?: number;
  /** Engine overrides for tests (e.g. a dispatcher). */
  engineOverrides?: Partial<EngineOptions>;
  /** The team relay's Redis password (secret storage), for `liveStream.source: relay`. */
  relayPassword?(): Promise<string | undefined>;
  /** Options for the embedded demo server. */
  demo?: { rate?: number; ghostSeconds?: number };
  /** Hit store limits for tests (byte budget, per-record limit); defaults in hitStore.ts. */
  storeLimits?: HitStoreOptions;
  /** For tests: measures the thread's load instead of the real event loop (see loadMonitor.ts). */
  loadSampler?: () => LoadSample;
}

type Listener<T> = (v: T) => void;

/**
 * The extension-host service without VS Code: owns the connection (one engine
 * per stream configuration, so de-duplication survives reconnects), the lease
 * shared with other windows, the shared cooldown clock, the hit ring buffer,
 * and the embedded demo stream. The host layer adapts it to commands, the
 * status bar and the panel.
 */
export class StreamService extends Disposable {
  private readonly clock: Clock;
  private readonly store: HitStore;
  private engine?: LiveStreamEngine;
  /** The current engine's listeners: removed before it is disposed, so nothing it does reaches us after a switch. */
  private readonly engineSubs: IDisposable[] = [];
  private engineKey = '';
  private lease?: ConnectionLease;
  private run?: Promise<void>;
  private demo?: DemoServer;
  private demoStarting?: Promise<DemoServer>;
  private mode: 'stream' | 'demo' | 'relay' = 'stream';
  /** The team relay viewer (liveStream.source: relay), kept across disconnects so it resumes from its last id. */
  private source?: HitSource;
  private sourceKey = '';
  private readonly sourceSubs: IDisposable[] = [];
  private readonly stateL = new Set<Listener<EngineSnapshot>>();
  private readonly hitsL = new Set<Listener<StoredHit[]>>();
  private readonly resetL = new Set<Listener<void>>();
  private afterStopUntil = 0;
  private afterStopTimer?: TimerHandle;
  private byteCapLogs = 0;
  /**
   * Receipt numbers for the store, the panel and its messages. Each engine or relay viewer counts from 1,
   * and the store outlives them: numbered here, a hit still on screen from the previous source can never
   * share its number with a new one (Follow or Save as golden would act on the wrong hit).
   */
  private seq = 0;
  private disposal?: Promise<void>;
  /** Whether this thread keeps up with the stream (runs while an engine runs). */
  private readonly load: LoadMonitor;

  constructor(private readonly deps: ServiceDeps) {
    super();
    // The after-stop countdown may be as long as any cooldown: timers beyond 24.8 days are chained.
    this.clock = withLongTimers(deps.clock ?? systemClock);
    this.store = new HitStore(deps.settings().settings.maxHits, deps.storeLimits);
    this.register(toDisposable(() => this.clock.clearTimeout(this.afterStopTimer)));
    this.load = new LoadMonitor({ clock: this.clock, sampler: deps.loadSampler, heldBackMs: () => this.engine?.heldBackMs() ?? 0, onChange: (behind) => {
      if (behind) this.deps.log.warn('Falling behind: this window cannot keep up with the stream (its thread or the stream worker is busy nearly all the time); hits arrive late and the server may drop some.');
      else this.deps.log.info('Caught up with the stream again.');
      this.emitState();
    } });
    this.register(toDisposable(() => this.load.stop()));
  }

  onState(l: Listener<EngineSnapshot>): () => void { this.stateL.add(l); return () => this.stateL.delete(l); }
  onHits(l: Listener<StoredHit[]>): () => void { this.hitsL.add(l); return () => this.hitsL.delete(l); }
  onReset(l: Listener<void>): () => void { this.resetL.add(l); return () => this.resetL.delete(l); }

  get isDemo(): boolean { return this.mode === 'demo'; }
  get demoServer(): DemoServer | undefined { return this.demo; }
  /** True while connecting, connected or waiting to reconnect. */
  get isActive(): boolean { return !!this.run; }

  hits(): readonly StoredHit[] { return this.store.toArray(); }
  bySeq(seq: number): StoredHit | undefined { return this.store.bySeq(seq); }
  maxHits(): number { return this.store.capacity; }
  /** Seq of the oldest kept hit: the panel drops older rows (the byte budget may keep fewer than maxHits). */
  oldestSeq(): number | undefined { return this.store.oldestSeq; }
  myTraffic(): string[] { return this.deps.settings().settings.myTraffic; }

  clear(): void {
    this.store.clear();
    this.emitReset();
  }

  /** Applies settings that need no reconnect (the buffer size). */
  applySettings(): void {
    const { maxHits } = this.deps.settings().settings;
    if (maxHits !== this.store.capacity) {
      this.store.resize(maxHits);
      this.emitReset();
    }
  }

  snapshot(): EngineSnapshot {
    const e = (this.mode === 'relay' ? this.source?.snapshot() : undefined) ?? this.engine?.snapshot() ?? { streamUrl: this.describeTarget(), state: { kind: 'idle' as const }, stats: { received: 0, duplicates: 0, malformed: 0, oversized: 0, hitsPerSecond: 0 } };
    // The hit store's refusals and placeholders count with the engine's.
    const s = { ...e, stats: { ...e.stats, oversized: e.stats.oversized + this.store.refused, placeholders: this.store.placeholders } };
    if (this.load.fallingBehind && s.state.kind === 'connected') s.stats.fallingBehind = true;
    // After a disconnect, show how long a new connection would wait (the shared cooldown).
    if ((s.state.kind === 'stopped' && s.state.code === 'user' || s.state.kind === 'idle') && this.afterStopUntil > this.clock.now()) {
      return { ...s, state: { kind: 'cooldown', since: s.state.kind === 'stopped' ? s.state.since : this.clock.now(), until: this.afterStopUntil, code: 'user', auto: false } };
    }
    return s;
  }

  /** Connects to the configured stream. Throws UserError for what the user must fix (nothing is sent then). */
  async connect(opts: { force?: boolean } = {}): Promise<void> {
    if (this.deps.settings().settings.source === 'relay') return this.connectRelay();
    if (this.run && this.mode === 'stream') { if (opts.force) this.engine?.connectNow(); return; }
    if (this.run) await this.disconnect();
    const { settings, problems } = this.deps.settings();
    const blocking = problems.filter((p) => RECONNECT_KEYS.some((k) => settingId(k) === p.setting));
    if (blocking.length) throw new UserError(blocking.map((p) => p.message.replace(/; using the default.*$/, '.')).join(' '), 'settings', blocking[0].setting);
    if (!settings.streamUrl) throw new UserError('No stream URL: set liveStream.streamUrl to the URL Adobe provisioned (or try Live Stream: Connect to Demo Stream).', 'settings', 'liveStream.streamUrl');
    const stream = this.streamOptions(settings, settings.streamUrl);
    const creds = await this.deps.credentials();
    const trusted = this.trustedHosts(settings);
    if (creds) this.checkCredentialHosts(creds, settings, stream.url, trusted);
    const tokens = await this.tokenProvider(creds, settings, stream.url);
    await this.takeLease(stream.url, settings.maxConnections);
    this.mode = 'stream';
    await this.startEngine(stream, settings, tokens, creds?.kind === 'clientCredentials' ? creds.clientId : settings.clientId || undefined, !!opts.force, trusted);
  }

  /** Connects to the embedded demo stream (no credentials, loopback only). */
  async connectDemo(opts: { force?: boolean } = {}): Promise<void> {
    if (this.run && this.mode === 'demo') { if (opts.force) this.engine?.connectNow(); return; }
    if (this.run) await this.disconnect();
    const { startDemoServer } = await runtime();
    // In its own worker thread: at firehose rates its generation must not load this one.
    this.demoStarting ??= startDemoServer({ rate: this.deps.demo?.rate ?? 8, ghostSeconds: this.deps.demo?.ghostSeconds ?? 20, replayOnReconnect: 5 }, (l) => this.deps.log.debug(`demo: ${l}`));
    this.demo = await this.demoStarting;
    const { settings } = this.deps.settings();
    this.mode = 'demo';
    await this.startEngine({ url: this.demo.streamUrl, maxConnections: 1 }, settings, undefined, undefined, !!opts.force);
  }

  /**
   * Reads a team relay's Redis Stream (liveStream.source: relay): the last
   * maxHits entries, then live. No Adobe connection, lease or cooldown here.
   */
  private async connectRelay(): Promise<void> {
    if (this.run && this.mode === 'relay') return;
    if (this.run) await this.disconnect();
    const { settings } = this.deps.settings();
    if (!settings.relayUrl) throw new UserError('No team relay: set liveStream.relay.url to the relay\'s Redis (redis://host:port/db), or set liveStream.source back to adobe.', 'settings', 'liveStream.relay.url');
    const { RelayViewer, parseRedisUrl, defaultStreamKey } = await runtime();
    const password = await this.deps.relayPassword?.();
    let target;
    try { target = parseRedisUrl(settings.relayUrl, password); } catch (e) {
      throw new UserError(`liveStream.relay.url: ${(e as Error).message}`, 'settings', 'liveStream.relay.url');
    }
    const key = settings.relayKey || (settings.streamUrl ? defaultStreamKey(settings.streamUrl) : 'livestream:demo');
    const id = JSON.stringify([settings.relayUrl, key, password ?? '']);
    if (!this.source || this.sourceKey !== id) {
      disposeAll(this.sourceSubs);
      await this.source?.dispose();
      if (this.isDisposed) return;
      const viewer: HitSource = new RelayViewer({ target, key, history: this.store.capacity, log: this.deps.log });
      this.source = viewer;
      this.sourceKey = id;
      this.sourceSubs.push(toDisposable(viewer.onHits((hits) => this.keep(hits))), toDisposable(viewer.onState(() => this.emitState())));
      this.deps.log.info(`Reading the team relay at ${target.display}, key ${key}.`);
    }
    this.mode = 'relay';
    this.clock.clearTimeout(this.afterStopTimer);
    this.afterStopUntil = 0;
    this.load.start();
    this.run = this.source.start().finally(() => { this.run = undefined; this.load.stop(); this.emitState(); });
    this.emitState();
  }

  /** Skips the current cooldown (the only way around it). */
  connectNow(): void {
    if (this.run) this.engine?.connectNow();
  }

  /** Closes the connection; the loss time is recorded so any window waits out the cooldown. */
  async disconnect(reason?: string): Promise<void> {
    const run = this.run;
    if (this.mode === 'relay' && this.source && run) {
      await this.source.stop(reason);
      await run.catch(() => undefined);
      this.emitState();
      return;
    }
    if (!this.engine || !run) return;
    await this.engine.stop(reason);
    await run.catch(() => undefined);
    this.noteStop();
  }

  /**
   * Closes the connection (the loss is recorded for every window), then lets go
   * of the engine, the lease and the demo server. Every call returns the same
   * promise: the extension's subscriptions and deactivate() both dispose.
   */
  override dispose(): Promise<void> {
    this.disposal ??= this.close();
    return this.disposal;
  }

  private async close(): Promise<void> {
    super.dispose(); // from here on: no after-stop countdown, no new engine
    await this.disconnect('VS Code closed the window.');
    await this.retireEngine();
    disposeAll(this.sourceSubs);
    await this.source?.dispose();
    this.lease?.release();
    await this.demo?.close();
  }

  private describeTarget(): string {
    if (this.mode === 'demo' && this.demo) return this.demo.streamUrl;
    const url = this.deps.settings().settings.streamUrl;
    try { return url ? streamKey(url) : ''; } catch { return ''; }
  }

  private streamOptions(settings: Settings, url: string): StreamOptions {
    const stream: StreamOptions = {
      url,
      maxConnections: settings.maxConnections,
      reset: settings.reset || undefined,
      smoothing: settings.smoothing,
      smoothingBucketSize: settings.smoothing ? settings.smoothingBucketSize : undefined,
    };
    try {
      buildStreamUrl(stream);
    } catch (e) {
      if (e instanceof ConfigError) {
        const setting = e.option === 'url' ? 'liveStream.streamUrl' : `liveStream.${e.option}`;
        throw new UserError(`${setting}: ${e.message}`, 'settings', setting);
      }
      throw e;
    }
    return stream;
  }

  /** liveStream.trustedHosts (user settings only) plus the hosts the user confirmed for this secret. */
  private trustedHosts(settings: Settings, kind: SecretKind = 'token'): readonly string[] {
    return [...settings.trustedHosts, ...(this.deps.allowedHosts?.(kind) ?? [])];
  }

  /** Before anything is sent: the token and the client secret may only go where the user vouched for. */
  private checkCredentialHosts(creds: Credentials, settings: Settings, url: string, trusted: readonly string[]): void {
    const check = (target: string, kind: 'token' | 'clientSecret') => {
      let u: URL;
      try { u = new URL(target); } catch { return; } // reported by the URL validation
      try {
        assertTrustedFor(u, kind, kind === 'token' ? trusted : this.trustedHosts(settings, kind));
      } catch (e) {
        if (e instanceof UntrustedHostError) throw new UserError(e.message, 'trustHost', e.setting, e.host);
        throw e;
      }
    };
    check(url, 'token');
    if (creds.kind === 'clientCredentials') check(settings.imsUrl || IMS_DEFAULTS.imsUrl, 'clientSecret');
  }

  private async tokenProvider(creds: Credentials | undefined, settings: Settings, url: string): Promise<TokenProvider | undefined> {
    if (!creds) {
      if (/^http:\/\/(127\.|localhost|\[::1\])/.test(url)) return undefined; // a local mock without auth
      throw new UserError('No credentials: run "Live Stream: Set Credentials" (an access token, or client id + secret).', 'credentials');
    }
    const { ImsTokenProvider, StaticTokenProvider } = await runtime();
    try {
      if (creds.kind === 'accessToken') return new StaticTokenProvider(creds.token);
      return new ImsTokenProvider({ clientId: creds.clientId, clientSecret: creds.clientSecret, scopes: settings.scopes, imsUrl: settings.imsUrl, trustedHosts: this.trustedHosts(settings, 'clientSecret'), defaults: IMS_DEFAULTS }, this.clock);
    } catch (e) {
      throw new UserError((e as Error).message, 'credentials');
    }
  }

  private async takeLease(url: string, max: number): Promise<void> {
    const key = streamKey(url);
    if (this.lease && this.lease.stream !== key) { this.lease.release(); this.lease = undefined; }
    this.lease ??= new ConnectionLease({
      dir: this.deps.stateDir,
      stream: key,
      holderId: this.deps.holderId,
      label: this.deps.windowLabel,
      clock: this.clock,
      ttlMs: this.deps.leaseTtlMs,
      log: this.deps.log,
      onTakeoverRequested: (by) => {
        this.deps.log.info(`${by} asked to take over the connection: disconnecting.`);
        this.deps.notify?.(`Live Stream: ${by} took over the connection to this stream.`);
        void this.disconnect(`Handed over to ${by}.`);
      },
    });
    const r = this.lease.acquire(max);
    if (r.ok) return;
    const names = r.holders.map((h) => h.label).join(', ');
    this.deps.log.info(`Lease: ${r.holders.length}/${max} connection(s) to ${key} already held by ${names}.`);
    if (!(await this.deps.askTakeover?.(r.holders))) {
      throw new UserError(`Already connected to this stream in ${names} (maxConnections is ${max}). Take over from there, or raise liveStream.maxConnections if your stream allows more.`, 'takeover');
    }
    this.lease.requestTakeover(r.holders[0].holderId);
    // Wait for the holder to let go (its heartbeat notices the request), or for its lease to expire.
    const deadline = this.clock.now() + (this.deps.leaseTtlMs ?? 15_000) * 2;
    while (this.clock.now() < deadline) {
      await new Promise<void>((res) => this.clock.setTimeout(res, 250));
      if (this.lease.acquire(max).ok) { this.deps.log.info('Lease taken over.'); return; }
    }
    throw new UserError(`${names} did not hand over the connection. Try again in a moment.`, 'takeover');
  }

  private async startEngine(stream: StreamOptions, settings: Settings, tokens: TokenProvider | undefined, clientId: string | undefined, force: boolean, trustedHosts: readonly string[] = []): Promise<void> {
    const key = JSON.stringify([stream, settings.reconnectCooldownSeconds, settings.idleTimeoutSeconds, settings.autoReconnect, clientId]);
    if (!this.engine || this.engineKey !== key) {
      const { LiveStreamEngine } = await runtime();
      await this.retireEngine();
      if (this.isDisposed) return;
      this.engine = new LiveStreamEngine({
        stream,
        tokens,
        clientId,
        clock: this.clock,
        cooldownMs: settings.reconnectCooldownSeconds * 1000,
        idleTimeoutMs: settings.idleTimeoutSeconds * 1000,
        autoReconnect: settings.autoReconnect,
        store: new FileCooldownStore(join(this.deps.stateDir, 'cooldown'), (m) => this.deps.log.warn(m)),
        log: this.deps.log,
        // Records the store would refuse are dropped by the engine before they are buffered whole.
        maxRecordBytes: MAX_STORED_RECORD_BYTES,
        // Hits are measured for the store in the pipeline's worker, not on this (the extension host's) thread.
        measureHits: true,
        // Below the extension host's thread when the cores are busy (every other extension waits on that one).
        workerNice: 5,
        // Batches in shared memory: no full collections of the host's heap for them (sharedBatches.ts).
        sharedBatchBytes: SHARED_BATCH_BUDGET_BYTES,
        ...this.deps.engineOverrides,
      });
      this.engineKey = key;
      this.engineSubs.push(
        toDisposable(this.engine.onHits((hits) => this.keep(hits))),
        toDisposable(this.engine.onState(() => this.emitState())),
      );
    }
    // Credentials are read on every connect; the engine (and its dedupe window) is kept.
    this.engine.setTokens(tokens, trustedHosts);
    this.clock.clearTimeout(this.afterStopTimer);
    this.afterStopUntil = 0;
    const engine = this.engine;
    this.load.start();
    this.run = engine.start({ force }).finally(() => {
      this.run = undefined;
      this.load.stop();
      if (this.mode === 'stream') this.lease?.release();
      this.noteStop();
    });
  }

  /**
   * Lets go of the current engine: its listeners first, so nothing it does any
   * more reaches the service, then its dispose() (stop, close the HTTP agent),
   * awaited, so an engine never overlaps the next one.
   */
  private async retireEngine(): Promise<void> {
    disposeAll(this.engineSubs);
    await this.engine?.dispose();
  }

  /**
   * Puts a batch into the hit store and passes on what it kept. Each hit is
   * checked once, here: a refused record or a placeholder is logged (rate
   * limited) and counted in the snapshot's stats, never dropped silently.
   */
  private keep(hits: StoredHit[]): void {
    // The batch itself when every hit is kept (the rule); a copy without the refused ones otherwise.
    let kept: StoredHit[] | undefined;
    const evictedBefore = this.store.evictedForBytes;
    for (let i = 0; i < hits.length; i++) {
      const h = hits[i]!;
      h.seq = ++this.seq;
      const r = this.store.push(h);
      if (!r.kept) {
        if (shouldLog(this.store.refused)) this.deps.log.warn(`Hit store: refused record #${this.store.refused} (${r.bytes} bytes; limit ${MAX_STORED_RECORD_BYTES}).`);
        kept ??= hits.slice(0, i);
        continue;
      }
      kept?.push(h);
      if (r.omitted && shouldLog(this.store.placeholders)) {
        const why = r.omitted.reason === 'too-deep' ? 'nested too deep' : 'too large';
        this.deps.log.warn(`Hit ${escapeControls(JSON.stringify(h.key))} (${r.omitted.bytes} bytes) is ${why} to display (#${this.store.placeholders}): the panel shows a placeholder row; copy and export keep its exact text.`);
      }
    }
    const evicted = this.store.evictedForBytes - evictedBefore;
    if (evicted > 0 && shouldLog(++this.byteCapLogs)) {
      this.deps.log.info(`Hit store at its memory budget (${Math.round(this.store.byteBudget / 1048576)} MiB): keeping the newest ${this.store.size} hits (liveStream.maxHits is ${this.store.capacity}).`);
    }
    const out = kept ?? hits;
    if (out.length) for (const l of this.hitsL) l(out);
  }

  /** After the loop ends, keep showing the shared cooldown until it is over. */
  private noteStop(): void {
    if (this.isDisposed || !this.engine) return;
    const until = this.engine.earliestAttempt();
    this.clock.clearTimeout(this.afterStopTimer);
    if (until > this.clock.now()) {
      this.afterStopUntil = until;
      this.afterStopTimer = this.clock.setTimeout(() => { this.afterStopUntil = 0; this.emitState(); }, until - this.clock.now());
    }
    this.emitState();
  }

  private emitState(): void {
    const s = this.snapshot();
    for (const l of this.stateL) l(s);
  }

  private emitReset(): void {
    for (const l of this.resetL) l();
  }
}
