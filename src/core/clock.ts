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

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    // Not unref'd: a pending reconnect is what keeps the CLI alive during a cooldown.
    return setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle;
  },
  clearTimeout: (h) => { if (h) clearTimeout(h as unknown as NodeJS.Timeout); },
};
