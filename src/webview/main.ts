/**
 * Hits webview entry. Builds the UI with DOM APIs (no markup strings), talks to
 * the host only through src/shared/protocol.ts, and keeps nothing but UI
 * choices in getState/setState. See README.md in this folder for the design.
 */
import { compileFilter } from '../analytics/filter/compileFilter';
import type { EngineSnapshot, Hit } from '../shared/model';
import { EXPORT_FORMATS, EXPORT_LABELS, type ExportFormat } from '../analytics/exportFormat';
import { PROTOCOL_VERSION, isHostToWebview, type HostToWebview } from '../shared/protocol';
import { RateChart } from './chart';
import { Details } from './details';
import { button, h, icon } from './dom';
import { FilterBox } from './filterBox';
import { fmtCount } from './format';
import { columnLabel, Grid } from './grid';
import { HitList, type RowFilter } from './hitList';
import { openMenu } from './popup';
import { actionButton, timeLeft, Strip, stripView, type StripActions } from './strip';
import { COLUMN_IDS, parseUiState, type UiState } from './uiState';
import { getState, post, setState } from './vscodeApi';

const ui: UiState = parseUiState(getState());
const saveUi = () => setState(ui);

let engine: EngineSnapshot | undefined;
let myTraffic: string[] = [];
/** Host clock minus ours, from the last message's `now`: countdowns use the host's `until`. */
let clockOffset = 0;
const hostNow = () => Date.now() + clockOffset;

const list = new HitList();

const actions: StripActions = {
  connect: () => post({ type: 'connect' }),
  connectDemo: () => post({ type: 'connectDemo' }),
  disconnect: () => post({ type: 'disconnect' }),
  openSettings: () => post({ type: 'openSettings', query: 'liveStream' }),
};

// ------------------------------------------------------------------ widgets
const strip = new Strip(actions);
const chart = new RateChart(hostNow);

const filterBox = new FilterBox<RowFilter & { source: string }>({
  initial: ui.filter,
  compile: (text) => compileFilter(text, { myTraffic }),
  onApply: (filter, text) => {
    measure('lsi:refilter', () => list.setFilter(filter));
    if (ui.filter !== text) { ui.filter = text; saveUi(); }
    grid.update();
    scheduleUi();
  },
  openSettings: actions.openSettings,
});

const grid = new Grid({
  list,
  widths: ui.widths,
  hidden: ui.hidden,
  utc: ui.utc,
  onSelect: (seq) => showDetails(seq),
  onOpen: (seq) => {
    if (ui.detailHidden) setDetailHidden(false);
    showDetails(seq);
    details.focus();
  },
  onResize: (col, w) => { ui.widths[col] = w; saveUi(); },
});

const details = new Details({
  copyText: (text) => { post({ type: 'copyText', text }); toast('Copied to the clipboard.'); },
  copyHit: (seq) => { post({ type: 'copyHit', seq }); toast('Copied the hit’s exact JSON.'); },
  onTab: (tab) => { ui.detailTab = tab; saveUi(); },
  onHide: () => { setDetailHidden(true); grid.el.focus(); },
  onLeave: () => grid.el.focus(),
}, ui.detailTab);
details.setUtc(ui.utc);

function showDetails(seq: number | undefined): void {
  details.show(seq === undefined ? undefined : list.bySeq(seq)?.hit);
}

// ------------------------------------------------------------------ toolbar
const pauseIcon = icon('debug-pause');
const pauseLabel = h('span', { text: 'Pause' });
const pauseBtn = h('button', { type: 'button', class: 'btn', title: 'Hold the table still (new hits wait)', 'aria-pressed': 'false' }, pauseIcon, pauseLabel);
pauseBtn.addEventListener('click', () => setPaused(!list.paused));
const clearBtn = button({ icon: 'clear-all', label: 'Clear', class: 'btn', title: 'Drop all kept hits', onClick: () => clearAll() });
const exportBtn = button({
  icon: 'desktop-download', label: 'Export', class: 'btn', title: 'Export the filtered hits',
  onClick: () => openMenu(exportBtn, EXPORT_FORMATS.map((f) => ({
    label: EXPORT_LABELS[f],
    onSelect: () => requestExport(f),
  })), 'Export format'),
});
exportBtn.setAttribute('aria-haspopup', 'menu');
const columnsBtn = button({
  icon: 'list-selection', title: 'Columns', class: 'btn icon-only',
  onClick: () => openMenu(columnsBtn, COLUMN_IDS.map((c) => ({
    label: columnLabel(c),
    checked: !ui.hidden.includes(c),
    onSelect: () => toggleColumn(c),
  })), 'Visible columns'),
});
columnsBtn.setAttribute('aria-haspopup', 'menu');
const utcBtn = button({ label: 'UTC', class: 'btn toggle', title: 'Show times in UTC instead of local time', onClick: () => setUtc(!ui.utc) });
const detailBtn = button({ icon: 'layout-sidebar-right', title: 'Show or hide the detail pane', class: 'btn icon-only', onClick: () => setDetailHidden(!ui.detailHidden) });

