import { Agent, type Dispatcher } from 'undici';
import type { ConnectionState, EngineSnapshot, LastError, StoredHit } from '../shared/model';
import { systemClock, withLongTimers, type Clock, type TimerHandle } from './clock';
import { consume, open, type ReadGate } from './connection';
import { checkCooldownRecord, MemoryCooldownStore, type CooldownRecord, type CooldownStore } from './cooldownStore';
import { DEFAULT_DEDUPE_BYTES, DEFAULT_DEDUPE_WINDOW } from './dedupe';
import { ConfigError, LiveStreamError, RedirectRefused, StreamLoss, UntrustedHostError } from './errors';
import { nullLogger, redact, type Logger } from './logger';
import { defaultWorkerScript, InlinePipeline, WorkerPipeline, type RecordPipeline } from './pipeline';
import { SharedBatchGauge } from './sharedBatches';
import { InflatePipeline } from './inflatePipeline';
import { RateMeter } from './rateMeter';
import { ReconnectPolicy, DEFAULT_COOLDOWN_MS, DEFAULT_MAX_BACKOFF_MS } from './reconnectPolicy';
import { DEFAULT_MAX_RECORD_BYTES } from './recordSplitter';
import { buildStreamUrl, displayUrl, streamKey, type StreamOptions } from './streamConfig';
import type { TokenProvider } from './tokens';

export interface EngineOptions {
  stream: StreamOptions;
  /** Where the bearer token comes from; undefined sends no Authorization (the local demo). */
  tokens?: TokenProvider;
  /** Sent as x-api-key when known. */
  clientId?: string;
  clock?: Clock;
  /** Wait after a lost connection (default 60 s). */
  cooldownMs?: number;
  maxBackoffMs?: number;
  /**
   * Test-only: the floor of the back-off after a failed attempt (default
   * MIN_FAILURE_BACKOFF_MS, 5 s). No setting or CLI flag maps to it; tests that
   * need sub-second retries set it (the CLI reads it only from
   * LIVESTREAM_TEST_MIN_BACKOFF_MS).
   */
  minFailureBackoffMs?: number;
  /** Treat this long without a byte as a loss; 0 = off (an idle report suite is silent and healthy). */
  idleTimeoutMs?: number;
  /** Reconnect by itself after a loss or a retryable failure (default true). */
  autoReconnect?: boolean;
  /** The shared cooldown clock (default: in memory only). */
  store?: CooldownStore;
  maxRecordBytes?: number;
  dedupeWindow?: number;
  /** Byte budget of the dedupe window (default DEFAULT_DEDUPE_BYTES). */
  dedupeBytes?: number;
  log?: Logger;
  random?: () => number;
  /** undici dispatcher (default: an Agent with TCP keep-alive, HTTP/1.1 only). */
  dispatcher?: Dispatcher;
  /** Attach each record's received bytes to the hit (the CLI writes them without re-encoding). */
  keepRawBytes?: boolean;
  /** Time allowed for the response headers of one attempt (default 30 s). */
  headersTimeoutMs?: number;
  /** Hosts the user allowed to receive the token besides https *.adobe.net (see credentialHosts.ts). */
  trustedHosts?: readonly string[];
  /**
   * Where the response is gunzipped and records are split, parsed and
   * de-duplicated: 'off-thread' (default; gunzip in an inflater thread, records
   * in a worker below it: this thread only reads the socket; inflatePipeline.ts),
   * 'worker' (gunzip here, records in a worker; pipeline.ts) or 'inline' (all on
   * this thread; also the fallback when the worker script is missing).
   */
  pipeline?: 'off-thread' | 'worker' | 'inline';
  /** Measure each hit for a hit store where it is parsed (the session; the CLI keeps no hits). */
  measureHits?: boolean;
  /**
   * Nice value of the pipeline's worker thread (Linux). The session sets it so
   * that, on a busy machine, the extension host's thread comes first; the CLI
   * leaves it (its worker is its bottleneck and nothing else needs the thread).
   */
  workerNice?: number;
  /**
   * Budget of batch bytes in shared memory on this thread (sharedBatches.ts). Default 0, ordinary
   * buffers: the CLI's thread runs nothing else, and there the dead batches V8 does not see only
   * raised peak RSS (engineBench: 259-312 vs. 199-235 MiB). The session sets SHARED_BATCH_BUDGET_BYTES.
   */
  sharedBatchBytes?: number;
}

