import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core';
import type { RowSummary } from '../analytics/summary';
import { h, setText } from './dom';
import type { Hit } from '../shared/model';
import { cellText, clip, fmtBytes, fmtDateTime, fmtDuration, fmtTime, UNUSUAL_LAG_MS } from './format';
import { rowSummary, type HitList, type Row } from './hitList';
import { rulesCell } from './rulesView';
import { COLUMN_IDS, MAX_COL_WIDTH, MIN_COL_WIDTH, type ColumnId } from './uiState';

/** Fixed row height: one line per hit keeps virtualization exact and cheap. Must match `.row` in style.css. */
export const ROW_HEIGHT = 22;

const COLUMN_LABELS: Record<ColumnId, string> = {
  time: 'Time', lag: 'Lag', type: 'Type', suite: 'Report suite', page: 'Page name', url: 'URL', events: 'Events', visitor: 'Visitor', rules: 'Rules',
};
export function columnLabel(c: ColumnId): string { return COLUMN_LABELS[c]; }

export interface GridOptions {
  list: HitList;
  widths: Record<ColumnId, number>;
  hidden: readonly ColumnId[];
  utc: boolean;
  /** The selection moved (click or keyboard). */
  onSelect(seq: number | undefined): void;
  /** Enter / double-click on a row: show it in the detail pane. */
  onOpen(seq: number): void;
  /** A column was resized by dragging (persist it). */
  onResize(col: ColumnId, width: number): void;
}

interface Cell { text: string; title: string; cls?: string }

/**
 * The hits table: an ARIA grid whose body is virtualized by
 * @tanstack/virtual-core. Only the rows in view (plus overscan) exist; row
 * elements are recycled and filled with textContent. Newest rows are at the
 * top; when the user has scrolled away from the top, arriving rows are
 * compensated by moving scrollTop so the rows being read stay put.
 */
export class Grid {
  readonly el: HTMLDivElement;
  private readonly head: HTMLDivElement;
  private readonly headRow: HTMLDivElement;
  readonly body: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly newer: HTMLButtonElement;
  private readonly empty: HTMLDivElement;
  private readonly virt: Virtualizer<HTMLDivElement, HTMLDivElement>;
  private pool: HTMLDivElement[] = [];
  private columns: ColumnId[] = [];
  private widths: Record<ColumnId, number>;
  private utc: boolean;
  private selected: number | undefined;
  private rafPending = false;
  /** Rows added above the viewport while the user was scrolled away (for the "newer hits" button). */
  private newerCount = 0;
  private readonly cleanup: () => void;

  constructor(private readonly o: GridOptions) {
    this.widths = { ...o.widths };
    this.utc = o.utc;
    this.headRow = h('div', { class: 'row head', role: 'row', 'aria-rowindex': 1 });
    this.head = h('div', { class: 'grid-head', role: 'rowgroup' }, this.headRow);
    this.spacer = h('div', { class: 'grid-spacer' });
    this.body = h('div', { class: 'grid-body', role: 'rowgroup' }, this.spacer);
    this.newer = h('button', { type: 'button', class: 'newer-hits', hidden: true });
    this.newer.addEventListener('click', () => this.scrollToTop());
    this.empty = h('div', { class: 'grid-empty', role: 'status' });
    this.el = h('div', { class: 'grid', role: 'grid', tabindex: 0, 'aria-label': 'Hits, newest first', 'aria-multiselectable': 'false' }, this.head, this.body, this.newer, this.empty);

    this.virt = new Virtualizer<HTMLDivElement, HTMLDivElement>({
      count: 0,
      getScrollElement: () => this.body,
      estimateSize: () => ROW_HEIGHT,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      overscan: 8,
      onChange: () => this.schedule(),
    });
    this.cleanup = this.virt._didMount();
    this.virt._willUpdate();

    this.body.addEventListener('scroll', () => {
      // Keep the header aligned with horizontally scrolled rows.
      this.head.scrollLeft = this.body.scrollLeft;
      if (this.atTop()) this.setNewer(0);
    }, { passive: true });
    this.el.addEventListener('keydown', (e) => this.onKey(e));
    this.body.addEventListener('click', (e) => {
      const seq = this.seqOfEvent(e);
      if (seq !== undefined) { this.select(seq); this.el.focus({ preventScroll: true }); }
    });
    this.body.addEventListener('dblclick', (e) => {
      const seq = this.seqOfEvent(e);
      if (seq !== undefined) this.o.onOpen(seq);
    });
    this.setColumns(o.hidden);
  }

  dispose(): void { this.cleanup(); }

  get selectedSeq(): number | undefined { return this.selected; }

  /** Sets the empty-state content (nodes built by the caller from trusted strings + buttons). */
  setEmpty(nodes: Node[]): void {
    this.empty.replaceChildren(...nodes);
  }

  setUtc(utc: boolean): void { this.utc = utc; this.invalidate(); }