const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Hits' }, pauseBtn, clearBtn, exportBtn, filterBox.el, columnsBtn, utcBtn, detailBtn);
const toolbar2 = h('div', { class: 'toolbar2' }, filterBox.chipsEl, chart.el);

const pauseText = h('span', { class: 'pause-text' });
const pauseBar = h('div', { class: 'pausebar', role: 'status', hidden: true }, pauseText,
  button({ icon: 'debug-continue', label: 'Resume', class: 'btn primary', onClick: () => setPaused(false) }));
const toastEl = h('div', { class: 'toast', role: 'status', 'aria-live': 'polite', hidden: true });

const splitter = h('div', { class: 'splitter', role: 'separator', tabindex: 0, 'aria-label': 'Resize detail pane', 'aria-orientation': 'vertical' });
const main = h('div', { class: 'main' }, grid.el, splitter, details.el);

document.getElementById('app')!.append(strip.el, toolbar, toolbar2, main, pauseBar, toastEl);

// ------------------------------------------------------------------ layout: detail pane
/** Below this width the detail pane moves under the table. */
const STACK_BELOW_PX = 720;
let stacked = false;
new ResizeObserver(() => {
  const s = main.clientWidth < STACK_BELOW_PX;
  if (s !== stacked) { stacked = s; applyLayout(); }
}).observe(main);

function applyLayout(): void {
  main.classList.toggle('stacked', stacked);
  main.classList.toggle('detail-hidden', ui.detailHidden);
  splitter.hidden = ui.detailHidden;
  details.el.hidden = ui.detailHidden;
  splitter.setAttribute('aria-orientation', stacked ? 'horizontal' : 'vertical');
  main.style.setProperty('--detail-size', `${ui.detailSize}px`);
  detailBtn.setAttribute('aria-pressed', ui.detailHidden ? 'false' : 'true');
  utcBtn.setAttribute('aria-pressed', ui.utc ? 'true' : 'false');
}

function setDetailHidden(hidden: boolean): void {
  ui.detailHidden = hidden;
  saveUi();
  applyLayout();
}

splitter.addEventListener('pointerdown', (e) => {
  e.preventDefault();
  splitter.setPointerCapture(e.pointerId);
  const start = stacked ? e.clientY : e.clientX;
  const startSize = ui.detailSize;
  const move = (ev: PointerEvent) => {
    const delta = (stacked ? ev.clientY : ev.clientX) - start;
    ui.detailSize = clampDetail(startSize - delta);
    main.style.setProperty('--detail-size', `${ui.detailSize}px`);
  };
  const up = () => {
    splitter.removeEventListener('pointermove', move);
    splitter.removeEventListener('pointerup', up);
    saveUi();
  };
  splitter.addEventListener('pointermove', move);
  splitter.addEventListener('pointerup', up);
});
splitter.addEventListener('keydown', (e) => {
  const grow = stacked ? 'ArrowUp' : 'ArrowLeft';
  const shrink = stacked ? 'ArrowDown' : 'ArrowRight';
  if (e.key !== grow && e.key !== shrink) return;
  e.preventDefault();
  ui.detailSize = clampDetail(ui.detailSize + (e.key === grow ? 24 : -24));
  applyLayout();
  saveUi();
});
function clampDetail(px: number): number {
  const max = (stacked ? main.clientHeight : main.clientWidth) - 120;
  return Math.round(Math.max(160, Math.min(Math.max(160, max), px)));
}

