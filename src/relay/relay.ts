import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import Redis from 'ioredis';
import type { Clock } from '../stream/clock';
import type { CooldownStore } from '../stream/cooldownStore';
import { DedupeWindow } from '../stream/dedupe';
import type { LiveStreamEngine } from '../stream/liveStreamEngine';
import type { Logger } from '../stream/logger';
import type { EngineSnapshot, StoredHit } from '../shared/model';
import { DEFAULT_MAX_REDIS_OUTAGE_MS, monotonicClock, OutageFence, takeoverWaitMs } from './outageFence';
import { Publisher } from './publisher';
import { RedisCooldownStore } from './redisCooldownStore';
import { parseRenewReply, withRelayCommands, type RelayCommands } from './relayScripts';
import { relayKeys, type RelayKeys } from './relayKeys';
import { parseRelayStatus, STATUS_INTERVAL_MS, statusFields, statusFromSnapshot, type RelayStatus } from './relayStatus';
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
   * How long a leader may go without renewing its lease before it closes its Adobe
   * connection, when a standby was registered at its last renewal (default 45 s; must
   * be longer than the lease). Standbys wait accordingly before taking a free lease
   * (outageFence.ts). Every relay of one key should use the same value.
   */
  maxRedisOutageMs?: number;
  /** Monotonic time for the outage bound and the standby's wait (tests inject one). */
  clock?: Clock;
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
 * A standby takes a free lease only after it has seen it free for at least one
 * whole TTL: after a Redis restart that lost the key, the old leader (which
 * still holds the Adobe connection) re-takes it within a third of a TTL, so a
 * standby never opens a second connection next to it. Standbys register in
 * `<key>:standbys`; a leader cut off from Redis while one was registered steps
 * down after `maxRedisOutageMs`, and standbys wait at least that long (less a
 * lease) before taking a free lease, so a partition does not give Adobe two
 * connections either (outageFence.ts).
 */
