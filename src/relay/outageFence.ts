import type { Clock, TimerHandle } from '../stream/clock';

/**
 * Why a leader cut off from Redis may have to drop its Adobe connection, and
 * how long a standby must wait before it takes a free lease.
 *
 * A standby cannot tell a dead leader from one that is partitioned from Redis
 * but still connected to Adobe. If it took the lease one TTL after it expired,
 * a partitioned leader would still hold its connection, and the standby's own
 * (after the cooldown) would be a second one: a 409 with maxConnections=1. So:
 *
 * - the leader steps down by itself once it has not renewed its lease for
 *   `maxRedisOutageMs` (counted from the send time of its last successful
 *   renewal), if that renewal told it a standby was registered. A lone leader
 *   keeps its connection through any Redis outage (nobody can take over);
 * - a standby takes an expired lease only after seeing it free for
 *   `takeoverWaitMs` ≥ maxRedisOutage − lease. The lease expired at least one
 *   lease after the leader's last successful renewal was sent, so by then the
 *   partitioned leader has dropped, and the cooldown the standby then counts
 *   from its takeover covers the old connection's ghost.
 */

/** Monotonic milliseconds (wall-clock based origin): the outage is measured by a clock that an NTP step cannot move. */
export const monotonicClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle,
  clearTimeout: (h) => { if (h) clearTimeout(h as unknown as NodeJS.Timeout); },
};

/** Default of `--max-redis-outage`: under the 60 s cooldown, well over a few lost renewals of the 10 s lease. */
export const DEFAULT_MAX_REDIS_OUTAGE_MS = 45_000;

/**
 * How long a standby must see the lease free before taking it: a whole lease
 * (a leader whose lease vanished in a Redis restart takes it back within a third
 * of one), and at least maxRedisOutage − lease (a partitioned leader has stepped
 * down by then), plus `marginMs` (one of the standby's ticks) so the leader's
 * timer and the closing of its connection do not race the takeover.
 */
export function takeoverWaitMs(leaseMs: number, maxRedisOutageMs: number, marginMs: number): number {
  return Math.max(leaseMs, maxRedisOutageMs - leaseMs) + marginMs;
}

export interface OutageFenceOptions {
  /** Monotonic time (monotonicClock in production, a fake one in tests). */
  clock: Clock;
  maxRedisOutageMs: number;
  /** Called once, when the leader must step down. */
  onFence(info: { silentMs: number; standbys: number }): void;
}

/**
 * The leader's side: fed every successful renewal (its send time and how many
 * standbys Redis counted), it calls `onFence` once Redis has been silent for
 * `maxRedisOutageMs` while a standby was known. A timer of its own, not the
 * renewal loop, decides: a renewal stuck on a dead socket must not delay it.
 */
export class OutageFence {
  private lastOkSentAt?: number;
  private standbys = 0;
  private timer?: TimerHandle;
  private done = false;

  constructor(private readonly opts: OutageFenceOptions) {}

  /** A renewal sent at `sentAt` (clock time) succeeded; Redis counted `standbys` other relays standing by. */
  renewed(sentAt: number, standbys: number): void {
    if (this.done) return;
    // An older renewal answered late tells nothing newer.
    if (this.lastOkSentAt !== undefined && sentAt < this.lastOkSentAt) return;
    this.lastOkSentAt = sentAt;
    this.standbys = standbys;
    this.arm();
  }

  /** When the leader will step down if Redis stays silent (clock time), or undefined while no standby is known. */
  get deadline(): number | undefined {
    return !this.done && this.standbys > 0 && this.lastOkSentAt !== undefined ? this.lastOkSentAt + this.opts.maxRedisOutageMs : undefined;
  }

  stop(): void {
    this.done = true;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const due = this.deadline;
    if (due === undefined) return;
    this.timer = this.opts.clock.setTimeout(() => this.check(), due - this.opts.clock.now());
  }

  private check(): void {
    this.timer = undefined;
    if (this.done || this.lastOkSentAt === undefined) return;
    const silentMs = this.opts.clock.now() - this.lastOkSentAt;
    if (silentMs < this.opts.maxRedisOutageMs) { this.arm(); return; }
    this.stop();
    this.opts.onFence({ silentMs, standbys: this.standbys });
  }
}
