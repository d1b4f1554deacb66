/**
 * Issue 13 in the panel: "Follow this visitor" (detail pane button, `F`, a
 * menu when the hit has several ids), the follow bar (who is followed, the
 * pinned "My traffic" view, "waiting for your hit…" with the time so far,
 * then the last hit's lag), and "Compare two hits" (Ctrl/Cmd-click a second
 * row, or Compare → another hit / a golden hit; Save as golden hit).
 *
 * The host owns the followed set (`liveStream.myTraffic`) and the golden files;
 * this module only asks (protocol messages) and shows what comes back.
 */
import { mineTerm } from '../analytics/filter/mineTerm';
import { secondsToMs } from '../analytics/summary';
import { shortId, visitorIdsOf } from '../analytics/visitorIds';
import type { Hit } from '../shared/model';
import type { FollowStateMessage, GoldenHitMessage, GoldenListMessage, WebviewToHost } from '../shared/protocol';
import { DiffView } from './diffView';
import { button, h } from './dom';
import { fmtDuration, fmtTime, revealInvisible } from './format';
import { openMenu, type MenuItem } from './popup';

/** Said while waiting: Live Stream's documented latency. */
export const WAITING_TEXT = 'Waiting for your hit, typical delay 20 s – 5 min (about 10 min more with A4T)';
/** Followed entries shown as chips in the bar; the rest are counted. */
const BAR_CHIPS = 5;

export interface VisitorUiDeps {
  post(m: WebviewToHost): void;
  /** A kept hit by seq (filtered out or not). */
  bySeq(seq: number): Hit | undefined;
  /** The hit in the detail pane, else the selected row's. */
  currentHit(): Hit | undefined;
  /** The followed set changed: `is:mine` means something else now. */
  setMyTraffic(entries: string[]): void;
  /** The pinned "My traffic" view: the `is:mine` term of the filter (saved with the panel's state). */
  mineOn(): boolean;
  setMineOn(on: boolean): void;
  toast(text: string): void;
  utc(): boolean;
  /** The table body, for Ctrl/Cmd-click (second hit to compare). */
  gridBody: HTMLElement;
}

export class VisitorUi {
  /** The follow bar (hidden while nothing is followed). */
  readonly bar: HTMLElement;
  readonly diff = new DiffView();
  /** Buttons for the detail pane's header. */
  readonly headExtras: HTMLElement[];
  private readonly followBtn: HTMLButtonElement;
  private readonly compareBtn: HTMLButtonElement;
  private readonly chipsEl: HTMLElement;
  private readonly waitEl: HTMLElement;
  private readonly viewBtn: HTMLButtonElement;

  private entries: string[] = [];
  private since: number | undefined;
  private mine: ((d: Record<string, unknown>) => boolean) | undefined;
  /** Newest followed hit seen: receive time and lag. */
  private last: { receivedAt: number; lagMs?: number } | undefined;
  /** Set by Follow here: switch the table to "My traffic" when the host confirms. */
  private switchToMine: string | undefined;
  /** "Compare with another hit": the next clicked row is compared with this seq. */
  private pickBase: number | undefined;
  private pendingMenu: { anchor: HTMLElement; base: number } | undefined;
  private pendingGolden: { name: string; base: number } | undefined;

