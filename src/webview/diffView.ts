/**
 * "Compare two hits": the field-level diff of src/analytics/hitDiff.ts shown
 * as a panel over the table, one section per Analytics group, each changed
 * field with both values. All hit text goes through textContent (renderLong).
 */
import { diffHits, sameTracking, VOLATILE_GROUP, type ChangeKind } from '../analytics/hitDiff';
import { renderLong } from './details';
import { button, h } from './dom';
import { revealInvisible } from './format';

export interface DiffSide {
  /** "Hit 12:03:58 · Checkout", "Golden checkout.json" (plain text). */
  title: string;
  data: Record<string, unknown>;
}

const KIND_TEXT: Record<ChangeKind, string> = { added: 'added', removed: 'removed', changed: 'changed' };

export class DiffView {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly heading: HTMLElement;
  private returnFocus: HTMLElement | null = null;

  constructor() {
    this.heading = h('h2', { class: 'diff-title', id: 'diff-title' });
    const close = button({ icon: 'close', label: 'Close', class: 'btn', title: 'Close the comparison (Escape)', onClick: () => this.close() });
    this.body = h('div', { class: 'diff-body' });
    this.el = h('section', { class: 'diff-view', role: 'dialog', 'aria-labelledby': 'diff-title', tabindex: -1, hidden: true },
      h('div', { class: 'diff-head' }, this.heading, close), this.body);
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); this.close(); }
    });
  }

  get isOpen(): boolean { return !this.el.hidden; }

  /** Shows `b` compared with `a` (the base: the first hit selected, or the golden hit). */
  show(a: DiffSide, b: DiffSide): void {
    const d = diffHits(a.data, b.data);
    this.heading.textContent = 'Compare hits';
    const legend = h('p', { class: 'diff-legend' },
      h('span', { class: 'diff-a', text: `A: ${revealInvisible(a.title)}` }), '  ⟷  ', h('span', { class: 'diff-b', text: `B: ${revealInvisible(b.title)}` }));
    const summary = h('p', { class: 'diff-summary', role: 'status' });
    summary.textContent = d.added + d.removed + d.changed === 0
      ? `Identical: all ${d.same} fields have the same value.`
      : `${d.changed} changed · ${d.added} added in B · ${d.removed} only in A · ${d.same} the same`
        + (sameTracking(d) ? ' — the tracking is the same; only hit ids and times differ.' : '');
    const parts: Node[] = [legend, summary];
    for (const g of d.groups) {
      if (g.changes.length === 0) continue;
      const rows = g.changes.map((c) => {
        const before = h('td', { class: 'diff-before' });
        const after = h('td', { class: 'diff-after' });
        if (c.before !== undefined) renderLong(before, c.before); else before.append(h('span', { class: 'muted', text: '—' }));
        if (c.after !== undefined) renderLong(after, c.after); else after.append(h('span', { class: 'muted', text: '—' }));
        return h('tr', { class: `diff-row diff-${c.kind}`, 'data-kind': c.kind, 'data-path': c.path },
          h('th', { scope: 'row', class: 'diff-label', title: c.path, text: revealInvisible(c.label) }),
          h('td', { class: 'diff-kind', text: KIND_TEXT[c.kind] }), before, after);
      });
      const table = h('table', { class: 'diff-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Field' }), h('th', { scope: 'col', text: '' }), h('th', { scope: 'col', text: 'A' }), h('th', { scope: 'col', text: 'B' }))),
        h('tbody', {}, ...rows));
      const count = `${g.changes.length} difference${g.changes.length === 1 ? '' : 's'}${g.same ? `, ${g.same} the same` : ''}`;
      parts.push(h('details', { class: 'group diff-group', open: g.id !== VOLATILE_GROUP.id, 'data-group': g.id },
        h('summary', {}, h('span', { class: 'group-title', text: g.title }), h('span', { class: 'muted count', text: ` ${count}` })),
        h('div', { class: 'table-wrap' }, table)));
    }
    this.body.replaceChildren(...parts);
    if (!this.isOpen) this.returnFocus = document.activeElement as HTMLElement | null;
    this.el.hidden = false;
    this.el.focus();
  }

  close(): void {
    if (!this.isOpen) return;
    this.el.hidden = true;
    this.body.replaceChildren();
    this.returnFocus?.focus();
    this.returnFocus = null;
  }
}