  setColumns(hidden: readonly ColumnId[]): void {
    this.columns = COLUMN_IDS.filter((c) => !hidden.includes(c));
    this.el.setAttribute('aria-colcount', String(this.columns.length));
    const cells = this.columns.map((c, i) => {
      const handle = h('span', { class: 'col-resizer', 'aria-hidden': 'true', title: `Drag to resize ${COLUMN_LABELS[c]}` });
      this.attachResizer(handle, c);
      return h('div', { class: `cell c-${c}`, role: 'columnheader', 'aria-colindex': i + 1 }, h('span', { class: 'cell-label', text: COLUMN_LABELS[c] }), handle);
    });
    this.headRow.replaceChildren(...cells);
    // Row elements have one cell per visible column: rebuild the pool.
    for (const r of this.pool) r.remove();
    this.pool = [];
    this.applyWidths();
    this.invalidate();
  }

  private applyWidths(): void {
    const template = this.columns.map((c) => `${this.widths[c]}px`).join(' ');
    const total = this.columns.reduce((n, c) => n + this.widths[c], 0);
    // CSSOM writes (not style attributes), which the CSP allows.
    this.el.style.setProperty('--grid-columns', template);
    this.el.style.setProperty('--grid-width', `${total}px`);
  }

  private attachResizer(handle: HTMLElement, col: ColumnId): void {
    handle.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      e.stopPropagation();
      handle.setPointerCapture(e.pointerId);
      const startX = e.clientX;
      const startW = this.widths[col];
      const move = (ev: PointerEvent) => {
        this.widths[col] = Math.min(MAX_COL_WIDTH, Math.max(MIN_COL_WIDTH, Math.round(startW + ev.clientX - startX)));
        this.applyWidths();
      };
      const up = () => {
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
        handle.removeEventListener('pointercancel', up);
        this.o.onResize(col, this.widths[col]);
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
      handle.addEventListener('pointercancel', up);
    });
  }

  private atTop(): boolean { return this.body.scrollTop < ROW_HEIGHT / 2; }

  /**
   * The list changed. `addedOnTop` rows were inserted above the current ones
   * (a batch); when the user is reading further down we shift scrollTop by the
   * same amount so nothing moves under their eyes ("auto-scroll pauses").
   */
  update(addedOnTop = 0): void {
    const count = this.o.list.length;
    this.spacer.style.height = `${count * ROW_HEIGHT}px`;
    this.el.setAttribute('aria-rowcount', String(count + 1));
    if (addedOnTop > 0 && !this.atTop()) {
      const target = this.body.scrollTop + addedOnTop * ROW_HEIGHT;
      this.body.scrollTop = target;
      // The virtualizer learns about scrolls from the (asynchronous) scroll
      // event; tell it now so this frame renders the compensated range.
      this.virt.scrollOffset = this.body.scrollTop;
      this.setNewer(this.newerCount + addedOnTop);
    }
    this.virt.setOptions({ ...this.virt.options, count });
    this.virt._willUpdate();
    this.invalidate();
  }

  private setNewer(n: number): void {
    this.newerCount = n;
    this.newer.hidden = n === 0;
    if (n) setText(this.newer, `↑ ${n} newer hit${n === 1 ? '' : 's'} · show newest`);
  }

  scrollToTop(): void {
    this.body.scrollTop = 0;
    this.virt.scrollOffset = 0;
    this.setNewer(0);
    this.invalidate();
  }

  /** Re-render visible rows on the next animation frame (coalesces any number of changes per frame). */
  invalidate(): void { this.schedule(); }

  private schedule(): void {
    if (this.rafPending) return;
    this.rafPending = true;
    requestAnimationFrame(() => { this.rafPending = false; this.render(); });
  }

  /** Renders now (used by the rAF callback; exposed for the first paint). */
  render(): void {
    performance.clearMarks('lsi:render');
    performance.clearMeasures('lsi:render');
    performance.mark('lsi:render');
    const list = this.o.list;
    this.empty.hidden = list.length > 0;
    const items = this.virt.getVirtualItems();
    while (this.pool.length < items.length) {
      const r = h('div', { class: 'row', role: 'row' }, ...this.columns.map((c, i) => h('div', { class: `cell c-${c}`, role: 'gridcell', 'aria-colindex': i + 1 })));
      this.pool.push(r);
      this.spacer.append(r);
    }
    let used = 0;
    for (const item of items) {
      const row = list.at(item.index);
      if (!row) continue;
      this.fillRow(this.pool[used++]!, row, item.index, item.start);
    }
    for (let i = used; i < this.pool.length; i++) this.pool[i]!.hidden = true;
    const active = this.selected !== undefined ? this.spacer.querySelector<HTMLElement>(`[data-seq="${this.selected}"]`) : null;
    if (active) this.el.setAttribute('aria-activedescendant', active.id); else this.el.removeAttribute('aria-activedescendant');
    performance.measure('lsi:render', 'lsi:render');
  }

  private fillRow(el: HTMLDivElement, row: Row, index: number, top: number): void {
    const seq = row.hit.seq;
    el.hidden = false;
    if (el.dataset.seq !== String(seq)) {
      el.dataset.seq = String(seq);
      el.id = `hit-row-${seq}`;
    }
    el.style.transform = `translateY(${top}px)`;
    el.setAttribute('aria-rowindex', String(index + 2));
    const sel = seq === this.selected;
    el.setAttribute('aria-selected', sel ? 'true' : 'false');
    el.classList.toggle('selected', sel);
    el.classList.toggle('placeholder', !!row.hit.omitted);
    const sum = rowSummary(row);
    const cells = el.children;
    for (let i = 0; i < this.columns.length; i++) {
      const cell = cells[i] as HTMLElement;
      const c = this.cell(this.columns[i]!, row, sum);
      setText(cell, c.text);
      if (cell.title !== c.title) cell.title = c.title;
      const cls = `cell c-${this.columns[i]}${c.cls ? ' ' + c.cls : ''}`;
      if (cell.className !== cls) cell.className = cls;
    }
  }

  private cell(col: ColumnId, row: Row, s: RowSummary): Cell {
    const t = s.hitTimeMs;
    if (row.hit.omitted && col !== 'time' && col !== 'lag') return placeholderCell(row.hit, col === this.placeholderColumn());
    switch (col) {
      case 'time': return { text: fmtTime(t ?? row.hit.receivedAt, this.utc), title: `Hit time ${fmtDateTime(t, this.utc) || 'unknown'} · received ${fmtDateTime(row.hit.receivedAt, this.utc)}` };
      case 'lag': {
        if (t === undefined) return { text: '', title: 'No hit time (timeGMT) in this record' };
        const lag = row.hit.receivedAt - t;
        return { text: fmtDuration(lag), title: `Received ${fmtDuration(lag)} after the hit happened`, cls: lag > UNUSUAL_LAG_MS ? 'lag-unusual' : undefined };
      }
      case 'type': return text(s.type);
      case 'suite': return text(s.reportSuite);
      case 'page': return text(s.pageName);
      case 'url': return text(s.urlShort);
      case 'events': return text(s.eventsShort);
      case 'visitor': return text(s.visitor);
      case 'rules': return rulesCell(row.hit);
    }
  }

  /** Where a placeholder row says what it is: Page name, or the first visible column after the times. */
  private placeholderColumn(): ColumnId | undefined {
    return this.columns.includes('page') ? 'page' : this.columns.find((c) => c !== 'time' && c !== 'lag') ?? this.columns[0];
  }

  private seqOfEvent(e: Event): number | undefined {
    const row = (e.target as Element | null)?.closest?.('.row[data-seq]') as HTMLElement | null;
    return row ? Number(row.dataset.seq) : undefined;
  }

  select(seq: number | undefined, scroll = true): void {
    this.selected = seq;
    if (seq !== undefined && scroll) this.ensureVisible(this.o.list.indexOfSeq(seq));
    this.invalidate();
    this.o.onSelect(seq);
  }

  private ensureVisible(index: number): void {
    if (index < 0) return;
    const top = index * ROW_HEIGHT;
    const view = this.body.clientHeight;
    let st = this.body.scrollTop;
    if (top < st) st = top;
    else if (top + ROW_HEIGHT > st + view) st = top + ROW_HEIGHT - view;
    else return;
    this.body.scrollTop = st;
    this.virt.scrollOffset = this.body.scrollTop;
  }

  private onKey(e: KeyboardEvent): void {
    const list = this.o.list;
    if (list.length === 0) return;
    const cur = this.selected !== undefined ? list.indexOfSeq(this.selected) : -1;
    const page = Math.max(1, Math.floor(this.body.clientHeight / ROW_HEIGHT) - 1);
    let next: number | undefined;
    switch (e.key) {
      case 'ArrowDown': next = cur < 0 ? 0 : cur + 1; break;
      case 'ArrowUp': next = cur < 0 ? 0 : cur - 1; break;
      case 'PageDown': next = Math.max(cur, 0) + page; break;
      case 'PageUp': next = Math.max(cur, 0) - page; break;
      case 'Home': next = 0; break;
      case 'End': next = list.length - 1; break;
      case 'Enter':
        if (this.selected !== undefined) { e.preventDefault(); this.o.onOpen(this.selected); }
        return;
      default: return;
    }
    e.preventDefault();
    next = Math.min(list.length - 1, Math.max(0, next));
    const row = list.at(next);
    if (row) this.select(row.hit.seq);
  }
}

/**
 * A cell of a hit the host could not send (too deep or too large to
 * serialize): its id and size, as inert text; the record's exact text stays
 * with the host for "Copy hit as JSON" and export.
 */
function placeholderCell(hit: Hit, message: boolean): Cell {
  const o = hit.omitted!;
  const what = `record too ${o.reason === 'too-deep' ? 'deep' : 'large'} to display`;
  const title = cellText(`${what} (${fmtBytes(o.bytes)}, id ${hit.key || 'none'}); Copy hit as JSON and Export keep its exact text`, 400);
  return { text: message ? cellText(`⚠ ${what} · ${fmtBytes(o.bytes)} · id ${hit.key || 'none'}`, 300) : '', title, cls: 'placeholder' };
}

/** Untrusted one-line text: bidi controls revealed, length capped; the tooltip carries more (but not megabytes). */
function text(v: string | undefined): Cell {
  const s = v ?? '';
  return { text: cellText(s, 300), title: clip(s, 2000) };
}
