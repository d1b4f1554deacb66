import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../stream/clock';

/** One interval's load of the thread the session runs on (the extension host's one JavaScript thread). */
export interface LoadSample {
  /** Share of the interval the event loop was busy, 0..1 (`performance.eventLoopUtilization`). */
  busy: number;
  /** 99th percentile of the event-loop delay over the interval, ms (`monitorEventLoopDelay`). */
  delayP99Ms: number;
  /**
   * Share of the interval, 0..1, that reading was held back because the
   * stream worker had not caught up (its backlog over the limit): the
   * worker, not this thread, is what cannot keep up then.
   */
  heldBack?: number;
}

export interface LoadMonitorOptions {
  clock: Clock;
  /** Called when `fallingBehind` changes. */
  onChange(fallingBehind: boolean): void;
  /** Measures the last interval (default: this thread's event loop). */
  sampler?: () => LoadSample;
  /** Cumulative ms reading was held back for the stream worker (added to the default sampler's figures). */
  heldBackMs?: () => number;
  intervalMs?: number;
}

/** Busy or delayed beyond these for BEHIND_AFTER intervals in a row: falling behind. */
export const BEHIND_BUSY = 0.8;
export const BEHIND_DELAY_MS = 200;
export const BEHIND_HELD_BACK = 0.5;
const BEHIND_AFTER = 2;
/** Under these for CAUGHT_UP_AFTER intervals in a row: caught up again. */
const OK_BUSY = 0.6;
const OK_DELAY_MS = 100;
const OK_HELD_BACK = 0.2;
const CAUGHT_UP_AFTER = 3;

/**
 * Says when the window's thread cannot keep up with the stream, so the status
 * bar and the panel show "falling behind" instead of hits silently arriving
 * late (the server drops what a slow client does not read). A thread that is
 * busy nearly all the time, or whose timers fire hundreds of ms late, is not
 * reading the socket as fast as hits arrive.
 */
export class LoadMonitor {
  private timer: TimerHandle | undefined;
  private behind = false;
  private over = 0;
  private under = 0;
  private stopSampler?: () => void;
  private sampler?: () => LoadSample;

  constructor(private readonly opts: LoadMonitorOptions) {}

  get fallingBehind(): boolean { return this.behind; }

  start(): void {
    if (this.timer) return;
    if (this.opts.sampler) this.sampler = this.opts.sampler;
    else {
      const d = eventLoopSampler(this.opts.heldBackMs);
      this.sampler = d.sample;
      this.stopSampler = d.stop;
    }
    this.over = this.under = 0;
    this.schedule();
  }

  stop(): void {
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.stopSampler?.();
    this.stopSampler = undefined;
    // Silent: whoever stops it publishes the new state anyway (connected → something else).
    this.behind = false;
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimeout(() => this.tick(), this.opts.intervalMs ?? 1000);
  }

  private tick(): void {
    const s = this.sampler!();
    const held = s.heldBack ?? 0;
    if (s.busy >= BEHIND_BUSY || s.delayP99Ms >= BEHIND_DELAY_MS || held >= BEHIND_HELD_BACK) { this.over++; this.under = 0; }
    else if (s.busy < OK_BUSY && s.delayP99Ms < OK_DELAY_MS && held < OK_HELD_BACK) { this.under++; this.over = 0; }
    else { this.over = 0; this.under = 0; }
    if (!this.behind && this.over >= BEHIND_AFTER) this.set(true);
    else if (this.behind && this.under >= CAUGHT_UP_AFTER) this.set(false);
    this.schedule();
  }

  private set(v: boolean): void {
    if (v === this.behind) return;
    this.behind = v;
    this.opts.onChange(v);
  }
}

/** This thread's event-loop utilization and delay, and the share held back for the worker, since the previous call. */
function eventLoopSampler(heldBackMs?: () => number): { sample: () => LoadSample; stop: () => void } {
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  h.enable();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  let lastAt = performance.now();
  let lastHeld = heldBackMs?.() ?? 0;
  return {
    sample: () => {
      const now = performance.eventLoopUtilization();
      const busy = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      const delayP99Ms = h.count ? h.percentile(99) / 1e6 : 0;
      h.reset();
      const at = performance.now();
      const held = heldBackMs?.() ?? 0;
      const heldBack = at > lastAt ? Math.min(1, (held - lastHeld) / (at - lastAt)) : 0;
      lastAt = at;
      lastHeld = held;
      return { busy, delayP99Ms, heldBack };
    },
    stop: () => h.disable(),
  };
}
