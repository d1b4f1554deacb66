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

/** Resolves after `ms` on the given clock; rejects with an AbortError when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(abortError()); return; }
    const onAbort = () => { clock.clearTimeout(handle); reject(abortError()); };
    const handle = clock.setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}
