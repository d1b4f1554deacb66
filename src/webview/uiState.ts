/**
 * The only state the webview keeps across reloads (VS Code `getState`/
 * `setState`): view choices, never hits — those come from the host snapshot.
 * Saved state outlives extension upgrades, so it is parsed forgivingly: every
 * field falls back to its default on its own.
 */
export const COLUMN_IDS = ['time', 'lag', 'type', 'suite', 'page', 'url', 'events', 'visitor', 'rules'] as const;
export type ColumnId = (typeof COLUMN_IDS)[number];

export const DEFAULT_WIDTHS: Record<ColumnId, number> = {
  time: 72, lag: 56, type: 64, suite: 110, page: 180, url: 220, events: 140, visitor: 150, rules: 64,
};
export const MIN_COL_WIDTH = 32;
export const MAX_COL_WIDTH = 2000;

export interface UiState {
  /** Schema of this object (independent of the protocol version). */
  v: 1;
  hidden: ColumnId[];
  widths: Record<ColumnId, number>;
  utc: boolean;
  filter: string;
  detailHidden: boolean;
  /** Width (side layout) or height (stacked layout) of the detail pane in px. */
  detailSize: number;
  detailTab: 'decoded' | 'raw';
}

export function defaultUiState(): UiState {
  return { v: 1, hidden: [], widths: { ...DEFAULT_WIDTHS }, utc: false, filter: '', detailHidden: false, detailSize: 380, detailTab: 'decoded' };
}

const isColumn = (c: unknown): c is ColumnId => typeof c === 'string' && (COLUMN_IDS as readonly string[]).includes(c);

export function parseUiState(raw: unknown): UiState {
  const s = defaultUiState();
  if (typeof raw !== 'object' || raw === null) return s;
  const r = raw as Record<string, unknown>;
  if (r.v !== 1) return s;
  if (Array.isArray(r.hidden)) s.hidden = [...new Set(r.hidden.filter(isColumn))];
  if (typeof r.widths === 'object' && r.widths !== null) {
    for (const c of COLUMN_IDS) {
      const w = (r.widths as Record<string, unknown>)[c];
      if (typeof w === 'number' && Number.isFinite(w)) s.widths[c] = Math.min(MAX_COL_WIDTH, Math.max(MIN_COL_WIDTH, Math.round(w)));
    }
  }
  if (typeof r.utc === 'boolean') s.utc = r.utc;
  if (typeof r.filter === 'string' && r.filter.length <= 10_000) s.filter = r.filter;
  if (typeof r.detailHidden === 'boolean') s.detailHidden = r.detailHidden;
  if (typeof r.detailSize === 'number' && Number.isFinite(r.detailSize)) s.detailSize = Math.min(4000, Math.max(160, Math.round(r.detailSize)));
  if (r.detailTab === 'decoded' || r.detailTab === 'raw') s.detailTab = r.detailTab;
  return s;
}