  constructor(private readonly d: VisitorUiDeps) {
    this.followBtn = button({ icon: 'eye', title: 'Follow this visitor (F)', class: 'btn icon-only follow-btn', onClick: () => this.followCurrent(this.followBtn) });
    this.compareBtn = button({ icon: 'diff', title: 'Compare with another hit or a golden hit (or Ctrl/Cmd-click a second row)', class: 'btn icon-only compare-btn', onClick: () => this.openCompare() });
    const golden = button({ icon: 'star-empty', title: 'Save as golden hit (.vscode/livestream-golden/)', class: 'btn icon-only golden-btn', onClick: () => this.saveGolden() });
    for (const b of [this.followBtn, this.compareBtn, golden]) b.setAttribute('aria-haspopup', b === golden ? 'false' : 'menu');
    this.headExtras = [this.followBtn, this.compareBtn, golden];

    this.chipsEl = h('span', { class: 'follow-chips' });
    this.waitEl = h('span', { class: 'follow-wait', role: 'status', 'aria-live': 'polite' });
    this.viewBtn = button({ label: 'My traffic', class: 'btn toggle follow-view', title: 'Show only the followed visitors’ hits, newest first (is:mine)', onClick: () => this.d.setMineOn(!this.d.mineOn()) });
    this.bar = h('div', { class: 'follow-bar', hidden: true, 'aria-label': 'Followed visitors' },
      h('span', { class: 'codicon codicon-eye', 'aria-hidden': 'true' }), h('span', { class: 'follow-label', text: 'Following' }), this.chipsEl, this.viewBtn, this.waitEl);

    // Capture phase: runs before the grid's own click handler, which would only select.
    d.gridBody.addEventListener('click', (e) => this.onRowClick(e), { capture: true });
    d.gridBody.addEventListener('contextmenu', (e) => this.onContextMenu(e));
    document.addEventListener('keydown', (e) => {
      const t = e.target as HTMLElement | null;
      const typing = !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable);
      if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'f' || e.key === 'F') { e.preventDefault(); this.followCurrent(this.followBtn); }
      else if (e.key === 'Escape' && this.pickBase !== undefined) { this.pickBase = undefined; this.d.toast('Compare cancelled.'); }
    });
  }

  // ------------------------------------------------------------ host messages

  onFollowState(m: FollowStateMessage): void {
    // The last visitor unfollowed: back to all hits (`is:mine` with nothing to match is an error).
    const noneLeft = this.entries.length > 0 && m.entries.length === 0;
    this.entries = m.entries;
    this.since = m.since;
    this.mine = m.entries.length ? mineTerm(m.entries) : undefined;
    this.d.setMyTraffic(m.entries);
    if (this.switchToMine !== undefined && m.entries.includes(this.switchToMine)) {
      this.switchToMine = undefined;
      if (!this.d.mineOn()) this.d.setMineOn(true);
    }
    if (noneLeft && this.d.mineOn()) this.d.setMineOn(false);
    this.renderChips();
  }

  /** A snapshot replaced the hits (oldest first): find the newest followed one. */
  onSnapshot(hits: readonly Hit[]): void {
    this.last = undefined;
    this.onHits(hits);
  }

  /** New hits (oldest first). */
  onHits(hits: readonly Hit[]): void {
    const mine = this.mine;
    if (!mine) return;
    for (let i = hits.length - 1; i >= 0; i--) {
      const hit = hits[i]!;
      if (hit.omitted || !mine(hit.data)) continue;
      if (!this.last || hit.receivedAt >= this.last.receivedAt) {
        const t = secondsToMs(hit.data.timeGMT);
        this.last = { receivedAt: hit.receivedAt, lagMs: t === undefined ? undefined : hit.receivedAt - t };
      }
      return;
    }
  }

  onGoldenList(m: GoldenListMessage): void {
    const p = this.pendingMenu;
    this.pendingMenu = undefined;
    if (m.error) this.d.toast(m.error);
    if (!p) return;
    const items: MenuItem[] = [{ label: 'With another hit… (then click it; or Ctrl/Cmd-click a row)', onSelect: () => this.startPick(p.base) }];
    for (const name of m.names) items.push({ label: `With golden hit ${name}`, onSelect: () => this.loadGolden(name, p.base) });
    if (!m.error && m.names.length === 0) items.push({ label: 'No golden hits yet (☆ Save as golden hit)', onSelect: () => this.saveGolden() });
    if (m.skipped) items.push({ label: `${m.skipped} more file(s) not listed (unusable names or over the limit)`, onSelect: () => undefined });
    openMenu(p.anchor, items, 'Compare with');
  }

  onGoldenHit(m: GoldenHitMessage): void {
    const p = this.pendingGolden;
    if (!p || p.name !== m.name) return;
    this.pendingGolden = undefined;
    if (m.error || !m.data) { this.d.toast(m.error ?? 'The golden hit could not be read.'); return; }
    const hit = this.d.bySeq(p.base);
    if (!hit) { this.d.toast('That hit is no longer kept.'); return; }
    this.diff.show({ title: `golden hit ${m.name}`, data: m.data }, { title: this.hitTitle(hit), data: hit.data });
  }

  // ------------------------------------------------------------ follow

  private followCurrent(anchor: HTMLElement): void {
    const hit = this.d.currentHit();
    if (!hit) { this.d.toast('Select a hit first, then Follow its visitor.'); return; }
    const items = this.followItems(hit);
    if (items.length === 0) { this.d.toast('This hit has no ECID, visitor id, custom visitor id or IP address to follow.'); return; }
    const ids = visitorIdsOf(hit.data);
    if (ids.length === 1 && !this.entries.includes(ids[0]!.value)) { this.follow(ids[0]!.value); return; }
    openMenu(anchor, items, 'Follow this visitor');
  }

  /** Follow (or Unfollow) by each id the hit has. */
  private followItems(hit: Hit): MenuItem[] {
    return visitorIdsOf(hit.data).map((id) => this.entries.includes(id.value)
      ? { label: `Unfollow ${id.label} ${shortId(id.value)}`, onSelect: () => this.unfollow(id.value) }
      : { label: `Follow by ${id.label} ${shortId(id.value)}`, onSelect: () => this.follow(id.value) });
  }

  /** Right-click on a row: follow its visitor, compare it with the selected hit, save it as golden. */
  private onContextMenu(e: MouseEvent): void {
    const row = (e.target as HTMLElement | null)?.closest<HTMLElement>('[data-seq]');
    const hit = row ? this.d.bySeq(Number(row.dataset.seq)) : undefined;
    if (!row || !hit) return;
    e.preventDefault(); // instead of the webview's Cut/Copy/Paste menu
    const items = this.followItems(hit);
    const base = this.d.currentHit();
    if (base && base.seq !== hit.seq && !base.omitted && !hit.omitted) {
      items.push({ label: 'Compare with the selected hit', onSelect: () => this.diff.show({ title: this.hitTitle(base), data: base.data }, { title: this.hitTitle(hit), data: hit.data }) });
    }
    items.push({ label: 'Save as golden hit…', onSelect: () => this.d.post({ type: 'saveGolden', seq: hit.seq }) });
    openMenu(row, items, 'Hit actions');
    const menu = document.querySelector<HTMLElement>('.menu');
    // At the pointer rather than under the (wide) row.
    if (menu) menu.style.left = `${Math.max(0, Math.min(e.clientX, window.innerWidth - 240))}px`;
  }

  private follow(id: string): void {
    this.switchToMine = id;
    this.d.post({ type: 'follow', id });
    this.d.toast(`Following ${shortId(id)}.`);
  }

  private unfollow(id: string): void {
    this.d.post({ type: 'unfollow', id });
    this.d.toast(`Stopped following ${shortId(id)}.`);
  }

  private renderChips(): void {
    this.bar.hidden = this.entries.length === 0;
    const chips = this.entries.slice(0, BAR_CHIPS).map((id) => h('span', { class: 'follow-chip', title: id },
      h('span', { text: revealInvisible(shortId(id)) }),
      button({ icon: 'close', title: `Unfollow ${id}`, class: 'btn icon-only unfollow', onClick: () => this.unfollow(id) })));
    const more = this.entries.length - BAR_CHIPS;
    this.chipsEl.replaceChildren(...chips, ...(more > 0 ? [h('span', { class: 'muted', text: `+${more} more` })] : []));
  }

  /** Once a second and after messages: the waiting time, or the last hit's lag. */
  render(hostNow: number): void {
    if (this.bar.hidden) return;
    this.viewBtn.setAttribute('aria-pressed', this.d.mineOn() ? 'true' : 'false');
    const since = this.since;
    let text: string;
    if (since !== undefined && !(this.last && this.last.receivedAt >= since)) {
      text = `${WAITING_TEXT} · ${fmtDuration(Math.max(0, hostNow - since))} so far`;
      this.waitEl.dataset.state = 'waiting';
    } else if (this.last) {
      const lag = this.last.lagMs === undefined ? '' : `, ${fmtDuration(this.last.lagMs)} after it was sent`;
      text = `Last hit ${fmtTime(this.last.receivedAt, this.d.utc())}${lag}`;
      this.waitEl.dataset.state = 'arrived';
    } else {
      text = 'No hit of theirs kept yet';
      this.waitEl.dataset.state = 'none';
    }
    if (this.waitEl.textContent !== text) this.waitEl.textContent = text;
  }

  // ------------------------------------------------------------ compare

  private openCompare(): void {
    const hit = this.d.currentHit();
    if (!hit) { this.d.toast('Select a hit first, then Compare.'); return; }
    this.pendingMenu = { anchor: this.compareBtn, base: hit.seq };
    this.d.post({ type: 'listGolden' });
  }

  private startPick(base: number): void {
    this.pickBase = base;
    this.d.toast('Click the hit to compare with (Escape cancels).');
  }

  private loadGolden(name: string, base: number): void {
    this.pendingGolden = { name, base };
    this.d.post({ type: 'loadGolden', name });
  }

  private saveGolden(): void {
    const hit = this.d.currentHit();
    if (!hit) { this.d.toast('Select a hit first, then Save as golden hit.'); return; }
    this.d.post({ type: 'saveGolden', seq: hit.seq });
  }

  private onRowClick(e: MouseEvent): void {
    const picking = this.pickBase !== undefined;
    if (!picking && !(e.ctrlKey || e.metaKey)) return;
    const row = (e.target as HTMLElement | null)?.closest<HTMLElement>('[data-seq]');
    const seq = row ? Number(row.dataset.seq) : NaN;
    const base = picking ? this.pickBase : this.d.currentHit()?.seq;
    if (!Number.isSafeInteger(seq) || base === undefined) return; // a plain selection
    e.preventDefault();
    e.stopImmediatePropagation();
    this.pickBase = undefined;
    if (seq === base) { this.d.toast('That is the same hit: pick another one to compare.'); return; }
    const a = this.d.bySeq(base);
    const b = this.d.bySeq(seq);
    if (!a || !b) { this.d.toast('That hit is no longer kept.'); return; }
    if (a.omitted || b.omitted) { this.d.toast('A placeholder hit (too deep or too large to show) cannot be compared.'); return; }
    this.diff.show({ title: this.hitTitle(a), data: a.data }, { title: this.hitTitle(b), data: b.data });
  }

  private hitTitle(hit: Hit): string {
    const t = secondsToMs(hit.data.timeGMT) ?? hit.receivedAt;
    const page = typeof hit.data.pageName === 'string' && hit.data.pageName ? ` · ${hit.data.pageName.slice(0, 80)}` : '';
    return `hit ${fmtTime(t, this.d.utc())}${page}`;
  }
}
