/**
 * Hits webview entry. Builds the UI with DOM APIs (no markup strings), talks to
 * the host only through src/shared/protocol.ts, and keeps nothing but UI
 * choices in getState/setState. See README.md in this folder for the design.
 */
import { compileFilter } from '../analytics/filter/compileFilter';
import type { EngineSnapshot } from '../shared/model';
import { EXPORT_FORMATS, EXPORT_LABELS, type ExportFormat } from '../analytics/exportFormat';
import { PROTOCOL_VERSION, hitsFromWire, isHostToWebview, type HostToWebview } from '../shared/protocol';
import { RateChart } from './chart';
import { noteRules, ruleFailuresOf } from './rulesView';
import { ChartPacer } from './chartPacer';
import { DetailLayout } from './detailLayout';
import { Details } from './details';
import { button, h, icon } from './dom';
import { emptyState } from './emptyState';
import { FilterBox, hasTerm, toggleTerm } from './filterBox';
import { fmtCount } from './format';
import { columnLabel, Grid } from './grid';
import { HitList, type RowFilter } from './hitList';
import { measure } from './measure';
import { openMenu } from './popup';
import { Strip, stripView, type StripActions } from './strip';
import { COLUMN_IDS, parseUiState, type UiState } from './uiState';
import { VisitorUi } from './visitorUi';
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
const chartPacer = new ChartPacer(chart, () => scheduleUi());

const filterBox = new FilterBox<RowFilter & { source: string }>({
  initial: ui.filter,
  compile: (text) => compileFilter(text, { myTraffic, ruleFailures: ruleFailuresOf }),
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

// issue 13: follow my visitor, compare two hits, golden hits (src/webview/visitorUi.ts)
const visitor: VisitorUi = new VisitorUi({
  post,
  bySeq: (seq) => list.bySeq(seq)?.hit,
  currentHit: () => { const seq: number | undefined = details.shownSeq ?? grid.selectedSeq; return seq === undefined ? undefined : list.bySeq(seq)?.hit; },
  setMyTraffic: (entries) => {
    if (myTraffic.join('\n') === entries.join('\n')) return;
    myTraffic = entries;
    filterBox.apply();
  },
  mineOn: () => hasTerm(filterBox.input.value, 'is:mine'),
  setMineOn: (on) => { if (hasTerm(filterBox.input.value, 'is:mine') !== on) filterBox.setText(toggleTerm(filterBox.input.value, 'is:mine')); },
  toast: (text) => toast(text),
  utc: () => ui.utc,
  gridBody: grid.body,
});

const details: Details = new Details({
  headExtras: visitor.headExtras,
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

document.getElementById('app')!.append(strip.el, toolbar, toolbar2, visitor.bar, main, pauseBar, toastEl, visitor.diff.el);

// ------------------------------------------------------------------ layout: detail pane
const layout = new DetailLayout({ main, splitter, detail: details.el, ui, saveUi });

function applyLayout(): void {
  layout.apply();
  detailBtn.setAttribute('aria-pressed', ui.detailHidden ? 'false' : 'true');
  utcBtn.setAttribute('aria-pressed', ui.utc ? 'true' : 'false');
}

function setDetailHidden(hidden: boolean): void {
  ui.detailHidden = hidden;
  saveUi();
  applyLayout();
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
  // Redraw at once: otherwise the old rate stays up beside an empty table until the next tick.
  chartPacer.reset();
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
/** The last batch's "only the newest shown" figures, and when they came (host messages only). */
let partial: { arrived: number; shown: number } | undefined;
let partialAt = 0;

function onMessage(msg: HostToWebview): void {
  switch (msg.type) {
    case 'snapshot': {
      clockOffset = msg.now - Date.now();
      engine = msg.engine;
      const trafficChanged = myTraffic.join('\n') !== msg.myTraffic.join('\n');
      myTraffic = msg.myTraffic;
      if (trafficChanged) filterBox.apply();
      const hits = hitsFromWire(msg.hits, msg.records);
      noteRules(hits);
      list.replace(hits, msg.maxHits);
      // The chart shows the stream's rate, so it counts hits also while the table is paused.
      chartPacer.reset(hits);
      visitor.onSnapshot(hits);
      if (grid.selectedSeq !== undefined && !list.bySeq(grid.selectedSeq)) grid.select(undefined, false);
      grid.update();
      break;
    }
    case 'hits': {
      clockOffset = msg.now - Date.now();
      if (msg.engine) engine = msg.engine;
      // More arrived than the host sends (its batch bounds): say so until batches are whole again.
      if (msg.notShown) { partial = msg.notShown; partialAt = Date.now(); }
      else if (partial && Date.now() - partialAt > 2000) partial = undefined;
      const hits = hitsFromWire(msg.hits, msg.records);
      noteRules(hits);
      const added = list.append(hits);
      if (msg.oldestSeq !== undefined) list.dropBefore(msg.oldestSeq);
      chartPacer.add(hits);
      visitor.onHits(hits);
      grid.update(added);
      break;
    }
    case 'state':
      clockOffset = msg.now - Date.now();
      engine = msg.engine;
      break;
    case 'setFilter':
      // The Problems panel's "Show matching hits" (issue 13).
      filterBox.setText(msg.filter);
      break;
    case 'cleared':
      partial = undefined;
      applyCleared();
      break;
    case 'exportResult':
      if (msg.outcome === 'done') toast(`Exported ${fmtCount(msg.count)} hits.`);
      else if (msg.outcome === 'cancelled') toast('Export cancelled.');
      else toast(`Export failed: ${msg.error ?? 'unknown error'}`);
      break;
    case 'followState': visitor.onFollowState(msg); break;
    case 'goldenList': visitor.onGoldenList(msg); break;
    case 'goldenHit': visitor.onGoldenHit(msg); break;
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
  if (engine) strip.render(stripView(engine, list.total, maxHits, hostNow(), ui.utc, engine.state.kind === 'connected' ? partial : undefined));
  chartPacer.render();
  visitor.render(hostNow());

  pauseIcon.className = `codicon codicon-${list.paused ? 'debug-continue' : 'debug-pause'}`;
  pauseLabel.textContent = list.paused ? 'Resume' : 'Pause';
  pauseBtn.setAttribute('aria-pressed', list.paused ? 'true' : 'false');
  pauseBar.hidden = !list.paused;
  if (list.paused) {
    const n = list.waitingCount;
    pauseText.textContent = `Paused · ${fmtCount(n)} new hit${n === 1 ? '' : 's'} waiting`;
  }

  // Empty states say what is going on instead of showing a blank table.
  const [key, nodes] = emptyState({
    rows: list.length, total: list.total, filter: filterBox.applied, engine, hostNow: hostNow(),
    clearFilter: () => filterBox.setText(''), actions,
  });
  if (key !== emptyKey) { emptyKey = key; grid.setEmpty(nodes()); }
}

// Once a second: cooldown countdown and the sliding chart window. Not while hidden.
setInterval(() => {
  if (document.hidden) return;
  chartPacer.tick();
  scheduleUi();
}, 1000);

applyLayout();
filterBox.apply();
grid.update();
renderUi();
requestAnimationFrame(() => chartPacer.tick());
window.addEventListener('error', (e) => post({ type: 'log', level: 'error', message: `webview error: ${e.message}` }));
post({ type: 'ready', version: PROTOCOL_VERSION });