export interface StartOptions {
  /** Ignore the cooldown for the first attempt: the explicit "connect now" override. */
  force?: boolean;
}

type Listener<T> = (v: T) => void;

/** A time for the log; never throws (a Date beyond ±8.64e15 ms has no ISO form). */
function iso(t: number): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
}

/**
 * The Live Stream client: one connection, read forever, dedupe, and reconnect
 * only as Adobe advises. Publishes one observable model (see model.ts).
 */
export class LiveStreamEngine {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly policy: ReconnectPolicy;
  private readonly store: CooldownStore;
  private pipeline?: RecordPipeline;
  private readonly rate: RateMeter;
  private readonly url: URL;
  private readonly key: string;
  private readonly ownsDispatcher: boolean;
  private readonly dispatcher: Dispatcher;
  private readonly hitListeners = new Set<Listener<StoredHit[]>>();
  private readonly stateListeners = new Set<Listener<EngineSnapshot>>();

  private state: ConnectionState = { kind: 'idle' };
  private lastError?: LastError;
  private received = 0;
  private seq = 0;
  private running?: Promise<void>;
  private abort?: AbortController;
  private skipWait?: () => void;
  private consecutiveFailures = 0;
  /** Where the bearer token comes from; replaceable between runs (new credentials keep the dedupe window). */
  private tokens?: TokenProvider;
  private trustedHosts: readonly string[];
  /** Set by stop(): the reason; the loop ends at the next check. */
  private stopRequested?: string;
  /** What caused the current wait: shown next to the countdown. */
  private cause = 'cooldown';

  constructor(private readonly opts: EngineOptions) {
    // Validation happens here, before anything is sent.
    this.url = buildStreamUrl(opts.stream);
    this.tokens = opts.tokens;
    this.trustedHosts = opts.trustedHosts ?? [];
    this.key = streamKey(this.url);
    // Any wait may be longer than one Node timer holds (24.8 days): chain them.
    this.clock = withLongTimers(opts.clock ?? systemClock);
    this.log = opts.log ?? nullLogger;
    this.policy = new ReconnectPolicy({
      cooldownMs: opts.cooldownMs ?? DEFAULT_COOLDOWN_MS,
      maxBackoffMs: opts.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
      minFailureBackoffMs: opts.minFailureBackoffMs,
      random: opts.random,
    });
    if (opts.idleTimeoutMs !== undefined && !(opts.idleTimeoutMs >= 0)) throw new ConfigError('idleTimeout', 'idle timeout must be ≥ 0 seconds');
    this.store = opts.store ?? new MemoryCooldownStore();
    this.rate = new RateMeter(this.clock);
    this.ownsDispatcher = !opts.dispatcher;
    this.dispatcher = opts.dispatcher ?? new Agent({
      allowH2: false, // Live Stream speaks HTTP/1.1 only (505 otherwise)
      connect: { keepAlive: true, keepAliveInitialDelay: 30_000 },
      pipelining: 0,
    });
  }

  /** The stream's shared-cooldown key (origin + path). */
  get streamKey(): string { return this.key; }

  onHits(l: Listener<StoredHit[]>): () => void { this.hitListeners.add(l); return () => this.hitListeners.delete(l); }
  onState(l: Listener<EngineSnapshot>): () => void { this.stateListeners.add(l); return () => this.stateListeners.delete(l); }

