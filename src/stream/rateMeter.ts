import type { Clock } from './clock';

/** Hits per second over a sliding window of whole seconds (default 5 s). */
export class RateMeter {
  private readonly buckets: number[];
  private readonly stamps: number[];

  constructor(private readonly clock: Clock, private readonly windowSeconds = 5) {
    this.buckets = new Array(windowSeconds + 1).fill(0);
    this.stamps = new Array(windowSeconds + 1).fill(-1);
  }

  add(n: number): void {
    const sec = Math.floor(this.clock.now() / 1000);
    const i = sec % this.buckets.length;
    if (this.stamps[i] !== sec) { this.stamps[i] = sec; this.buckets[i] = 0; }
    this.buckets[i] += n;
  }

  /** Average over the last `windowSeconds` complete seconds plus the current one, weighted by elapsed time. */
  perSecond(): number {
    const now = this.clock.now();
    const sec = Math.floor(now / 1000);
    let total = 0;
    for (let k = 0; k <= this.windowSeconds; k++) {
      const s = sec - k;
      const i = ((s % this.buckets.length) + this.buckets.length) % this.buckets.length;
      if (this.stamps[i] === s) total += this.buckets[i];
    }
    const span = this.windowSeconds + (now - sec * 1000) / 1000;
    return total / span;
  }

  reset(): void { this.stamps.fill(-1); }
}
