/**
 * When the next attempt may be made. The point of the product: Adobe's load
 * balancer keeps counting a lost connection for a while, so reconnecting at
 * once produces 409/503. After a loss, wait the cooldown; after failed
 * attempts, back off exponentially up to 10 minutes, with jitter that only adds.
 *
 * Failed attempts never wait less than MIN_FAILURE_BACKOFF_MS, whatever the
 * cooldown: `0 · 2ⁿ` is 0, and a cooldown of 0 (a legal setting) against a
 * server that always answers 503 used to send hundreds of requests a second.
 */
export interface PolicyOptions {
  /** Wait after a lost connection (default 60 s, Adobe's advice). */
  cooldownMs: number;
  /** Ceiling of the exponential back-off before jitter (default 10 min). */
  maxBackoffMs: number;
  /**
   * Floor of the back-off after a failed attempt (default MIN_FAILURE_BACKOFF_MS).
   * Only tests lower it (EngineOptions.minFailureBackoffMs); no setting reaches it.
   */
  minFailureBackoffMs: number;
  /** Jitter adds up to this fraction of the delay (default 0.1). */
  jitter: number;
  /** [0, 1) source for jitter; injectable for tests. */
  random: () => number;
}

export const DEFAULT_COOLDOWN_MS = 60_000;
export const DEFAULT_MAX_BACKOFF_MS = 10 * 60_000;
/** The shortest wait after a failed attempt (409, 5xx, network error), even with a cooldown of 0. */
export const MIN_FAILURE_BACKOFF_MS = 5_000;

export class ReconnectPolicy {
  readonly opts: PolicyOptions;

  constructor(opts: Partial<PolicyOptions> = {}) {
    this.opts = {
      cooldownMs: opts.cooldownMs ?? DEFAULT_COOLDOWN_MS,
      maxBackoffMs: opts.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
      minFailureBackoffMs: opts.minFailureBackoffMs ?? MIN_FAILURE_BACKOFF_MS,
      jitter: opts.jitter ?? 0.1,
      random: opts.random ?? Math.random,
    };
    if (!(this.opts.cooldownMs >= 0)) throw new RangeError('cooldown must be ≥ 0');
    if (!(this.opts.minFailureBackoffMs >= 0) || !Number.isFinite(this.opts.minFailureBackoffMs)) throw new RangeError('minimum back-off must be a finite number ≥ 0');
  }

  /** Base delay (no jitter) after the n-th consecutive failed attempt (n ≥ 1): from max(cooldown, floor), doubling, capped. */
  baseDelayAfterFailure(n: number): number {
    const { cooldownMs, maxBackoffMs, minFailureBackoffMs } = this.opts;
    const doubled = Math.max(cooldownMs, minFailureBackoffMs) * 2 ** Math.min(Math.max(n, 1) - 1, 30);
    return Math.min(doubled, Math.max(maxBackoffMs, cooldownMs, minFailureBackoffMs));
  }

  /** Delay after the n-th consecutive failed attempt, jitter included (never below the base). */
  delayAfterFailure(n: number): number {
    return this.withJitter(this.baseDelayAfterFailure(n));
  }

  /**
   * Wait after an established connection was lost. Normally the cooldown. But
   * a connection that died young (within `minFailureBackoffMs`, see isQuickLoss)
   * counts as a failed attempt: with `failures` such attempts in a row, the wait
   * is at least the failure floor (5 s, 10 s, … 10 min). Without this, a cooldown
   * of 0 and a server that accepts and drops every connection loop as fast as
   * the loopback allows. With a cooldown above the floor this is the cooldown.
   */
  delayAfterLoss(failures: number): number {
    const { cooldownMs, maxBackoffMs, minFailureBackoffMs } = this.opts;
    if (failures <= 0) return cooldownMs;
    const floor = Math.min(minFailureBackoffMs * 2 ** Math.min(failures - 1, 30), Math.max(maxBackoffMs, minFailureBackoffMs));
    return floor > cooldownMs ? this.withJitter(floor) : cooldownMs;
  }

  /** A connection that lasted less than the failure floor is a failed attempt, not a healthy connection. */
  isQuickLoss(connectedForMs: number): boolean {
    return connectedForMs < this.opts.minFailureBackoffMs;
  }

  /** The longest wait this policy ever asks for (jitter included): what a sane shared `notBefore` can be ahead of now. */
  maxWaitMs(): number {
    const { cooldownMs, maxBackoffMs, minFailureBackoffMs, jitter } = this.opts;
    return Math.ceil(Math.max(cooldownMs, maxBackoffMs, minFailureBackoffMs) * (1 + Math.max(0, jitter)));
  }

  /**
   * Earliest time the next attempt may start, from the shared record:
   * never sooner than `cooldown` after the last loss, nor before `notBefore`.
   */
  earliestAttempt(rec: { lastLossAt?: number; notBefore?: number }): number {
    let t = 0;
    if (rec.lastLossAt !== undefined) t = rec.lastLossAt + this.opts.cooldownMs;
    if (rec.notBefore !== undefined && rec.notBefore > t) t = rec.notBefore;
    return t;
  }

  private withJitter(base: number): number {
    return base + Math.floor(base * this.opts.jitter * clamp01(this.opts.random()));
  }
}

function clamp01(x: number): number {
  return x < 0 || !Number.isFinite(x) ? 0 : x >= 1 ? 0.999999 : x;
}
