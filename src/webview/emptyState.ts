/**
 * What the table says when it has no rows, instead of a blank: no match for
 * the filter (with a way to clear it), waiting for the extension, connecting,
 * connected but quiet, cooling down, or not connected (with the actions).
 */
import type { EngineSnapshot } from '../shared/model';
import { button, h } from './dom';
import { fmtCount } from './format';
import { actionButton, timeLeft, type StripActions } from './strip';

export interface EmptyStateInput {
  /** Rows shown (after the filter). */
  rows: number;
  /** Rows kept. */
  total: number;
  /** The applied filter text. */
  filter: string;
  engine: EngineSnapshot | undefined;
  hostNow: number;
  clearFilter(): void;
  actions: StripActions;
}

/** A key (the message changes when it does) and the nodes to show; no nodes when there are rows. */
export function emptyState(s: EmptyStateInput): [string, () => Node[]] {
  const p = (text: string) => () => [h('p', { text })];
  if (s.rows > 0) return ['rows', () => []];
  if (s.total > 0) {
    const f = s.filter;
    return [`nomatch:${f}:${s.total}`, () => [
      h('p', { text: `No hits match “${f}” (${fmtCount(s.total)} kept).` }),
      button({ icon: 'close', label: 'Clear filter', class: 'btn', onClick: s.clearFilter }),
    ]];
  }
  if (!s.engine) return ['loading', p('Waiting for the extension…')];
  const st = s.engine.state;
  switch (st.kind) {
    case 'connected': return ['connected', p('Connected, no hits yet. An idle report suite sends nothing; Live Stream latency is 20 s to 5 min.')];
    case 'connecting': return ['connecting', p('Connecting…')];
    case 'cooldown': {
      const text = st.auto
        ? `Cooling down after ${st.code}, reconnecting in ${timeLeft(st.until, s.hostNow)}.`
        : `Cooling down after ${st.code}; connecting earlier would be refused.`;
      return [`cooldown:${text}`, p(text)];
    }
    case 'idle':
    case 'stopped': {
      const why = st.kind === 'stopped' && st.code !== 'user' ? ` (${st.reason})` : '';
      return [`off:${why}`, () => [h('p', {}, `Not connected${why}: `, actionButton('connect', s.actions), ' ', actionButton('demo', s.actions))]];
    }
  }
}
