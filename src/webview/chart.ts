import uPlot from 'uplot';
import { secondsToMs } from '../analytics/summary';
import { h } from './dom';
import { RateBuckets } from './rate';

/**
 * The rate sparkline (uPlot, canvas): hits/s by hit time over the last 5
 * minutes. Colours are read from the theme's CSS variables because a canvas
 * cannot use `var(...)`; they are re-read when VS Code switches theme.
 */
export class RateChart {
  readonly el: HTMLElement;
  private readonly plotHost: HTMLElement;
  private readonly label: HTMLElement;
  readonly buckets = new RateBuckets(300);
  private plot: uPlot | undefined;
  private width = 0;

  constructor(private readonly nowMs: () => number) {
    this.plotHost = h('div', { class: 'spark-plot', 'aria-hidden': 'true' });
    this.label = h('span', { class: 'spark-label muted' });
    this.el = h('div', { class: 'spark', role: 'img', 'aria-label': 'Hits per second over the last 5 minutes' }, this.plotHost, this.label);
    new ResizeObserver(() => this.resize()).observe(this.plotHost);
    // VS Code swaps body classes (vscode-light/dark/high-contrast) on theme change.
    new MutationObserver(() => this.rebuild()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  add(timeGMT: unknown): void {
    // Read the hit time exactly as the table's Time column does (seconds or ms,
    // number or digit string), so a hit the table places in time is also counted here.
    const ms = secondsToMs(timeGMT);
    if (ms === undefined) return;
    this.buckets.add(ms / 1000, Math.floor(this.nowMs() / 1000));
  }

  clear(): void { this.buckets.clear(); }

  /** Called once a second and after batches (already throttled by the caller to animation frames). */
  tick(): void {
    const now = Math.floor(this.nowMs() / 1000);
    this.buckets.prune(now);
    const [xs, ys] = this.buckets.series(now);
    const total = this.buckets.total(now);
    const peak = Math.max(0, ...ys);
    this.label.textContent = `${(total / 300).toFixed(1)} hits/s avg · peak ${peak}/s (5 min, by hit time)`;
    this.el.setAttribute('aria-label', `Hits per second by hit time, last 5 minutes: average ${(total / 300).toFixed(1)}, peak ${peak}`);
    if (!this.plot) this.rebuild();
    // The window slides every second, so the data is always re-set (300 points: trivial).
    this.plot?.setData([xs, ys]);
  }

  private resize(): void {
    const w = Math.floor(this.plotHost.clientWidth);
    if (w <= 0 || w === this.width) return;
    this.width = w;
    if (this.plot) this.plot.setSize({ width: w, height: 28 }); else this.rebuild();
  }

  private rebuild(): void {
    const w = Math.floor(this.plotHost.clientWidth);
    if (w <= 0) return;
    this.width = w;
    const css = getComputedStyle(document.body);
    const stroke = css.getPropertyValue('--vscode-charts-blue').trim() || css.getPropertyValue('--vscode-focusBorder').trim() || '#3794ff';
    this.plot?.destroy();
    const now = Math.floor(this.nowMs() / 1000);
    this.plot = new uPlot({
      width: w,
      height: 28,
      pxAlign: 0,
      cursor: { show: false },
      legend: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke, width: 1, fill: withAlpha(stroke, 0.25), points: { show: false } }],
    }, this.buckets.series(now), this.plotHost);
  }
}

/** `#rrggbb` → `rgba(...)`; other colour syntaxes are returned unchanged (uPlot accepts any canvas colour). */
function withAlpha(color: string, a: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const n = parseInt(m[1]!, 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}
