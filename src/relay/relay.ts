import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import Redis from 'ioredis';
import type { CooldownStore } from '../stream/cooldownStore';
import { DedupeWindow } from '../stream/dedupe';
import type { LiveStreamEngine } from '../stream/liveStreamEngine';
import type { Logger } from '../stream/logger';
import type { EngineSnapshot, StoredHit } from '../shared/model';
import { Publisher } from './publisher';
import { RedisCooldownStore } from './redisCooldownStore';
import { withRelayCommands, type RelayCommands } from './relayScripts';
import { relayKeys, type RelayKeys } from './relayKeys';
import { STATUS_INTERVAL_MS, statusFields, statusFromSnapshot, type RelayStatus } from './relayStatus';
import { clientOptions, describeRedisError, isFatalRedisError, type RedisTarget } from './redisTarget';

export interface RelayOptions {
  target: RedisTarget;
  /** The Redis Stream key (`livestream:<stream>`). */
  key: string;
  /** XADD MAXLEN ~ (default 100 000). */
  maxlen: number;
  /** Lease time to live (default 10 s); renewed every third of it. */
  leaseMs: number;
  /**
   * Makes one engine (one Adobe connection) with the given cooldown store. Called
   * `connections` times when this relay becomes the leader.
   */
  engine(store: CooldownStore, index: number): LiveStreamEngine;
  /** Adobe connections the leader holds and merges (its maxConnections; default 1). */
  connections?: number;
  maxBufferedHits?: number;
  log: Logger;
  /** Called with every status the leader publishes (the CLI's stderr line). */
  onStatus?(s: RelayStatus, role: 'leader' | 'standby'): void;
  /** Called when this relay stands by because another one holds the lease (once per holder). */
  onStandby?(holder: string): void;
  /** TLS CA for rediss:// with a private CA (PEM text). */
  ca?: string;
  /** Hit ids read back from the stream at takeover, so the new leader skips what the old one already published. */
  seedIds?: number;
}

/** How the relay ended (for the CLI's exit code). */
export type RelayEnd =
  | { kind: 'stopped' }
  | { kind: 'redis-fatal'; message: string }
  | { kind: 'engine-stopped'; snapshot: EngineSnapshot };

/**
 * A relay: one process of possibly several (on different machines) that
 * share one Redis. Exactly one, the leader, holds the Adobe connection(s),
 * through a lease (`SET <key>:lease <fence>:<id> NX PX`) renewed every third
 * of its TTL; the others stand by and take over when it expires. Every write
 * the leader makes is fenced (relayScripts.ts), and the cooldown clock lives
 * in Redis (redisCooldownStore.ts), so a standby that takes over waits out
 * the cooldown the old leader's loss started: no relay, on any machine,
 * reconnects to Adobe within the cooldown.
 *
 * A standby takes a free lease only after it has seen it free for one whole
 * TTL: after a Redis restart that lost the key, the old leader (which still
 * holds the Adobe connection) re-takes it within a third of a TTL, so a
 * standby never opens a second connection next to it.
 */
export class Relay {
  readonly id = `${hostname().slice(0, 64)}/${process.pid}/${randomBytes(4).toString('hex')}`;
  readonly keys: RelayKeys;
  private readonly redis: Redis & RelayCommands;
  private role: 'standby' | 'leader' = 'standby';
  private token = '';
  private fence = 0;
  private engines: LiveStreamEngine[] = [];
  private runs: Promise<void>[] = [];
  private publisher?: Publisher;
  private cooldown?: RedisCooldownStore;
  /** Hit ids the previous leader published last; consulted for the first hits only (its replays), then dropped. */
  private seen?: Set<string>;
  private seenChecks = 0;
  /** With several connections: one window over all of them (each engine dedupes only its own connection). */
  private merged?: DedupeWindow;
  private connectedSince?: number;
  private freeSince?: number;
  private lastHolder?: string;
  private stopping = false;
  private end?: RelayEnd;
  private wake?: () => void;
  private lastStatusAt = 0;
  private fatal?: string;
  private redisDownLogged = false;
  /** Drops carried over from earlier leaderships of this process. */
  private droppedBefore = 0;

  constructor(private readonly opts: RelayOptions) {
    this.keys = relayKeys(opts.key);
    this.redis = withRelayCommands(new Redis(clientOptions(opts.target, `livestream-relay:${this.id}`, {
      ca: opts.ca,
      onAttempt: (n, d) => { if (n === 1 || n % 20 === 0) opts.log.warn(`Redis ${opts.target.display} unreachable: reconnecting in ${d} ms (attempt ${n}).`); },
    })));
    this.redis.on('error', (e: Error) => {
      if (isFatalRedisError(e)) { this.fatal = describeRedisError(e, opts.target); this.wake?.(); return; }
      if (!this.redisDownLogged) { this.redisDownLogged = true; opts.log.warn(`Redis: ${describeRedisError(e, opts.target)}`); }
    });
    this.redis.on('ready', () => {
      if (this.redisDownLogged) opts.log.info(`Redis ${opts.target.display} reachable again.`);
      this.redisDownLogged = false;
    });
  }

