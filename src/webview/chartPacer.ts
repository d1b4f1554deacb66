/**
 * When the rate sparkline redraws: new hits mark it dirty and redraw it at most
 * every CHART_GAP_MS; a snapshot or a clear redraws on the next frame; the
 * once-a-second tick always redraws (the time window slides).
 */
import type { Hit } from '../shared/model';
import type { RateChart } from './chart';
import { measure } from './measure';

/** New hits redraw the sparkline at most this often (it also ticks every second). */
const CHART_GAP_MS = 250;

export class ChartPacer {
  private dirty = false;
  /** Set by a snapshot or a clear: the chart then redraws on the next frame, whatever the throttle says. */
  private now = false;
  private tickedAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `schedule` asks for the next UI frame (which calls render()). */
  constructor(private readonly chart: RateChart, private readonly schedule: () => void) {}

  add(hits: readonly Hit[]): void {
    for (const hit of hits) this.chart.add(hit.data.timeGMT);
    this.dirty = true;
  }

  /** Starts over (a snapshot or a clear): the next render() redraws at once. */
  reset(hits: readonly Hit[] = []): void {
    this.chart.clear();
    this.add(hits);
    this.now = true;
  }

  /**
   * Redraws the sparkline if it has new data. A redraw inside the throttle gap is
   * deferred to the gap's end, not dropped: dropping it left the chart waiting for
   * the 1 s tick, so a snapshot that arrived just after the first paint (the usual
   * case: the host answers `ready` within a few ms) showed "0.0 hits/s" next to a
   * table full of hits.
   */
  render(): void {
    if (!this.dirty) return;
    const wait = CHART_GAP_MS - (performance.now() - this.tickedAt);
    if (this.now || wait <= 0) { this.tick(); return; }
    this.timer ??= setTimeout(() => { this.timer = undefined; this.schedule(); }, wait);
  }

  /** Redraws now (the once-a-second tick: the window slides even without new hits). */
  tick(): void {
    this.dirty = false;
    this.now = false;
    this.tickedAt = performance.now();
    measure('lsi:chart', () => this.chart.tick());
  }
}
