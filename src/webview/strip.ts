import type { EngineSnapshot } from '../shared/model';
import { formatCountdown, formatRate } from '../shared/statusView';
import { button, h } from './dom';
import { fmtCount, fmtTime } from './format';

export interface StripActions {
  connect(): void;
  connectDemo(): void;
  disconnect(): void;
  openSettings(): void;
}

export interface StripView {
  icon: string;
  cls: string;
  text: string;
  error?: string;
  errorTitle?: string;
  buttons: ('connect' | 'demo' | 'disconnect')[];
}

/** Time left in a cooldown ("42 s"), from the host's `until` and our estimate of the host clock. */
export function timeLeft(until: number, hostNow: number): string {
  return formatCountdown(until - hostNow);
}

/**
 * The state strip's content as a pure function of the engine model (the same
 * model as the status bar), the kept count and the host clock.
 */
export function stripView(e: EngineSnapshot, kept: number, maxHits: number, hostNow: number, utc: boolean, partial?: { arrived: number; shown: number }): StripView {
  const st = e.state;
  const counters = `${fmtCount(e.stats.received)} received · ${fmtCount(e.stats.duplicates)} dupes dropped · ${fmtCount(kept)}/${fmtCount(maxHits)} kept`;
  let v: StripView;
  switch (st.kind) {
    case 'idle':
      v = { icon: 'circle-outline', cls: 'idle', text: `Not connected · ${counters}`, buttons: ['connect', 'demo'] };
      break;
    case 'connecting':
      v = { icon: 'loading', cls: 'connecting', text: `Connecting${st.attempt > 1 ? ` (attempt ${st.attempt})` : ''}… · ${counters}`, buttons: ['disconnect'] };
      break;
    case 'connected':
      v = { icon: 'circle-filled', cls: 'connected', text: `Connected · ${formatRate(e.stats.hitsPerSecond)} hits/s · ${counters}`, buttons: ['disconnect'] };
      // Never silent: the host cannot keep up, or sends only the newest of what arrives.
      if (e.stats.fallingBehind) { v.icon = 'warning'; v.cls = 'behind'; v.text = `Connected · ${formatRate(e.stats.hitsPerSecond)} hits/s · falling behind · ${counters}`; }
      if (partial) v.text += ` · ${formatRate(e.stats.hitsPerSecond)} hits/s arriving, showing the newest ${fmtCount(partial.shown)} of every ${fmtCount(partial.arrived)}`;
      break;
    case 'cooldown': {
      const wait = st.auto ? `reconnecting in ${timeLeft(st.until, hostNow)}` : `connect again after ${fmtTime(st.until, utc)}`;
      v = { icon: 'watch', cls: 'cooldown', text: `Cooling down after ${st.code}, ${wait} · ${counters}`, buttons: st.auto ? ['disconnect'] : ['connect', 'demo'] };
      break;
    }
    case 'stopped':
      v = { icon: 'error', cls: 'stopped', text: `Stopped (${st.code}): ${st.reason} · ${counters}`, buttons: ['connect', 'demo'] };
      break;
  }
  const le = e.lastError;
  if (le) {
    const resolved = st.kind === 'connected' && st.since >= le.at;
    v.error = `last error ${le.code}${le.description ? ` “${le.description}”` : ''} — ${le.explanation} · ${fmtTime(le.at, utc)}${resolved ? ' (resolved)' : ''}`;
    v.errorTitle = v.error;
  }
  return v;
}

/** The state strip at the top of the panel. */
export class Strip {
  readonly el: HTMLElement;
  private readonly dot: HTMLElement;
  private readonly text: HTMLElement;
  private readonly error: HTMLElement;
  private readonly buttons: HTMLElement;
  private lastButtons = '';

  constructor(private readonly a: StripActions) {
    this.dot = h('span', { class: 'state-icon' });
    this.text = h('span', { class: 'state-text' });
    this.error = h('div', { class: 'state-error', hidden: true });
    this.buttons = h('span', { class: 'state-buttons' });
    const gear = button({ icon: 'settings-gear', title: 'Live Stream settings', class: 'btn icon-only', onClick: () => this.a.openSettings() });
    this.el = h('header', { class: 'strip', role: 'status', 'aria-live': 'polite' },
      h('div', { class: 'strip-line' }, this.dot, this.text, h('span', { class: 'spacer' }), this.buttons, gear),
      this.error);
  }

  render(v: StripView): void {
    this.el.dataset.state = v.cls;
    const iconCls = `state-icon codicon codicon-${v.icon}${v.icon === 'loading' ? ' codicon-modifier-spin' : ''}`;
    if (this.dot.className !== iconCls) this.dot.className = iconCls;
    if (this.text.textContent !== v.text) this.text.textContent = v.text;
    this.error.hidden = !v.error;
    if (v.error && this.error.textContent !== v.error) { this.error.textContent = v.error; this.error.title = v.errorTitle ?? ''; }
    const key = v.buttons.join(',');
    if (key !== this.lastButtons) {
      this.lastButtons = key;
      this.buttons.replaceChildren(...v.buttons.map((b) => actionButton(b, this.a)));
    }
  }
}

export function actionButton(b: 'connect' | 'demo' | 'disconnect', a: StripActions): HTMLButtonElement {
  switch (b) {
    case 'connect': return button({ icon: 'plug', label: 'Connect', class: 'btn primary', onClick: () => a.connect() });
    case 'demo': return button({ icon: 'beaker', label: 'Connect to Demo Stream', class: 'btn', onClick: () => a.connectDemo() });
    case 'disconnect': return button({ icon: 'debug-disconnect', label: 'Disconnect', class: 'btn', onClick: () => a.disconnect() });
  }
}

