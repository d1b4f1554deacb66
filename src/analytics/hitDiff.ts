/**
 * "Compare two hits": a field-level diff in the detail pane's Analytics groups
 * (eVars, props, events, products, …, "Other"), not a text diff. Both records
 * are untrusted: they go through `decodeHit` (bounded, never throws), values
 * stay plain text, and nothing here mutates its input.
 */
import { decodeHit, type DecodedGroup } from './decodeHit';

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface FieldChange {
  kind: ChangeKind;
  /** The decoded label (`eVar5`, `Purchase`, `Product 1 · Revenue`). */
  label: string;
  /** Path of the value in the record (`formatPath`), or a label-derived key for table cells. */
  path: string;
  /** Value in the first hit (absent for `added`). Plain text. */
  before?: string;
  /** Value in the second hit (absent for `removed`). Plain text. */
  after?: string;
}

export interface DiffGroup {
  id: string;
  title: string;
  changes: FieldChange[];
  /** Fields of this group with the same value in both hits. */
  same: number;
}

export interface HitDiff {
  /** Groups with at least one field in either hit, in display order; `volatile` last. */
  groups: DiffGroup[];
  added: number;
  removed: number;
  changed: number;
  same: number;
}

/** Fields that differ on every hit (ids, times): diffed, but in their own group at the end so they do not drown the rest. */
export const VOLATILE_GROUP = { id: 'volatile', title: 'Hit ids and times (differ on every hit)' } as const;
const VOLATILE_TOP = /^(hitid(high|low)|\w*timegmt|visitpagenum|visitnum)$/i;

interface Entry { group: string; label: string; path: string; value: string }

/** One keyed entry per decoded field and per product cell; the first wins on a (hostile) duplicate key. */
function entries(data: unknown): { byKey: Map<string, Entry>; titles: Map<string, string> } {
  const byKey = new Map<string, Entry>();
  const titles = new Map<string, string>();
  const put = (e: Entry) => { const k = `${e.group}\u0000${e.path || e.label}`; if (!byKey.has(k)) byKey.set(k, e); };
  for (const g of decodeHit(data)) {
    titles.set(g.id, g.title);
    for (const f of g.fields) {
      const top = f.path.split('.')[0] ?? '';
      const group = VOLATILE_TOP.test(top) ? VOLATILE_GROUP.id : g.id;
      if (f.path === '' && f.label === '…') continue; // "N more" notes are not fields
      put({ group, label: f.label, path: f.path, value: f.value });
    }
    if (g.table) tableEntries(g, put);
  }
  titles.set(VOLATILE_GROUP.id, VOLATILE_GROUP.title);
  return { byKey, titles };
}

/**
 * Products: one entry per cell, keyed by the product's category and name (so a
 * product added in front does not make every later one "changed"), with a
 * counter for repeated names.
 */
function tableEntries(g: DecodedGroup, put: (e: Entry) => void): void {
  const { columns, rows } = g.table!;
  const nameCol = columns.indexOf('Name');
  const catCol = columns.indexOf('Category');
  const seen = new Map<string, number>();
  rows.forEach((row, i) => {
    const ident = `${catCol >= 0 ? row[catCol] : ''};${nameCol >= 0 ? row[nameCol] : ''}`;
    const n = (seen.get(ident) ?? 0) + 1;
    seen.set(ident, n);
    const named = ident !== ';';
    const who = named ? `${row[nameCol] || row[catCol]}${n > 1 ? ` (${n})` : ''}` : `${i + 1}`;
    columns.forEach((col, j) => {
      if (named && (j === nameCol || j === catCol)) return; // the identity, shown in the label
      const v = row[j] ?? '';
      if (v === '') return;
      put({ group: g.id, label: `Product ${who} · ${col}`, path: `products[${named ? ident : i}#${n}].${col}`, value: v });
    });
    // The product itself: present or not, whatever its cells hold.
    put({ group: g.id, label: `Product ${who}`, path: `products[${named ? ident : i}#${n}]`, value: named ? ident.replace(/^;|;$/g, '') : `#${i + 1}` });
  });
}

/** Order of the groups: the detail pane's, then anything unknown, then the volatile group. */
const ORDER = ['page', 'link', 'evars', 'props', 'events', 'products', 'listvars', 'visitor', 'time', 'geo', 'device', 'target', 'other'];

/**
 * Diffs `a` (the base: the first selected hit or the golden hit) against `b`.
 * `added` = only in `b`, `removed` = only in `a`, `changed` = in both with
 * different decoded values. Never throws.
 */
export function diffHits(a: unknown, b: unknown): HitDiff {
  const A = entries(a);
  const B = entries(b);
  const groups = new Map<string, DiffGroup>();
  const group = (id: string): DiffGroup => {
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { id, title: B.titles.get(id) ?? A.titles.get(id) ?? id, changes: [], same: 0 }));
    return g;
  };
  const out: HitDiff = { groups: [], added: 0, removed: 0, changed: 0, same: 0 };
  for (const [k, ea] of A.byKey) {
    const eb = B.byKey.get(k);
    const g = group(ea.group);
    if (!eb) { g.changes.push({ kind: 'removed', label: ea.label, path: ea.path, before: ea.value }); out.removed++; }
    else if (eb.value !== ea.value) { g.changes.push({ kind: 'changed', label: ea.label, path: ea.path, before: ea.value, after: eb.value }); out.changed++; }
    else { g.same++; out.same++; }
  }
  for (const [k, eb] of B.byKey) {
    if (A.byKey.has(k)) continue;
    group(eb.group).changes.push({ kind: 'added', label: eb.label, path: eb.path, after: eb.value });
    out.added++;
  }
  const rank = (id: string) => (id === VOLATILE_GROUP.id ? ORDER.length + 1 : ORDER.includes(id) ? ORDER.indexOf(id) : ORDER.length);
  out.groups = [...groups.values()].sort((x, y) => rank(x.id) - rank(y.id));
  return out;
}

/** True when no field differs, apart from the volatile group (ids and times). */
export function sameTracking(d: HitDiff): boolean {
  return d.groups.every((g) => g.id === VOLATILE_GROUP.id || g.changes.length === 0);
}