  snapshot(): EngineSnapshot {
    return {
      streamUrl: displayUrl(this.opts.stream.url),
      state: this.state,
      lastError: this.lastError,
      stats: {
        received: this.received,
        ...(this.pipeline?.counts() ?? { duplicates: 0, malformed: 0, oversized: 0, refusedIds: 0 }),
        hitsPerSecond: this.state.kind === 'connected' ? this.rate.perSecond() : 0,
        ...(this.pipeline?.restarts ? { workerRestarts: this.pipeline.restarts } : {}),
      },
    };
  }

  /** When the next attempt may be made according to the shared clock (0 = now). */
  earliestAttempt(): number {
    return this.policy.earliestAttempt(this.readCooldown());
  }

  /** The shared record, checked against now: a corrupt one is repaired (with a warning) before it is trusted. */
  private readCooldown(): CooldownRecord {
    const check = checkCooldownRecord(this.store.read(this.key), this.clock.now(), this.policy.maxWaitMs());
    if (check.repair) {
      this.log.warn(`The shared cooldown state of ${this.key} is corrupt: ${check.problems.join('; ')}. Repaired.`);
      this.store.update(this.key, check.repair);
    }
    return check.record;
  }

  /** Uses these credentials from the next attempt on (e.g. after the user set new ones). */
  setTokens(tokens: TokenProvider | undefined, trustedHosts?: readonly string[]): void {
    this.tokens = tokens;
    if (trustedHosts) this.trustedHosts = trustedHosts;
  }