  get isLeader(): boolean { return this.role === 'leader'; }
  get dropped(): number { return this.droppedBefore + (this.publisher?.dropped ?? 0); }

  /** Runs until stop(), a Redis error no retry can fix, or a permanent Adobe error. */
  async run(): Promise<RelayEnd> {
    try {
      await this.redis.connect();
    } catch (e) {
      if (isFatalRedisError(e) || this.fatal) return this.finish({ kind: 'redis-fatal', message: this.fatal ?? describeRedisError(e, this.opts.target) });
      // Not reachable yet: ioredis keeps retrying with back-off; the loop waits for it.
    }
    // Renew every third of the lease, and publish the status at least every STATUS_INTERVAL_MS.
    const tick = Math.max(50, Math.min(STATUS_INTERVAL_MS, Math.floor(this.opts.leaseMs / 3)));
    this.opts.log.info(`Relay ${this.id} on ${this.opts.target.display} key ${this.opts.key}: standing by for the lease (${this.opts.leaseMs} ms).`);
    while (!this.stopping && !this.end) {
      if (this.fatal) return this.finish({ kind: 'redis-fatal', message: this.fatal });
      try {
        if (this.role === 'standby') await this.tryAcquire();
        else await this.renew();
      } catch (e) {
        if (isFatalRedisError(e)) return this.finish({ kind: 'redis-fatal', message: describeRedisError(e, this.opts.target) });
        // Redis down or slow: the leader keeps its Adobe connection (a lost one costs a cooldown) and buffers.
      }
      if (this.role === 'leader' && Date.now() - this.lastStatusAt >= STATUS_INTERVAL_MS) this.publishStatus();
      await new Promise<void>((r) => { const t = setTimeout(r, tick); this.wake = () => { clearTimeout(t); r(); }; });
      this.wake = undefined;
    }
    return this.finish(this.end ?? { kind: 'stopped' });
  }

  /** Hands over cleanly: the loss is recorded in Redis, the buffer flushed, the lease released. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
  }

  private async finish(end: RelayEnd): Promise<RelayEnd> {
    if (this.role === 'leader') await this.stepDown('released', 'The relay was stopped.');
    this.redis.disconnect();
    return end;
  }

  private async tryAcquire(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    const holder = await this.redis.get(this.keys.lease);
    const now = Date.now();
    if (holder) {
      this.freeSince = undefined;
      if (holder !== this.lastHolder) { this.lastHolder = holder; this.opts.onStandby?.(holder.slice(0, 200)); }
      return;
    }
    if (this.freeSince === undefined) {
      this.freeSince = now;
      // A brand-new key space (nothing ever relayed here) needs no grace period.
      if ((await this.redis.exists(this.keys.stream, this.keys.status, this.keys.cooldown)) !== 0) return;
    } else if (now - this.freeSince < this.opts.leaseMs) return;
    const fence = await this.redis.incr(this.keys.fence);
    const token = `${fence}:${this.id}`;
    const ok = await this.redis.set(this.keys.lease, token, 'PX', this.opts.leaseMs, 'NX');
    if (ok !== 'OK') { this.freeSince = undefined; return; }
    this.freeSince = undefined;
    this.token = token;
    this.fence = fence;
    await this.becomeLeader();
  }

  private async becomeLeader(): Promise<void> {
    this.role = 'leader';
    this.opts.log.info(`Relay ${this.id} is the leader (fence ${this.fence}).`);
    const cooldown = new RedisCooldownStore(this.redis, this.keys, () => this.token, this.opts.leaseMs, this.opts.log);
    this.cooldown = cooldown;
    // The ids the previous leader published last: its replays are not published twice.
    const seen = new Set<string>();
    const recent = await this.redis.xrevrange(this.keys.stream, '+', '-', 'COUNT', this.opts.seedIds ?? 10_000);
    for (const [, f] of recent) {
      for (let j = 0; j + 1 < f.length; j += 2) if (f[j] === 'id' && f[j + 1]) seen.add(f[j + 1].slice(0, 64));
    }
    this.seen = seen.size ? seen : undefined;
    this.seenChecks = 0;
    this.publisher = new Publisher(this.redis, this.keys, this.token, {
      maxlen: this.opts.maxlen,
      leaseMs: this.opts.leaseMs,
      maxBufferedHits: this.opts.maxBufferedHits,
      log: this.opts.log,
      onFenced: () => { this.opts.log.warn('Another relay holds the lease now (fenced write refused): stepping down.'); void this.stepDown('standby', 'Another relay took over.'); },
    });
    const n = Math.max(1, this.opts.connections ?? 1);
    this.merged = n > 1 ? new DedupeWindow() : undefined;
    this.engines = [];
    for (let i = 0; i < n; i++) this.engines.push(this.opts.engine(cooldown, i));
    await cooldown.load(this.engines[0].streamKey, Date.now());
    for (const engine of this.engines) {
      engine.onHits((hits) => this.forward(hits));
      engine.onState((s) => {
        if (s.state.kind === 'connected') { this.connectedSince ??= s.state.since; cooldown.markHolding(); }
        else if (!this.engines.some((e) => e.snapshot().state.kind === 'connected')) this.connectedSince = undefined;
        this.publishStatus();
      });
    }
    this.runs = this.engines.map((e) => e.start().then(() => {
      // A permanent Adobe error (404, 401, …) ends the relay like it ends `tail`.
      const s = e.snapshot();
      if (this.role === 'leader' && !this.stopping && s.state.kind === 'stopped' && s.state.code !== 'user') { this.end = { kind: 'engine-stopped', snapshot: s }; this.wake?.(); }
    }));
    this.publishStatus();
  }

  private forward(hits: StoredHit[]): void {
    if (!this.publisher) return;
    // A new connection first gets hits Adobe already sent to another one (a replay): published once.
    const merged = this.merged;
    if (merged) hits = hits.filter((h) => !h.key || merged.add(h.key));
    const seen = this.seen;
    // The engine dedupes everything it receives; only the old leader's last hits, replayed
    // to this new connection, are unknown to it. After as many hits as were seeded, no replay is left.
    if (!seen) { this.publisher.push(hits); return; }
    const fresh = hits.filter((h) => !seen.has(h.key));
    this.seenChecks += hits.length;
    if (this.seenChecks > seen.size + 10_000) this.seen = undefined;
    if (fresh.length) this.publisher.push(fresh);
  }

  private async renew(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    const r = await this.redis.relayRenew(this.keys.lease, this.token, this.opts.leaseMs);
    if (r === 2) this.opts.log.warn('The lease was gone from Redis (restarted or flushed?): taken back, still holding the Adobe connection.');
    if (r === 0) {
      this.opts.log.warn('Lost the lease to another relay: closing the Adobe connection.');
      await this.stepDown('standby', 'Another relay took over.');
    }
  }

  /** Leaves the leader role: closes the Adobe connection(s) (the loss is recorded), flushes, releases. */
  private async stepDown(next: 'standby' | 'released', reason: string): Promise<void> {
    if (this.role !== 'leader') return;
    this.role = 'standby';
    const engines = this.engines;
    this.engines = [];
    await Promise.all(engines.map((e) => e.stop(reason)));
    await Promise.all(this.runs.map((r) => r.catch(() => undefined)));
    const pub = this.publisher;
    if (pub) {
      if (next === 'released' && !(await pub.drain(3_000))) this.opts.log.warn(`${pub.buffered} hits were still waiting for Redis at shutdown: not published.`);
      pub.stop();
      this.droppedBefore += pub.dropped;
    }
    await this.cooldown?.flush();
    if (next === 'released') {
      this.engineSnapshot = engines[0]?.snapshot();
      this.writeStatus({ state: 'released' });
      await this.redis.relayRelease(this.keys.lease, this.token).catch(() => undefined);
    }
    await Promise.all(engines.map((e) => e.dispose()));
    this.publisher = undefined;
    this.seen = undefined;
    this.merged = undefined;
    this.connectedSince = undefined;
    this.token = '';
  }