export class Relay {
  readonly id = `${hostname().slice(0, 64)}/${process.pid}/${randomBytes(4).toString('hex')}`;
  readonly keys: RelayKeys;
  private readonly redis: Redis & RelayCommands;
  /** The publisher's own connection (see Publisher). */
  private readonly data: Redis;
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
  /** Monotonic time this standby first saw the lease free. */
  private freeSince?: number;
  private lastHolder?: string;
  /** The holder whose published lease and outage bound were checked against ours. */
  private checkedHolder?: string;
  /** maxRedisOutage − lease of the last leader seen: a standby waits at least that long too, whatever its own options. */
  private leaderBoundMs = 0;
  /** This relay has seen a leader on this key (or been one): the key space is not brand-new, even if Redis lost every key. */
  private keySpaceUsed = false;
  private outage?: OutageFence;
  private readonly clock: Clock;
  private readonly maxOutageMs: number;
  /** The loop's period: renewals, registrations, status. */
  private readonly tick: number;
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
    this.clock = opts.clock ?? monotonicClock;
    this.maxOutageMs = opts.maxRedisOutageMs ?? DEFAULT_MAX_REDIS_OUTAGE_MS;
    if (!(this.maxOutageMs > opts.leaseMs)) throw new Error(`maxRedisOutageMs (${this.maxOutageMs}) must be longer than the lease (${opts.leaseMs})`);
    // Renew every third of the lease, and publish the status at least every STATUS_INTERVAL_MS.
    this.tick = Math.max(50, Math.min(STATUS_INTERVAL_MS, Math.floor(opts.leaseMs / 3)));
    this.redis = withRelayCommands(new Redis(clientOptions(opts.target, `livestream-relay:${this.id}`, {
      ca: opts.ca,
      onAttempt: (n, d) => { if (n === 1 || n % 20 === 0) opts.log.warn(`Redis ${opts.target.display} unreachable: reconnecting in ${d} ms (attempt ${n}).`); },
    })));
    this.redis.on('error', (e: Error) => {
      if (isFatalRedisError(e)) { this.fatal = describeRedisError(e, opts.target); this.wake?.(); return; }
      if (!this.redisDownLogged) { this.redisDownLogged = true; opts.log.warn(`Redis: ${describeRedisError(e, opts.target)}`); }
    });
    // Publishing has a connection of its own: its transactions hold WATCH state, and must never be resent
    // on a new connection (ioredis would, unfenced, by default). Its errors are the control connection's too.
    this.data = new Redis({ ...clientOptions(opts.target, `livestream-relay-data:${this.id}`, { ca: opts.ca }), autoResendUnfulfilledCommands: false });
    this.data.on('error', () => undefined);
    this.redis.on('ready', () => {
      if (this.redisDownLogged) opts.log.info(`Redis ${opts.target.display} reachable again.`);
      this.redisDownLogged = false;
    });
  }

  get isLeader(): boolean { return this.role === 'leader'; }
  get dropped(): number { return this.droppedBefore + (this.publisher?.dropped ?? 0); }

  /** Runs until stop(), a Redis error no retry can fix, or a permanent Adobe error. */
  async run(): Promise<RelayEnd> {
    this.data.connect().catch(() => undefined); // retried by ioredis; the publisher waits for it
    try {
      await this.redis.connect();
    } catch (e) {
      if (isFatalRedisError(e) || this.fatal) return this.finish({ kind: 'redis-fatal', message: this.fatal ?? describeRedisError(e, this.opts.target) });
      // Not reachable yet: ioredis keeps retrying with back-off; the loop waits for it.
    }
    const tick = this.tick;
    this.opts.log.info(`Relay ${this.id} on ${this.opts.target.display} key ${this.opts.key}: standing by for the lease (${this.opts.leaseMs} ms; max Redis outage ${this.maxOutageMs} ms).`);
    while (!this.stopping && !this.end) {
      if (this.fatal) return this.finish({ kind: 'redis-fatal', message: this.fatal });
      try {
        if (this.role === 'standby') await this.tryAcquire();
        else await this.renew();
      } catch (e) {
        if (isFatalRedisError(e)) return this.finish({ kind: 'redis-fatal', message: describeRedisError(e, this.opts.target) });
        // Redis down or slow: the leader keeps its Adobe connection (a lost one costs a cooldown) and
        // buffers, unless a standby may take over meanwhile (its OutageFence decides, on its own timer).
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
    // A stopped standby is no reason for a leader to step down: unregistered (or it expires within three leases).
    else if (this.redis.status === 'ready') await within(this.redis.zrem(this.keys.standbys, this.id), 1_000);
    this.redis.disconnect();
    this.data.disconnect();
    return end;
  }

  /** How long this standby must see the lease free before taking it (see outageFence.ts). */
  get takeoverWaitMs(): number {
    return Math.max(takeoverWaitMs(this.opts.leaseMs, this.maxOutageMs, this.tick), this.leaderBoundMs + this.tick);
  }

  private async tryAcquire(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    // Registered every tick, for three leases: a leader that loses Redis while we stand by steps down in time.
    await this.redis.relayRegister(this.keys.standbys, this.id, 3 * this.opts.leaseMs);
    const holder = await this.redis.get(this.keys.lease);
    const now = this.clock.now();
    if (holder) {
      this.freeSince = undefined;
      this.keySpaceUsed = true;
      if (holder !== this.lastHolder) { this.lastHolder = holder; this.opts.onStandby?.(holder.slice(0, 200)); }
      if (holder !== this.checkedHolder) await this.checkLeaderBounds(holder);
      return;
    }
    let fresh = false;
    if (this.freeSince === undefined) {
      this.freeSince = now;
      // A brand-new key space (nothing ever relayed here) needs no grace period. One that only
      // looks new because Redis lost every key may still have a leader connected to Adobe.
      if (this.keySpaceUsed || (await this.redis.exists(this.keys.stream, this.keys.status, this.keys.cooldown)) !== 0) return;
      fresh = true;
    } else if (now - this.freeSince < this.takeoverWaitMs) return;
    const fence = await this.redis.incr(this.keys.fence);
    const token = `${fence}:${this.id}`;
    const sentAt = this.clock.now();
    const ok = await this.redis.set(this.keys.lease, token, 'PX', this.opts.leaseMs, 'NX');
    if (ok !== 'OK') { this.freeSince = undefined; return; }
    this.freeSince = undefined;
    this.token = token;
    this.fence = fence;
    try {
      await this.becomeLeader(sentAt, fresh);
    } catch (e) {
      // Half a leader (Redis failed while it took over) would hold the lease with no connection: give it back.
      this.opts.log.warn(`Taking over failed (${describeRedisError(e, this.opts.target)}): standing by again.`);
      await this.stepDown('released', 'Taking over failed.');
      throw e;
    }
  }

  /**
   * Reads the leader's published lease and outage bound once per holder: a standby
   * configured otherwise warns, and waits for the leader's bound too before taking a free lease.
   */
  private async checkLeaderBounds(holder: string): Promise<void> {
    const id = holder.slice(holder.indexOf(':') + 1);
    const s = parseRelayStatus(await this.redis.hgetall(this.keys.status).catch(() => undefined));
    if (!s || s.leader !== id) return; // its first status is not written yet (or unreadable): next tick
    this.checkedHolder = holder;
    const who = id.slice(0, 120);
    if (s.leaseMs === undefined || s.maxRedisOutageMs === undefined) {
      this.leaderBoundMs = 0;
      this.opts.log.warn(`The leader (${who}) does not publish its --max-redis-outage (an older version?): cut off from Redis it would keep its Adobe connection while a standby takes over. Run the same version on every relay.`);
      return;
    }
    this.leaderBoundMs = Math.max(0, s.maxRedisOutageMs - s.leaseMs);
    if (s.maxRedisOutageMs !== this.maxOutageMs || s.leaseMs !== this.opts.leaseMs) {
      this.opts.log.warn(`The leader (${who}) uses --lease-seconds ${s.leaseMs / 1000} --max-redis-outage ${s.maxRedisOutageMs / 1000}, this relay ${this.opts.leaseMs / 1000} and ${this.maxOutageMs / 1000}: every relay of one key should use the same values. This relay waits ${this.takeoverWaitMs} ms before taking a free lease (the longer bound).`);
    }
  }

  /**
   * `acquiredAt`: when the lease was taken (monotonic), the first "renewal". `fresh`: a brand-new
   * key space, so no earlier relay can still hold an Adobe connection.
   */
  private async becomeLeader(acquiredAt: number, fresh: boolean): Promise<void> {
    this.role = 'leader';
    this.keySpaceUsed = true;
    this.lastHolder = undefined;
    this.checkedHolder = undefined;
    this.opts.log.info(`Relay ${this.id} is the leader (fence ${this.fence}).`);
    this.outage = new OutageFence({ clock: this.clock, maxRedisOutageMs: this.maxOutageMs, onFence: () => this.selfFence() });
    // Until a renewal counts them, a standby may exist: stepping down costs a cooldown, a second connection a 409.
    this.outage.renewed(acquiredAt, 1);
    // Counted at once, before the engine connects: a lone leader cut off right after taking over keeps its connection.
    const sentAt = this.clock.now();
    const first = parseRenewReply(await this.redis.relayRenew(this.keys.lease, this.keys.standbys, this.token, this.opts.leaseMs, this.id).catch(() => undefined));
    if (first && first.result !== 0) this.outage.renewed(sentAt, first.standbys);
    // The previous leader may hold (or have just held) an Adobe connection that left no mark: one it
    // opened while cut off from Redis, say. Unless it released the lease cleanly, count a loss now.
    const prev = fresh ? undefined : parseRelayStatus(await this.redis.hgetall(this.keys.status).catch(() => undefined));
    const assumeLoss = !fresh && !(prev?.state === 'released' && prev.fence === this.fence - 1);
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
    this.publisher = new Publisher(this.data, this.keys, this.token, {
      maxlen: this.opts.maxlen,
      leaseMs: this.opts.leaseMs,
      maxBufferedHits: this.opts.maxBufferedHits,
      log: this.opts.log,
      onFenced: () => { this.opts.log.warn('Another relay holds the lease now (fenced write refused): stepping down.'); void this.stepDown('standby', 'Another relay took over.'); },
      // Holding the Adobe connection while no hit can be published helps nobody: end, as for a wrong password.
      onFatal: (e) => { this.fatal = `Publishing to Redis failed: ${describeRedisError(e, this.opts.target)}`; this.wake?.(); },
    });
    const n = Math.max(1, this.opts.connections ?? 1);
    this.merged = n > 1 ? new DedupeWindow() : undefined;
    this.engines = [];
    for (let i = 0; i < n; i++) this.engines.push(this.opts.engine(cooldown, i));
    await cooldown.load(this.engines[0].streamKey, Date.now(), assumeLoss);
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
    const token = this.token;
    // The outage is counted from when a successful renewal was sent: Redis extended the lease no earlier.
    const sentAt = this.clock.now();
    const reply = parseRenewReply(await this.redis.relayRenew(this.keys.lease, this.keys.standbys, token, this.opts.leaseMs, this.id));
    if (this.role !== 'leader' || this.token !== token) return; // stepped down meanwhile
    if (!reply) { this.opts.log.warn('The lease renewal gave an unexpected answer: counted as failed.'); return; }
    if (reply.result !== 0) this.outage?.renewed(sentAt, reply.standbys);
    if (reply.result === 2) this.opts.log.warn('The lease was gone from Redis (restarted or flushed?): taken back, still holding the Adobe connection.');
    if (reply.result === 0) {
      this.opts.log.warn('Lost the lease to another relay: closing the Adobe connection.');
      await this.stepDown('standby', 'Another relay took over.');
    }
  }

  /** Redis has been silent for maxRedisOutage while a standby was registered: it may take the lease, so this relay must not hold the Adobe connection. */
  private selfFence(): void {
    if (this.role !== 'leader' || this.stopping) return;
    void this.stepDown('standby', `Could not reach Redis for ${this.maxOutageMs / 1000} s while a standby may take over.`, 'outage');
  }

  /** Leaves the leader role: closes the Adobe connection(s) (the loss is recorded), flushes, releases. */
  private async stepDown(next: 'standby' | 'released', reason: string, cause?: 'outage'): Promise<void> {
    if (this.role !== 'leader') return;
    this.role = 'standby';
    this.outage?.stop();
    this.outage = undefined;
    const engines = this.engines;
    this.engines = [];
    await Promise.all(engines.map((e) => e.stop(reason)));
    await Promise.all(this.runs.map((r) => r.catch(() => undefined)));
    const pub = this.publisher;
    let unpublished = 0;
    if (pub) {
      if (next === 'released' && !(await pub.drain(3_000))) this.opts.log.warn(`${pub.buffered} hits were still waiting for Redis at shutdown: not published.`);
      pub.stop();
      // Another relay publishes from now on: what this one still holds will never reach Redis. Counted, never silent.
      if (next === 'standby') unpublished = pub.buffered;
      this.droppedBefore += pub.dropped + unpublished;
    }
    if (cause === 'outage') {
      this.opts.log.error(`Could not reach Redis for ${this.maxOutageMs / 1000} s while a standby may take over: closed the Adobe connection so that two relays never hold it at once${unpublished ? ` (${unpublished} hits not yet published are counted as dropped)` : ''}. Standing by until Redis is reachable again.`);
    } else if (unpublished) this.opts.log.warn(`${unpublished} hits not yet published when this relay stepped down are counted as dropped.`);
    // Redis may be unreachable (that may be why we step down): never wait for it for long.
    await within(this.cooldown?.flush(), 3_000);
    if (next === 'released') {
      this.engineSnapshot = engines[0]?.snapshot();
      this.writeStatus({ state: 'released' });
      await within(this.redis.relayRelease(this.keys.lease, this.token), 3_000);
    }
    await Promise.all(engines.map((e) => e.dispose()));
    this.publisher = undefined;
    this.seen = undefined;
    this.merged = undefined;
    this.connectedSince = undefined;
    this.token = '';
    this.freeSince = undefined;
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
    const s = { ...statusFromSnapshot(snap, { leader: this.id, fence: this.fence, dropped: this.dropped, buffered: this.publisher?.buffered ?? 0, connectedSince: this.connectedSince, now: Date.now(), leaseMs: this.opts.leaseMs, maxRedisOutageMs: this.maxOutageMs }), ...override };
    this.opts.onStatus?.(s, this.role);
    if (this.redis.status !== 'ready') return;
    // Fields absent now (no cooldown end, no error) are deleted, so a viewer never shows a stale one.
    const fields = statusFields(s);
    const absent = ['until', 'lastErrorCode', 'lastErrorDescription', 'connectedSince'].filter((k) => s[k as keyof RelayStatus] === undefined);
    void this.redis.relayFencedHset(this.keys.lease, this.keys.status, this.token, this.opts.leaseMs, ...fields, '--del', ...absent).catch(() => undefined);
    if (this.connectedSince !== undefined) this.cooldown?.markHolding();
  }
}

/** Waits for `p` at most `ms`; its failure is ignored (best-effort Redis calls on the way out). */
async function within(p: Promise<unknown> | undefined, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p?.catch(() => undefined), new Promise<void>((r) => { t = setTimeout(r, ms); })]);
  clearTimeout(t);
}