// ------------------------------------------------------------------ actions
function setPaused(paused: boolean): void {
  const wasPaused = list.paused;
  list.setPaused(paused);
  if (wasPaused && !paused) grid.update();
  scheduleUi();
}

function clearAll(): void {
  post({ type: 'clear' });
  applyCleared();
}

function applyCleared(): void {
  list.clear();
  chart.clear();
  // Redraw at once: otherwise the old rate stays up beside an empty table until the next tick.
  chartDirty = true;
  chartNow = true;
  grid.select(undefined, false);
  grid.update();
  scheduleUi();
}

function requestExport(format: ExportFormat): void {
  // The filter that is applied (what the table shows), not a half-typed invalid one.
  post({ type: 'export', format, filter: filterBox.applied });
  toast(`Exporting ${format.toUpperCase()}…`);
}

function toggleColumn(c: (typeof COLUMN_IDS)[number]): void {
  const hidden = new Set(ui.hidden);
  if (hidden.has(c)) hidden.delete(c);
  else if (COLUMN_IDS.length - hidden.size > 1) hidden.add(c); // keep at least one column
  ui.hidden = COLUMN_IDS.filter((x) => hidden.has(x));
  saveUi();
  grid.setColumns(ui.hidden);
}

function setUtc(utc: boolean): void {
  ui.utc = utc;
  saveUi();
  grid.setUtc(utc);
  details.setUtc(utc);
  applyLayout();
  scheduleUi();
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
function toast(text: string): void {
  toastEl.textContent = text;
  toastEl.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toastEl.hidden = true; }, 2500);
}

// ------------------------------------------------------------------ keyboard
document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement | null;
  const typing = !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable);
  if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
    e.preventDefault();
    filterBox.focus();
  }
});

// ------------------------------------------------------------------ host messages
/** Times a unit of work as a User Timing measure (the bench reads these); one entry per name is kept. */
function measure<T>(name: string, fn: () => T): T {
  performance.clearMarks(name);
  performance.clearMeasures(name);
  performance.mark(name);
  try { return fn(); } finally { performance.measure(name, name); }
}

/** New hits redraw the sparkline at most this often (it also ticks every second). */
const CHART_GAP_MS = 250;
let chartDirty = false;
/** Set by a snapshot or a clear: the chart then redraws on the next frame, whatever the throttle says. */
let chartNow = false;
let chartTickedAt = -Infinity;
let chartTimer: ReturnType<typeof setTimeout> | undefined;
function addToChart(hits: readonly Hit[]): void {
  for (const hit of hits) chart.add(hit.data.timeGMT);
  chartDirty = true;
}

/**
 * Redraws the sparkline if it has new data. A redraw inside the throttle gap is
 * deferred to the gap's end, not dropped: dropping it left the chart waiting for
 * the 1 s tick, so a snapshot that arrived just after the first paint (the usual
 * case: the host answers `ready` within a few ms) showed "0.0 hits/s" next to a
 * table full of hits.
 */
function renderChart(): void {
  if (!chartDirty) return;
  const wait = CHART_GAP_MS - (performance.now() - chartTickedAt);
  if (chartNow || wait <= 0) { tickChart(); return; }
  chartTimer ??= setTimeout(() => { chartTimer = undefined; scheduleUi(); }, wait);
}


function onMessage(msg: HostToWebview): void {
  switch (msg.type) {
    case 'snapshot': {
      clockOffset = msg.now - Date.now();
      engine = msg.engine;
      const trafficChanged = myTraffic.join('\n') !== msg.myTraffic.join('\n');
      myTraffic = msg.myTraffic;
      if (trafficChanged) filterBox.apply();
      list.replace(msg.hits, msg.maxHits);
      // The chart shows the stream's rate, so it counts hits also while the table is paused.
      chart.clear();
      addToChart(msg.hits);
      chartNow = true;
      if (grid.selectedSeq !== undefined && !list.bySeq(grid.selectedSeq)) grid.select(undefined, false);
      grid.update();
      break;
    }
    case 'hits': {
      clockOffset = msg.now - Date.now();
      if (msg.engine) engine = msg.engine;
      const added = list.append(msg.hits);
      if (msg.oldestSeq !== undefined) list.dropBefore(msg.oldestSeq);
      addToChart(msg.hits);
      grid.update(added);
      break;
    }
    case 'state':
      clockOffset = msg.now - Date.now();
      engine = msg.engine;
      break;
    case 'cleared':
      applyCleared();
      break;
    case 'exportResult':
      if (msg.outcome === 'done') toast(`Exported ${fmtCount(msg.count)} hits.`);
      else if (msg.outcome === 'cancelled') toast('Export cancelled.');
      else toast(`Export failed: ${msg.error ?? 'unknown error'}`);
      break;
  }
  scheduleUi();
}

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const msg = ev.data;
  if (!isHostToWebview(msg)) {
    const type = typeof msg === 'object' && msg !== null ? String((msg as { type?: unknown }).type).slice(0, 40) : typeof msg;
    post({ type: 'log', level: 'warn', message: `ignored an invalid host message (type ${type})` });
    return;
  }
  measure('lsi:apply', () => onMessage(msg));
});

