/**
 * All engine timing goes through a Clock so unit tests can drive minutes of
 * cooldown in microseconds (see test/support/fakeClock.ts).
 */
export interface TimerHandle { readonly __timer: true }

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/**
 * The longest delay one Node timer can hold (2^31-1 ms, about 24.8 days). Node
 * turns any longer delay into 1 ms, so a long wait must be chained from shorter
 * timers (see withLongTimers), or it silently becomes no wait at all.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

const CHAINS = Symbol('chains long timers');

/** The handle of a chained timer: the timer currently armed on the underlying clock. */
interface ChainedHandle extends TimerHandle {
  [CHAINS]: true;
  inner?: TimerHandle;
  cleared: boolean;
}

const isChained = (h: TimerHandle): h is ChainedHandle => (h as Partial<ChainedHandle>)[CHAINS] === true;

/**
 * A clock whose setTimeout accepts any delay: delays above MAX_TIMER_DELAY_MS
 * are served by a chain of timers on `base`, so a 30-day wait fires after 30
 * days. Shorter delays are passed through unchanged (the handle is the base
 * clock's own). Wrapping a wrapped clock returns it as it is.
 */
export function withLongTimers(base: Clock): Clock {
  if ((base as Clock & { [CHAINS]?: true })[CHAINS]) return base;
  const clock: Clock & { [CHAINS]: true } = {
    [CHAINS]: true,
    now: () => base.now(),
    setTimeout(fn, ms) {
      if (!(ms > MAX_TIMER_DELAY_MS)) return base.setTimeout(fn, ms);
      const h: ChainedHandle = { __timer: true, [CHAINS]: true, cleared: false };
      const arm = (remaining: number): void => {
        if (h.cleared) return;
        h.inner = remaining > MAX_TIMER_DELAY_MS
          ? base.setTimeout(() => arm(remaining - MAX_TIMER_DELAY_MS), MAX_TIMER_DELAY_MS)
          : base.setTimeout(fn, remaining);
      };
      arm(ms);
      return h;
    },
    clearTimeout(h) {
      if (!h) return;
      if (isChained(h)) { h.cleared = true; base.clearTimeout(h.inner); } else base.clearTimeout(h);
    },
  };
  return clock;
}

/** Node's timers as they are (a delay above MAX_TIMER_DELAY_MS fires after 1 ms). */
const nodeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    // Not unref'd: a pending reconnect is what keeps the CLI alive during a cooldown.
    return setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle;
  },
  clearTimeout: (h) => { if (h) clearTimeout(h as unknown as NodeJS.Timeout); },
};

/** Real time; any delay works (long ones are chained). */
export const systemClock: Clock = withLongTimers(nodeClock);
