/**
 * When the next attempt may be made. The point of the product: Adobe's load
 * balancer keeps counting a lost connection for a while, so reconnecting at
 * once produces 409/503. After a loss, wait the cooldown; after failed
 * attempts, back off exponentially up to 10 minutes, with jitter that only adds.
 */
export interface PolicyOptions {
  /** Wait after a lost connection (default 60 s, Adobe's advice). */
  cooldownMs: number;
  /** Ceiling of the exponential back-off before jitter (default 10 min). */
  maxBackoffMs: number;
  /** Jitter adds up to this fraction of the delay (default 0.1). */
  jitter: number;
  /** [0, 1) source for jitter; injectable for tests. */
  random: () => number;
}

export const DEFAULT_COOLDOWN_MS = 60_000;
export const DEFAULT_MAX_BACKOFF_MS = 10 * 60_000;

export class ReconnectPolicy {
  readonly opts: PolicyOptions;

  constructor(opts: Partial<PolicyOptions> = {}) {
    this.opts = {
      cooldownMs: opts.cooldownMs ?? DEFAULT_COOLDOWN_MS,
      maxBackoffMs: opts.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
      jitter: opts.jitter ?? 0.1,
      random: opts.random ?? Math.random,
    };
    if (!(this.opts.cooldownMs >= 0)) throw new RangeError('cooldown must be ≥ 0');
  }

  /** Base delay (no jitter) after the n-th consecutive failed attempt (n ≥ 1). */
  baseDelayAfterFailure(n: number): number {
    const { cooldownMs, maxBackoffMs } = this.opts;
    const doubled = cooldownMs * 2 ** Math.min(Math.max(n, 1) - 1, 30);
    return Math.min(doubled, Math.max(maxBackoffMs, cooldownMs));
  }

  /** Delay after the n-th consecutive failed attempt, jitter included (never below the base). */
  delayAfterFailure(n: number): number {
    const base = this.baseDelayAfterFailure(n);
    return base + Math.floor(base * this.opts.jitter * clamp01(this.opts.random()));
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
}

function clamp01(x: number): number {
  return x < 0 || !Number.isFinite(x) ? 0 : x >= 1 ? 0.999999 : x;
}