// ------------------------------------------------------------------ chrome (strip, empty state, pause bar)
let uiPending = false;
function scheduleUi(): void {
  if (uiPending) return;
  uiPending = true;
  requestAnimationFrame(() => { uiPending = false; measure('lsi:ui', renderUi); });
}

let emptyKey = '';
function renderUi(): void {
  const maxHits = list.maxHits;
  if (engine) strip.render(stripView(engine, list.total, maxHits, hostNow(), ui.utc));
  renderChart();

  pauseIcon.className = `codicon codicon-${list.paused ? 'debug-continue' : 'debug-pause'}`;
  pauseLabel.textContent = list.paused ? 'Resume' : 'Pause';
  pauseBtn.setAttribute('aria-pressed', list.paused ? 'true' : 'false');
  pauseBar.hidden = !list.paused;
  if (list.paused) {
    const n = list.waitingCount;
    pauseText.textContent = `Paused · ${fmtCount(n)} new hit${n === 1 ? '' : 's'} waiting`;
  }

  // Empty states say what is going on instead of showing a blank table.
  const [key, nodes] = emptyState();
  if (key !== emptyKey) { emptyKey = key; grid.setEmpty(nodes()); }
}

function emptyState(): [string, () => Node[]] {
  const p = (text: string) => () => [h('p', { text })];
  if (list.length > 0) return ['rows', () => []];
  if (list.total > 0) {
    const f = filterBox.applied;
    return [`nomatch:${f}:${list.total}`, () => [
      h('p', { text: `No hits match “${f}” (${fmtCount(list.total)} kept).` }),
      button({ icon: 'close', label: 'Clear filter', class: 'btn', onClick: () => filterBox.setText('') }),
    ]];
  }
  if (!engine) return ['loading', p('Waiting for the extension…')];
  const st = engine.state;
  switch (st.kind) {
    case 'connected': return ['connected', p('Connected, no hits yet. An idle report suite sends nothing; Live Stream latency is 20 s to 5 min.')];
    case 'connecting': return ['connecting', p('Connecting…')];
    case 'cooldown': {
      const text = st.auto
        ? `Cooling down after ${st.code}, reconnecting in ${timeLeft(st.until, hostNow())}.`
        : `Cooling down after ${st.code}; connecting earlier would be refused.`;
      return [`cooldown:${text}`, p(text)];
    }
    case 'idle':
    case 'stopped': {
      const why = st.kind === 'stopped' && st.code !== 'user' ? ` (${st.reason})` : '';
      return [`off:${why}`, () => [h('p', {}, `Not connected${why}: `, actionButton('connect', actions), ' ', actionButton('demo', actions))]];
    }
  }
}

// Once a second: cooldown countdown and the sliding chart window. Not while hidden.
function tickChart(): void {
  chartDirty = false;
  chartNow = false;
  chartTickedAt = performance.now();
  measure('lsi:chart', () => chart.tick());
}
setInterval(() => {
  if (document.hidden) return;
  tickChart();
  scheduleUi();
}, 1000);

applyLayout();
filterBox.apply();
grid.update();
renderUi();
requestAnimationFrame(() => tickChart());
window.addEventListener('error', (e) => post({ type: 'log', level: 'error', message: `webview error: ${e.message}` }));
post({ type: 'ready', version: PROTOCOL_VERSION });
