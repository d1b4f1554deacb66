import { decodeHit, type DecodedGroup } from '../analytics/decodeHit';
import { MAX_DISPLAY_DEPTH, type Hit } from '../shared/model';
import { button, h, icon } from './dom';
import { rulesSection } from './rulesView';
import { fmtBytes, fmtCount, fmtDateTime, prettyJson, revealInvisible } from './format';

/** Values longer than this are cut visibly, with a "show all" button (never silently). */
export const LONG_VALUE = 400;
/** Raw JSON view: strings longer than this are cut until "show all" (a 1 MB referrer would stall layout). */
const RAW_STRING_MAX = 10_000;

export interface DetailsOptions {
  copyText(text: string): void;
  copyHit(seq: number): void;
  onTab(tab: 'decoded' | 'raw'): void;
  onHide(): void;
  /** Escape inside the pane: give focus back to the table. */
  onLeave(): void;
  /** More buttons in the pane's header (issue 13: Follow, Compare, Save as golden; src/webview/visitorUi.ts). */
  headExtras?: readonly Node[];
}

/**
 * The detail pane: the selected hit decoded in Analytics terms (groups from
 * src/analytics/decode.ts) and as pretty JSON. Every value is set with textContent;
 * every value has a copy button that sends the exact (untruncated) value to the host.
 */
export class Details {
  readonly el: HTMLElement;
  private readonly title: HTMLElement;
  private readonly tabDecoded: HTMLButtonElement;
  private readonly tabRaw: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private hit: Hit | undefined;
  private tab: 'decoded' | 'raw';
  private utc = false;

