/**
 * One hits-table row per record (`summarize`) and the small classifiers it is
 * made of: hit type, times, URL host and path, visitor. Never throws; strings
 * are plain text.
 */
import { COMMERCE_BY_LOWER, eventsText } from './events';
import { hasOwn, idText, isRecord, nonEmpty, own, scalarText, type Rec } from './recordAccess';

export type HitType = 'page' | 'link' | 'commerce' | 'other';

/** One row of the hits table. Strings are plain text, capped (see `SUMMARY_MAX`). */
export interface RowSummary {
  hitTimeMs?: number;
  receivedTimeMs?: number;
  type: HitType;
  reportSuite: string;
  pageName: string;
  /** host + path of pageURL. */
  urlShort: string;
  /** e.g. "purchase, event1=3, event61". */
  eventsShort: string;
  /** visIdHigh:visIdLow, else customVisId, else mcVisIdHigh:mcVisIdLow, with exact digits. */
  visitor: string;
}

function linkIndicator(v: unknown): boolean {
  if (typeof v === 'number') return (v >= 10 && v <= 12) || (v >= 100 && v <= 102);
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === '') return false;
    if (/^\d+$/.test(s)) return linkIndicator(Number(s));
    // Seen spellings: o/d/e, lnk_o, "custom", "download link", "exit", "Other link"...
    return s === 'o' || s === 'd' || s === 'e' || s.startsWith('lnk') || /link|download|exit|custom/.test(s);
  }
  if (isRecord(v)) return linkIndicator(own(v, 'type')) || linkIndicator(own(v, 'linkType'));
  return false;
}

/**
 * Classifies a hit: 'commerce' when it carries products or a cart/purchase event,
 * else 'link' when pageEventType/linkType/pageEvent says custom, download or exit
 * link (or a linkName/linkURL is set), else 'page' when it has a pageName or
 * pageURL, else 'other'.
 */
export function hitType(data: unknown): HitType {
  if (!isRecord(data)) return 'other';
  if (nonEmpty(own(data, 'products'))) return 'commerce';
  const events = own(data, 'events');
  if (isRecord(events)) {
    for (const k in events) {
      if (hasOwn.call(events, k) && COMMERCE_BY_LOWER.has(k.toLowerCase()) && nonEmpty(events[k])) return 'commerce';
    }
  }
  if (linkIndicator(own(data, 'pageEventType')) || linkIndicator(own(data, 'linkType')) || linkIndicator(own(data, 'pageEvent'))) return 'link';
  if (nonEmpty(own(data, 'linkName')) || nonEmpty(own(data, 'linkURL'))) return 'link';
  if (nonEmpty(own(data, 'pageName')) || nonEmpty(own(data, 'pageURL'))) return 'page';
  return 'other';
}

/** Unix seconds (number or digit string) → ms; values already in ms (after year 5000 as seconds) pass through. */
export function secondsToMs(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n)) return undefined;
  const ms = Math.abs(n) > 1e11 ? n : n * 1000;
  return Math.abs(ms) <= 8.64e15 ? ms : undefined;
}

/** ISO 8601 in UTC, without ".000" for whole seconds. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Host (lower-cased, without userinfo) and path of a URL string, without URL parsing that could throw. */
export function urlParts(u: string): { host: string; path: string } {
  const s = u.length > 8192 ? u.slice(0, 8192) : u;
  const m = /^\s*(?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\/([^/?#\\]*)([^?#]*)/.exec(s);
  if (m) {
    const auth = m[1] ?? '';
    const host = auth.slice(auth.lastIndexOf('@') + 1).toLowerCase();
    return { host, path: m[2] || '/' };
  }
  const q = s.search(/[?#]/);
  return { host: '', path: q < 0 ? s : s.slice(0, q) };
}

const SUMMARY_MAX = 1000;

function cap(s: string, max = SUMMARY_MAX): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function text(data: Rec, key: string): string {
  return scalarText(own(data, key));
}

/**
 * The visitor in one string, exact digits: visIdHigh:visIdLow, else customVisId,
 * else mcVisIdHigh:mcVisIdLow, else whichever single id is present.
 */
export function visitorText(data: Rec): string {
  const vh = idText(own(data, 'visIdHigh')), vl = idText(own(data, 'visIdLow'));
  if (vh && vl) return `${vh}:${vl}`;
  const custom = idText(own(data, 'customVisId'));
  if (custom) return custom;
  const mh = idText(own(data, 'mcVisIdHigh')), ml = idText(own(data, 'mcVisIdLow'));
  if (mh && ml) return `${mh}:${ml}`;
  return vl || vh || ml || mh;
}

/** The columns of one hits-table row. Never throws; strings are capped at 1000 characters. */
export function summarize(data: unknown): RowSummary {
  const d: Rec = isRecord(data) ? data : {};
  const url = text(d, 'pageURL');
  const { host, path } = urlParts(url);
  const row: RowSummary = {
    type: hitType(d),
    reportSuite: cap(text(d, 'reportSuite')),
    pageName: cap(text(d, 'pageName')),
    urlShort: cap(host ? host + path : url),
    eventsShort: cap(eventsText(d, 50)),
    visitor: cap(visitorText(d)),
  };
  const hit = secondsToMs(own(d, 'timeGMT'));
  if (hit !== undefined) row.hitTimeMs = hit;
  const rec = secondsToMs(own(d, 'receivedTimeGMT'));
  if (rec !== undefined) row.receivedTimeMs = rec;
  return row;
}
