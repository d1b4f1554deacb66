import type { Hit } from '../shared/model';
import { summarize, type RowSummary } from '../analytics/summary';

/** A kept hit plus its table summary, computed on first render only (most rows are never on screen). */
export interface Row {
  hit: Hit;
  sum?: RowSummary;
}

export function rowSummary(row: Row): RowSummary {
  return (row.sum ??= summarize(row.hit.data));
}

/** What the list needs from a compiled filter (src/analytics/filter/compileFilter.ts). */
export interface RowFilter {
  isEmpty: boolean;
  test(data: Record<string, unknown>): boolean;
}

/** First index in `rows` (ascending seq) whose seq is >= `seq`. */
function lowerBound(rows: readonly Row[], seq: number): number {
  let lo = 0, hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]!.hit.seq < seq) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/**
 * The webview's copy of the kept hits and the filtered view of them. Both are
 * stored oldest-first (appending a batch is a push, dropping the oldest a
 * splice at the front); the table shows them newest-first through `at()`.
 * Pausing diverts arriving hits into `waiting` so the table holds still.
 */
export class HitList {
  private all: Row[] = [];
  private view: Row[] = [];
  private filter: RowFilter | null = null;
  private lastSeq = -1;
  maxHits = 5000;

  paused = false;
  /** Hits that arrived while paused, oldest first (bounded by maxHits). */
  private waiting: Hit[] = [];
  /** How many arrived while paused (the counter; can exceed what is kept). */
  waitingCount = 0;
  /** A snapshot that arrived while paused, applied on resume. */
  private waitingSnapshot: Hit[] | null = null;

  get total(): number { return this.all.length; }
  get length(): number { return this.view.length; }

  /** Row at display position `i` (0 = newest). */
  at(i: number): Row | undefined {
    return this.view[this.view.length - 1 - i];
  }

  /** Display position of the hit with this seq in the filtered view, or -1. */
  indexOfSeq(seq: number): number {
    const i = lowerBound(this.view, seq);
    return i < this.view.length && this.view[i]!.hit.seq === seq ? this.view.length - 1 - i : -1;
  }

  /** The kept hit with this seq (filtered out or not). */
  bySeq(seq: number): Row | undefined {
    const i = lowerBound(this.all, seq);
    return i < this.all.length && this.all[i]!.hit.seq === seq ? this.all[i] : undefined;
  }

  /** Replaces everything (host snapshot). Returns false when it was diverted because the list is paused. */
  replace(hits: readonly Hit[], maxHits: number): boolean {
    this.maxHits = maxHits;
    if (this.paused) {
      this.waitingSnapshot = hits.slice();
      this.waiting = [];
      this.waitingCount = hits.reduce((n, h) => n + (h.seq > this.lastSeq ? 1 : 0), 0);
      return false;
    }
    this.all = [];
    this.lastSeq = -1;
    this.pushRows(hits);
    this.trim();
    this.refilter();
    return true;
  }

  /**
   * Appends a host batch (oldest first). Hits already seen (seq not above the
   * last one) are ignored, so a snapshot racing a batch cannot duplicate rows.
   * Returns how many rows were added to the top of the filtered view.
   */
  append(hits: readonly Hit[]): number {
    if (this.paused) {
      for (const h of hits) this.waiting.push(h);
      this.waitingCount += hits.length;
      if (this.waiting.length > this.maxHits) this.waiting.splice(0, this.waiting.length - this.maxHits);
      return 0;
    }
    const rows = this.pushRows(hits);
    let added = 0;
    const f = this.filter;
    // Only the newest maxHits of a huge batch can survive the trim: do not filter the rest.
    for (let i = Math.max(0, rows.length - this.maxHits); i < rows.length; i++) {
      const r = rows[i]!;
      if (!f || f.test(r.hit.data)) { this.view.push(r); added++; }
    }
    this.trim();
    // Rows dropped at the bottom (oldest) do not move the rows above them; only rows added on top do.
    return Math.min(added, this.view.length);
  }

  /** Appends hits with a new seq to `all` (not yet trimmed) and returns the new rows. */
  private pushRows(hits: readonly Hit[]): Row[] {
    const rows: Row[] = [];
    for (const h of hits) {
      if (h.seq <= this.lastSeq) continue;
      const r = { hit: h };
      this.all.push(r);
      rows.push(r);
      this.lastSeq = h.seq;
    }
    return rows;
  }

  /** Keeps the newest maxHits rows, like the host's ring buffer. */
  private trim(): void {
    const extra = this.all.length - this.maxHits;
    if (extra <= 0) return;
    this.all.splice(0, extra);
    const firstSeq = this.all[0]!.hit.seq;
    const cut = lowerBound(this.view, firstSeq);
    if (cut > 0) this.view.splice(0, cut);
  }

  /**
   * Drops kept and waiting hits older than `seq`: the host no longer keeps
   * them (its memory budget may keep fewer than maxHits), so neither do we.
   */
  dropBefore(seq: number): void {
    const cutAll = lowerBound(this.all, seq);
    if (cutAll > 0) this.all.splice(0, cutAll);
    const cutView = lowerBound(this.view, seq);
    if (cutView > 0) this.view.splice(0, cutView);
    let w = 0;
    while (w < this.waiting.length && this.waiting[w]!.seq < seq) w++;
    if (w > 0) this.waiting.splice(0, w);
  }

  setFilter(filter: RowFilter | null): void {
    this.filter = filter && !filter.isEmpty ? filter : null;
    this.refilter();
  }

  private refilter(): void {
    const f = this.filter;
    if (!f) { this.view = this.all.slice(); return; }
    const out: Row[] = [];
    for (const r of this.all) if (f.test(r.hit.data)) out.push(r);
    this.view = out;
  }

  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (paused) return;
    const snap = this.waitingSnapshot;
    const waiting = this.waiting;
    this.waitingSnapshot = null;
    this.waiting = [];
    this.waitingCount = 0;
    if (snap) this.replace(snap, this.maxHits);
    if (waiting.length) this.append(waiting);
  }

  clear(): void {
    this.all = [];
    this.view = [];
    this.waiting = [];
    this.waitingCount = 0;
    this.waitingSnapshot = null;
    // lastSeq is kept: a batch in flight from before the clear must not resurrect rows.
  }
}