  private engineSnapshot?: EngineSnapshot;

  /** The merged view of this leader's engines: the least healthy state, summed counts. */
  snapshot(): EngineSnapshot | undefined {
    if (!this.engines.length) return this.engineSnapshot;
    const snaps = this.engines.map((e) => e.snapshot());
    const worst = snaps.find((s) => s.state.kind !== 'connected') ?? snaps[0];
    const sum = (f: (s: EngineSnapshot) => number) => snaps.reduce((a, s) => a + f(s), 0);
    return { ...worst, lastError: snaps.map((s) => s.lastError).filter((e) => e).sort((a, b) => b!.at - a!.at)[0], stats: { ...worst.stats, received: sum((s) => s.stats.received), duplicates: sum((s) => s.stats.duplicates), hitsPerSecond: sum((s) => s.stats.hitsPerSecond) } };
  }

  private publishStatus(): void {
    const snap = this.snapshot();
    if (!snap || this.role !== 'leader') return;
    this.writeStatus({});
  }

  private writeStatus(override: Partial<RelayStatus>): void {
    const snap = this.snapshot();
    if (!snap) return;
    this.lastStatusAt = Date.now();
    const s = { ...statusFromSnapshot(snap, { leader: this.id, fence: this.fence, dropped: this.dropped, buffered: this.publisher?.buffered ?? 0, connectedSince: this.connectedSince, now: Date.now() }), ...override };
    this.opts.onStatus?.(s, this.role);
    if (this.redis.status !== 'ready') return;
    // Fields absent now (no cooldown end, no error) are deleted, so a viewer never shows a stale one.
    const fields = statusFields(s);
    const absent = ['until', 'lastErrorCode', 'lastErrorDescription', 'connectedSince'].filter((k) => s[k as keyof RelayStatus] === undefined);
    void this.redis.relayFencedHset(this.keys.lease, this.keys.status, this.token, this.opts.leaseMs, ...fields, '--del', ...absent).catch(() => undefined);
    if (this.connectedSince !== undefined) this.cooldown?.markHolding();
  }
}