  /** Starts the connect/read/reconnect loop. Resolves when the loop ends (stop, or a permanent error). */
  start(opts: StartOptions = {}): Promise<void> {
    if (this.running) {
      if (opts.force) this.connectNow();
      return this.running;
    }
    this.running = this.loop(!!opts.force).finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Skips the current cooldown: the only way around it. */
  connectNow(): void {
    this.skipWait?.();
  }

  /**
   * Closes the connection. If it was established, the time is recorded as a
   * loss, so the next attempt (from any process) waits out the cooldown.
   */
  async stop(reason = 'Disconnected by you.'): Promise<void> {
    const run = this.running;
    this.stopRequested = reason;
    this.abort?.abort();
    this.skipWait?.();
    if (run) await run.catch(() => undefined);
    if (this.state.kind !== 'stopped') this.setState({ kind: 'stopped', since: this.clock.now(), code: 'user', reason });
  }

  /**
   * Back-pressure for a slow consumer (e.g. a CLI piped into a slow reader):
   * stops reading the socket so TCP holds the data instead of our memory.
   */
  pauseReading(): void { this.gate.paused = true; this.gate.apply?.(); }
  resumeReading(): void { this.gate.paused = false; this.gate.apply?.(); }

  private readonly gate: ReadGate = { paused: false };

  /** Stops and releases the HTTP agent and the pipeline's worker. */
  async dispose(): Promise<void> {
    await this.stop();
    await this.pipeline?.dispose();
    if (this.ownsDispatcher) await this.dispatcher.close().catch(() => undefined);
  }

  /** The record pipeline, made on the first read and kept for the engine's life (its de-duplication spans reconnects). */
  private recordPipeline(): RecordPipeline {
    if (this.pipeline) return this.pipeline;
    const o = {
      processor: { dedupeWindow: this.opts.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW, dedupeBytes: this.opts.dedupeBytes ?? DEFAULT_DEDUPE_BYTES, measure: !!this.opts.measureHits, keyOnly: !!this.opts.keepRawBytes && !this.opts.measureHits },
      maxRecordBytes: this.opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
      keepRawBytes: !!this.opts.keepRawBytes,
      log: this.log,
      deliver: (hits: StoredHit[]) => this.deliver(hits),
      gauge: this.opts.sharedBatchBytes ? new SharedBatchGauge(this.opts.sharedBatchBytes) : undefined,
    };
    const mode = this.opts.pipeline ?? 'off-thread';
    const script = mode === 'inline' ? undefined : defaultWorkerScript();
    if (mode !== 'inline' && !script) this.log.warn('The stream worker script is missing: processing records on this thread.');
    if (!script) this.pipeline = new InlinePipeline(o);
    else if (mode === 'off-thread') this.pipeline = new InflatePipeline({ ...o, script, nice: this.opts.workerNice });
    else this.pipeline = new WorkerPipeline({ ...o, script, nice: this.opts.workerNice });
    return this.pipeline;
  }

  /** The pipeline's hits, in stream order: numbered, stamped and delivered as one batch. */
  private deliver(hits: StoredHit[]): void {
    const now = this.clock.now();
    for (const h of hits) { h.seq = ++this.seq; h.receivedAt = now; }
    this.received += hits.length;
    this.rate.add(hits.length);
    for (const l of this.hitListeners) {
      try { l(hits); } catch (e) { this.log.error(`Hit listener failed: ${(e as Error).message}`); }
    }
  }

  /** Cumulative ms reading was held back because the pipeline's worker was behind (the session's "falling behind"). */
  heldBackMs(): number { return this.pipeline?.heldBackMs ?? 0; }

  /** Test hook: the pipeline (to kill its worker in the restart tests). */
  get pipelineForTest(): RecordPipeline | undefined { return this.pipeline; }

  private async loop(force: boolean): Promise<void> {
    this.stopRequested = undefined;
    let forceNext = force;
    let authRetried = false;
    for (;;) {
      if (this.stopRequested) return;
      // Wait out the shared cooldown (it may have been set by another process).
      const until = this.earliestAttempt();
      if (!forceNext && until > this.clock.now()) {
        const code = this.cause;
        this.setState({ kind: 'cooldown', since: this.clock.now(), until, code, auto: true });
        this.log.info(`Cooldown: next attempt at ${iso(until)} (${Math.ceil((until - this.clock.now()) / 1000)} s)`);
        const skipped = await this.waitUntil(until);
        if (this.stopRequested) return;
        if (skipped) this.log.info('Cooldown skipped: connect now.');
      }
      forceNext = false;

      this.setState({ kind: 'connecting', since: this.clock.now(), attempt: this.consecutiveFailures + 1 });
      const ac = new AbortController();
      this.abort = ac;
      let established = false;
      let connectedAt = 0;
      try {
        const res = await open(this.url, ac.signal, {
          tokens: this.tokens,
          trustedHosts: this.trustedHosts,
          clientId: this.opts.clientId,
          dispatcher: this.dispatcher,
          headersTimeoutMs: this.opts.headersTimeoutMs ?? 30_000,
          log: this.log,
          redact: (text) => this.redact(text),
        });
        established = true;
        connectedAt = this.clock.now();
        // consecutiveFailures is reset only once the connection has proved itself (see the loss below).
        authRetried = false;
        this.setState({ kind: 'connected', since: this.clock.now() });
        this.log.info(`Connected to ${this.key}`);
        await this.read(res, ac);
      } catch (e) {
        const err = e as Error;
        const quickLoss = established && this.policy.isQuickLoss(this.clock.now() - connectedAt);
        if (established && !quickLoss) this.consecutiveFailures = 0;
        if (this.stopRequested) {
          if (established) { this.cause = 'user'; this.recordLoss(); }
          return;
        }
        if (established) {
          // An established connection was lost: the slot may still be counted.
          const code = err instanceof StreamLoss ? err.code : 'network';
          this.setError(LiveStreamError.symbolic(code, err.message));
          this.cause = code;
          // One that died young counts as a failed attempt, so even a cooldown of 0
          // cannot turn a server that accepts and drops every connection into a tight loop.
          if (quickLoss) this.consecutiveFailures++;
          this.recordLoss(quickLoss ? this.policy.delayAfterLoss(this.consecutiveFailures) : undefined);
          this.log.warn(`Connection lost (${code}): ${this.redact(err.message)}`);
        } else {
          const lse = this.toLiveStreamError(err);
          this.setError(lse);
          this.cause = lse.code;
          this.log.warn(`Attempt failed: ${lse.code} ${this.redact(lse.message)}`);
          if (lse.disposition === 'permanent') {
            this.setState({ kind: 'stopped', since: this.clock.now(), code: lse.code, reason: lse.explanation });
            return;
          }
          if (lse.disposition === 'auth') {
            if (!authRetried && this.tokens?.invalidate()) {
              authRetried = true;
              this.log.info('401: fetching a fresh token and trying once more.');
              forceNext = true; // nothing was established, so no slot is held
              continue;
            }
            this.setState({ kind: 'stopped', since: this.clock.now(), code: lse.code, reason: lse.explanation });
            return;
          }
          this.consecutiveFailures++;
          const delay = this.policy.delayAfterFailure(this.consecutiveFailures);
          this.store.update(this.key, { notBefore: this.clock.now() + delay });
          this.log.info(`Back-off after ${this.consecutiveFailures} failed attempt(s): ${Math.round(delay / 1000)} s`);
        }
      } finally {
        this.abort = undefined;
      }
      if (this.opts.autoReconnect === false) {
        const le = this.lastError;
        this.setState({ kind: 'stopped', since: this.clock.now(), code: le?.code ?? 'stream-ended', reason: 'Auto-reconnect is off: connect again when ready (the cooldown still applies).' });
        return;
      }
    }
  }

  /** Resolves true when skipped by connectNow(), false when the time came. */
  private waitUntil(until: number): Promise<boolean> {
    return new Promise((resolve) => {
      const handle: TimerHandle = this.clock.setTimeout(() => { this.skipWait = undefined; resolve(false); }, until - this.clock.now());
      this.skipWait = () => { this.clock.clearTimeout(handle); this.skipWait = undefined; resolve(true); };
    });
  }

  /** Records a loss in the shared clock; `waitMs` (a quick loss's back-off) is honoured when longer than the cooldown. */
  private recordLoss(waitMs?: number): void {
    const now = this.clock.now();
    const cooldown = this.policy.opts.cooldownMs;
    const longer = waitMs !== undefined && waitMs > cooldown;
    this.store.update(this.key, longer ? { lastLossAt: now, notBefore: now + waitMs } : { lastLossAt: now });
    const why = longer ? ` (the connection lasted under ${Math.round(this.policy.opts.minFailureBackoffMs / 1000)} s: back-off ${Math.round(waitMs / 1000)} s)` : '';
    this.log.info(`Recorded connection loss at ${iso(now)}: no reconnect before ${iso(now + (longer ? waitMs : cooldown))}${why}`);
  }

  /**
   * Reads one response (connection.ts) into the pipeline; when it ends, waits
   * until every record received has been delivered, so a loss or a stop is
   * reported only after the hits before it.
   */
  private async read(res: Dispatcher.ResponseData, ac: AbortController): Promise<never> {
    const pipeline = this.recordPipeline();
    try {
      return await consume(res, ac, { clock: this.clock, gate: this.gate, idleTimeoutMs: this.opts.idleTimeoutMs ?? 0, pipeline });
    } finally {
      await pipeline.drain();
    }
  }

  private toLiveStreamError(err: Error): LiveStreamError {
    if (err instanceof LiveStreamError) return err;
    if (err instanceof RedirectRefused) return LiveStreamError.symbolic('redirect-refused', err.message);
    if (err instanceof UntrustedHostError) return LiveStreamError.symbolic('untrusted-host', err.message);
    const code = (err as NodeJS.ErrnoException).code;
    const detail = code ? `${code}: ${err.message}` : err.message;
    return LiveStreamError.symbolic('network', `Could not connect to ${this.url.host}: ${detail}`);
  }

  private setError(e: LiveStreamError): void {
    this.lastError = {
      code: e.code,
      status: e.status,
      description: this.redact(e.message),
      explanation: e.explanation,
      at: this.clock.now(),
    };
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    if (s.kind === 'connected') this.rate.reset();
    const snap = this.snapshot();
    for (const l of this.stateListeners) {
      try { l(snap); } catch (e) { this.log.error(`State listener failed: ${(e as Error).message}`); }
    }
  }

  private redact(text: string): string {
    return redact(text, this.tokens?.secrets() ?? []);
  }
}
