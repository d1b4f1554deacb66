/**
 * When to say "your hit arrived": the followed visitors' first hit after
 * following, or after a quiet period, never a notification per hit. Pure (an
 * injected clock, no `vscode`), so the unit tests drive hours in milliseconds;
 * src/host/follow.ts shows what it returns.
 */
import { mineTerm } from '../analytics/filter/mineTerm';
import { secondsToMs } from '../analytics/summary';
import { escapeControls } from '../shared/escapeControls';
import type { Hit } from '../shared/model';

export interface FollowNotice {
  /** The followed entry (`liveStream.myTraffic`) that matched. */
  entry: string;
  hit: Hit;
  /** Receive time minus hit time (`timeGMT`), ms; undefined when the hit has no usable time. */
  lagMs?: number;
  /** True for the first hit after "Follow" (otherwise: the first after a quiet period). */
  afterFollow: boolean;
}

export interface FollowWatchOptions {
  /** A visitor silent this long is "quiet": its next hit is announced again. */
  quietMs?: number;
  /** At most one notification per this interval, whichever visitor. */
  minGapMs?: number;
}

/** Entries checked individually (to name the one that matched); the setting may hold more, `is:mine` still sees all. */
const MAX_WATCHED = 200;

/**
 * A page host (`shop.example.com`, `http://localhost:3000`) in `liveStream.myTraffic`
 * matches everyone's hits on that site: it is not a visitor, so it is never announced.
 */
/**
 * Text a record must contain to match `entry` (the visitor id's low half in
 * decimal, or the id itself), so most hits are passed over without parsing
 * them: the stream pipeline parses records in a worker and the host's copy
 * only on first read. Undefined when there is no safe needle (then every hit
 * is parsed and tested).
 */
export function needleOf(entry: string): string | undefined {
  const noZeros = (s: string) => s.replace(/^0+(?=\d)/, '');
  let m = /^(\d{1,20}):(\d{1,20})$/.exec(entry) ?? /^(\d{19})(\d{19})$/.exec(entry);
  if (m) return noZeros(m[2]!);
  m = /^(?:\[CS\]v1\|)?([0-9A-Fa-f]{1,16})-([0-9A-Fa-f]{1,16})(?:\[CE\])?$/.exec(entry);
  if (m) return BigInt(`0x${m[2]}`).toString();
  // Characters JSON never escapes: the id appears in the record text as is.
  return /^[A-Za-z0-9._:@+-]+$/.test(entry) ? entry : undefined;
}

export function isPageHostEntry(entry: string): boolean {
  return entry.includes('://') || /^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z][a-z0-9-]*(:\d+)?$/i.test(entry) && !/^[\d.]+$/.test(entry);
}

export class FollowWatch {
  private readonly quietMs: number;
  private readonly minGapMs: number;
  private any: ((d: Record<string, unknown>) => boolean) | undefined;
  private each: { entry: string; test: (d: Record<string, unknown>) => boolean }[] = [];
  /** One needle per watched entry, or undefined when some entry has none. */
  private needles: string[] | undefined;
  /** Receive time of each watched entry's last hit (only watched entries: bounded). */
  private readonly lastSeen = new Map<string, number>();
  /** Entries followed in this window and not yet announced, with when. */
  private readonly pending = new Map<string, number>();
  private lastNoticeAt = -Infinity;
  /** Host time of the last Follow while no matching hit has arrived since: the panel's "waiting for your hit". */
  since: number | undefined;

  constructor(private readonly now: () => number, o: FollowWatchOptions = {}) {
    this.quietMs = o.quietMs ?? 10 * 60_000;
    this.minGapMs = o.minGapMs ?? 30_000;
  }

  /** The followed set changed (settings); `followed` is the entry the user just followed here, if any. */
  setEntries(entries: readonly string[], followed?: string): void {
    const watched = entries.filter((e) => !isPageHostEntry(e)).slice(0, MAX_WATCHED);
    this.any = watched.length ? mineTerm(watched) : undefined;
    this.each = watched.map((entry) => ({ entry, test: mineTerm([entry]) }));
    const needles = watched.map(needleOf);
    this.needles = needles.every((n) => n !== undefined) ? needles as string[] : undefined;
    const keep = new Set(watched);
    for (const k of [...this.lastSeen.keys()]) if (!keep.has(k)) this.lastSeen.delete(k);
    for (const k of [...this.pending.keys()]) if (!keep.has(k)) this.pending.delete(k);
    if (followed !== undefined && keep.has(followed)) {
      const t = this.now();
      this.pending.set(followed, t);
      this.lastSeen.delete(followed);
      this.since = t;
    }
    if (this.pending.size === 0) this.since = undefined;
  }

  /** New hits (oldest first): at most one notice per call, and only when one is due. */
  observe(hits: readonly (Hit & { raw?: string })[]): FollowNotice | undefined {
    const any = this.any;
    if (!any) return undefined;
    const now = this.now();
    const needles = this.needles;
    let notice: FollowNotice | undefined;
    for (const hit of hits) {
      if (hit.omitted) continue;
      if (needles) {
        const raw = hit.raw;
        if (typeof raw === 'string' && !needles.some((n) => raw.includes(n))) continue; // not parsed
      }
      if (!any(hit.data)) continue;
      const entry = this.each.find((e) => e.test(hit.data))?.entry;
      if (entry === undefined) continue;
      const followedAt = this.pending.get(entry);
      const afterFollow = followedAt !== undefined && hit.receivedAt >= followedAt;
      const last = this.lastSeen.get(entry);
      const quiet = last === undefined || now - last >= this.quietMs;
      this.lastSeen.set(entry, now);
      if (afterFollow) {
        this.pending.delete(entry);
        if (this.pending.size === 0) this.since = undefined;
      }
      if (notice || !(afterFollow || quiet) || now - this.lastNoticeAt < this.minGapMs) continue;
      const t = secondsToMs(hit.data.timeGMT);
      notice = { entry, hit, afterFollow, lagMs: t === undefined ? undefined : hit.receivedAt - t };
      this.lastNoticeAt = now;
    }
    return notice;
  }
}

/** "41 s", "3 min 5 s", "1 h 2 min"; negative lags (clock skew) as "−4 s". */
export function lagText(ms: number): string {
  const sign = ms < 0 ? '−' : '';
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${sign}${s} s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)} min ${s % 60} s`;
  return `${sign}${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * Hit text in a notification: notifications turn `[label](target)` into links
 * (command links included), so brackets are replaced by look-alikes, and
 * control/bidi characters are shown escaped.
 */
export function inert(text: string): string {
  return escapeControls(text).replace(/\[/g, '［').replace(/\]/g, '］');
}
