/**
 * Hits per second by HIT timestamp (`timeGMT`, Unix seconds) over a sliding
 * window. Live Stream delivers hits late and out of order, so each hit is
 * counted in the second it happened, whenever it arrives; hits older than the
 * window are ignored. Pure (no DOM), so it is unit-testable.
 */
export class RateBuckets {
  private readonly counts = new Map<number, number>();

  constructor(readonly windowSec = 300) {}

  /** Counts one hit at `hitSec`; ignored when it is outside the window ending at `nowSec`. */
  add(hitSec: number, nowSec: number): void {
    if (!Number.isFinite(hitSec)) return;
    // A hit "from the future" (client clock skew) still counts, in the newest bucket it can be shown in;
    // kept at its own second it would stay invisible (and out of the total) until the clock caught up.
    const s = Math.min(Math.floor(hitSec), nowSec);
    const start = nowSec - this.windowSec + 1;
    if (s < start) return;
    this.counts.set(s, (this.counts.get(s) ?? 0) + 1);
  }

  clear(): void { this.counts.clear(); }

  /** Drops buckets that fell out of the window (keeps the map bounded). */
  prune(nowSec: number): void {
    const start = nowSec - this.windowSec + 1;
    for (const s of this.counts.keys()) if (s < start) this.counts.delete(s);
  }

  /** `[seconds, counts]` for the window ending at `nowSec` (inclusive), one entry per second. */
  series(nowSec: number): [number[], number[]] {
    const xs: number[] = new Array(this.windowSec);
    const ys: number[] = new Array(this.windowSec);
    const start = nowSec - this.windowSec + 1;
    for (let i = 0; i < this.windowSec; i++) {
      xs[i] = start + i;
      ys[i] = this.counts.get(start + i) ?? 0;
    }
    return [xs, ys];
  }

  /** Total hits counted in the window (for the accessible label). */
  total(nowSec: number): number {
    const start = nowSec - this.windowSec + 1;
    let n = 0;
    for (const [s, c] of this.counts) if (s >= start && s <= nowSec) n += c;
    return n;
  }
}