  constructor(private readonly o: DetailsOptions, tab: 'decoded' | 'raw') {
    this.tab = tab;
    this.title = h('div', { class: 'detail-title' });
    const copyHit = button({ icon: 'copy', label: 'Copy hit as JSON', class: 'btn small', title: 'Copy the exact record text (ids stay exact)', onClick: () => { if (this.hit) this.o.copyHit(this.hit.seq); } });
    copyHit.classList.add('copy-hit');
    const hide = button({ icon: 'close', title: 'Hide details', class: 'btn icon-only', onClick: () => this.o.onHide() });
    this.tabDecoded = h('button', { type: 'button', role: 'tab', id: 'tab-decoded', class: 'tab', 'aria-controls': 'detail-panel', text: 'Decoded' });
    this.tabRaw = h('button', { type: 'button', role: 'tab', id: 'tab-raw', class: 'tab', 'aria-controls': 'detail-panel', text: 'Raw JSON' });
    this.tabDecoded.addEventListener('click', () => this.setTab('decoded'));
    this.tabRaw.addEventListener('click', () => this.setTab('raw'));
    const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Detail view' }, this.tabDecoded, this.tabRaw);
    tablist.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
        e.preventDefault();
        this.setTab(this.tab === 'decoded' ? 'raw' : 'decoded');
        (this.tab === 'decoded' ? this.tabDecoded : this.tabRaw).focus();
      }
    });
    this.panel = h('div', { class: 'detail-body', role: 'tabpanel', id: 'detail-panel', tabindex: 0 });
    this.el = h('section', { class: 'detail', 'aria-label': 'Hit details' },
      h('div', { class: 'detail-head' }, this.title, ...(o.headExtras ?? []), copyHit, hide),
      tablist, this.panel);
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); this.o.onLeave(); }
    });
    this.syncTabs();
    this.render();
  }

  setUtc(utc: boolean): void {
    if (utc === this.utc) return;
    this.utc = utc;
    this.renderTitle();
  }

  show(hit: Hit | undefined): void {
    if (hit === this.hit) return;
    this.hit = hit;
    this.render();
  }

  get shownSeq(): number | undefined { return this.hit?.seq; }

  focus(): void { (this.tab === 'decoded' ? this.tabDecoded : this.tabRaw).focus(); }

  setTab(tab: 'decoded' | 'raw'): void {
    if (tab === this.tab) return;
    this.tab = tab;
    this.syncTabs();
    this.render();
    this.o.onTab(tab);
  }

  private syncTabs(): void {
    for (const [b, on] of [[this.tabDecoded, this.tab === 'decoded'], [this.tabRaw, this.tab === 'raw']] as const) {
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
      b.classList.toggle('active', on);
    }
    this.panel.setAttribute('aria-labelledby', this.tab === 'decoded' ? 'tab-decoded' : 'tab-raw');
  }

  private renderTitle(): void {
    const hit = this.hit;
    if (!hit) { this.title.textContent = 'No hit selected'; return; }
    const d = hit.data;
    const name = typeof d.pageName === 'string' && d.pageName ? `Page “${d.pageName.slice(0, 120)}”` : 'Hit';
    const t = typeof d.timeGMT === 'number' ? d.timeGMT * 1000 : hit.receivedAt;
    this.title.textContent = revealInvisible(`${name} · ${fmtDateTime(t, this.utc)}`);
    this.title.title = this.title.textContent;
  }

  private render(): void {
    this.renderTitle();
    const hit = this.hit;
    if (!hit) {
      this.panel.replaceChildren(h('p', { class: 'muted', text: 'Select a hit (click, or arrow keys then Enter) to see it decoded.' }));
      return;
    }
    if (hit.omitted) {
      // The host sent a placeholder: say why, inertly; the exact text is one click away.
      const why = hit.omitted.reason === 'too-deep' ? `nested deeper than ${MAX_DISPLAY_DEPTH} levels` : 'too large to send to this panel';
      this.panel.replaceChildren(h('p', { class: 'placeholder-note', text: revealInvisible(
        `This record (${fmtBytes(hit.omitted.bytes)}, id ${hit.key || 'none'}) is ${why}, so it is not displayed. Its exact text is kept: “Copy hit as JSON” copies it and Export writes it.`) }));
      return;
    }
    if (this.tab === 'raw') this.renderRaw(hit, RAW_STRING_MAX);
    else this.renderDecoded(hit);
  }

  private renderDecoded(hit: Hit): void {
    let groups: DecodedGroup[];
    try {
      groups = decodeHit(hit.data);
    } catch (err) {
      // A decoder bug must not hide the hit: fall back to the raw view's content.
      this.panel.replaceChildren(h('p', { class: 'error', text: `Could not decode this hit (${String(err)}); see Raw JSON.` }));
      return;
    }
    const frag = document.createDocumentFragment();
    const rules = rulesSection(hit);
    if (rules) frag.append(rules);
    for (const g of groups) {
      const body = h('div', { class: 'fields', role: 'list' });
      for (const f of g.fields) body.append(this.field(f.label, f.value, f.path));
      if (g.table && g.table.rows.length) body.append(this.table(g.table.columns, g.table.rows));
      const det = h('details', { class: 'group', open: true, 'data-group': g.id },
        h('summary', {}, h('span', { class: 'group-title', text: g.title }), h('span', { class: 'muted count', text: ` ${g.fields.length || g.table?.rows.length || 0}` })),
        body);
      frag.append(det);
    }
    this.panel.replaceChildren(frag);
  }

  private field(label: string, value: string, path: string): HTMLElement {
    const valueEl = h('span', { class: 'field-value' });
    renderLong(valueEl, value);
    const copy = button({ icon: 'copy', title: `Copy ${label}`, class: 'btn icon-only copy', onClick: () => this.o.copyText(value) });
    return h('div', { class: 'field', role: 'listitem', 'data-path': path },
      h('span', { class: 'field-label', title: path, text: revealInvisible(label) }), valueEl, copy);
  }

  private table(columns: string[], rows: string[][]): HTMLElement {
    const thead = h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col', text: revealInvisible(c) }))));
    const tbody = h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((v) => {
      const td = h('td', {});
      renderLong(td, v);
      return td;
    }))));
    return h('div', { class: 'table-wrap' }, h('table', { class: 'decoded-table' }, thead, tbody));
  }

  private renderRaw(hit: Hit, max: number | null): void {
    const { text, truncated } = prettyJson(hit.data, max);
    const pre = h('pre', { class: 'raw-json', text });
    const note = h('p', { class: 'muted' },
      'Ids beyond 2^53 are shown exactly; “Copy hit as JSON” copies the record text byte for byte.');
    const parts: Node[] = [note];
    if (truncated) {
      const all = button({ label: `show all (${truncated} long value${truncated === 1 ? '' : 's'} cut)`, class: 'btn link show-all', onClick: () => this.renderRaw(hit, null) });
      parts.push(all);
    }
    parts.push(pre);
    this.panel.replaceChildren(...parts);
  }
}

/** Puts a possibly huge untrusted value into `el`: cut visibly at LONG_VALUE with a "show all" button. */
export function renderLong(el: HTMLElement, value: string): void {
  if (value.length <= LONG_VALUE) {
    el.textContent = revealInvisible(value);
    return;
  }
  const more = h('button', { type: 'button', class: 'btn link show-all' }, icon('unfold'), h('span', { text: ` show all (${fmtCount(value.length)} chars)` }));
  more.addEventListener('click', () => {
    el.textContent = revealInvisible(value);
  });
  el.replaceChildren(h('span', { text: revealInvisible(value.slice(0, LONG_VALUE)) + '…' }), more);
}
