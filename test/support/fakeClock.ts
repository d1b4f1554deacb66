import type { Clock, TimerHandle } from '../../src/stream/clock';

/** Node's own limit (2^31-1 ms), written out: the fake imitates Node, not our clock module. */
const NODE_MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * A manual clock: time only moves when a test calls advance(). Like Node's own
 * timers, a delay above 2^31-1 ms (about 24.8 days) or NaN fires after
 * 1 ms, so a test catches code that schedules a long wait without chaining it.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2026, 10, 27, 12, 0, 0)) { this.t = start; }

  now(): number { return this.t; }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    const delay = Number.isNaN(ms) || ms > NODE_MAX_TIMER_DELAY_MS ? 1 : Math.max(0, ms);
    this.timers.set(id, { at: this.t + delay, fn });
    return { __timer: true, id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.timers.delete((handle as unknown as { id: number }).id);
  }

  /** Number of timers still pending. */
  get pending(): number { return this.timers.size; }

  /** Time of the earliest pending timer, if any. */
  nextTimerAt(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers.values()) if (min === undefined || t.at < min) min = t.at;
    return min;
  }

  /** Moves time forward, firing due timers in order; yields to promises between timers. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flushMicrotasks();
      let nextId: number | undefined;
      let next: { at: number; fn: () => void } | undefined;
      for (const [id, t] of this.timers) if (t.at <= end && (!next || t.at < next.at)) { next = t; nextId = id; }
      if (!next || nextId === undefined) break;
      this.timers.delete(nextId);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await flushMicrotasks();
  }
}

export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}
