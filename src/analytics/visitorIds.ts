/**
 * "Follow this visitor": which ids a hit offers to follow, written the way
 * `liveStream.myTraffic` (and so `is:mine`, src/analytics/filter/mineTerm.ts)
 * understands them. Ids stay exact digit strings (the record is parsed
 * losslessly); hostile values are refused, never trimmed into something else.
 */
import { idText, own } from './recordAccess';

export type VisitorIdKind = 'ecid' | 'visitorId' | 'customVisitorId' | 'ip';

export interface VisitorId {
  kind: VisitorIdKind;
  /** What the menu says: "ECID", "Visitor ID", … */
  label: string;
  /** The `liveStream.myTraffic` entry. */
  value: string;
}

export const VISITOR_ID_LABELS: Record<VisitorIdKind, string> = {
  ecid: 'ECID', visitorId: 'Visitor ID (visIdHigh:visIdLow)', customVisitorId: 'Custom visitor ID', ip: 'IP address',
};

/** Longest entry we follow: real ids are under 40 characters; a `myTraffic` entry is not a place for a 1 MB value. */
export const MAX_FOLLOW_ID_CHARS = 200;
/** At most this many followed entries (each one is checked against every hit). */
export const MAX_FOLLOWED = 50;

const DIGITS = /^\d{1,20}$/;

/** True when `s` can be a followed entry: bounded, single-line, no control or bidi characters, not blank. */
export function isFollowableId(s: unknown): s is string {
  // eslint-disable-next-line no-control-regex
  return typeof s === 'string' && s.trim() === s && s.length > 0 && s.length <= MAX_FOLLOW_ID_CHARS && !/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(s);
}

/** 19 digits, zero-padded: the two halves of the 38-digit ECID. */
const pad19 = (s: string) => s.padStart(19, '0');

/**
 * The ids of a hit, most specific first: ECID (`mcVisId`, or `mcVisIdHigh` and
 * `mcVisIdLow` as the 38-digit ECID, or as `high:low` when a half has 20 digits), visitor id (`visIdHigh:visIdLow`), custom
 * visitor id, IP. Absent, zero or malformed ids are left out.
 */
export function visitorIdsOf(data: unknown): VisitorId[] {
  const out: VisitorId[] = [];
  const add = (kind: VisitorIdKind, value: string) => {
    if (isFollowableId(value) && !out.some((o) => o.value === value)) out.push({ kind, label: VISITOR_ID_LABELS[kind], value });
  };
  const mc = idText(own(data, 'mcVisId'));
  if (/^\d{38}$/.test(mc)) add('ecid', mc);
  else {
    const hi = idText(own(data, 'mcVisIdHigh'));
    const lo = idText(own(data, 'mcVisIdLow'));
    if (DIGITS.test(hi) && DIGITS.test(lo) && !(/^0+$/.test(hi) && /^0+$/.test(lo))) {
      // Halves over 19 digits (unsigned 64-bit) cannot be told apart in the 38-digit form: `high:low` then.
      add('ecid', hi.length <= 19 && lo.length <= 19 ? pad19(hi) + pad19(lo) : `${hi}:${lo}`);
    }
  }
  const vh = idText(own(data, 'visIdHigh'));
  const vl = idText(own(data, 'visIdLow'));
  if (DIGITS.test(vh) && DIGITS.test(vl) && !(/^0+$/.test(vh) && /^0+$/.test(vl))) add('visitorId', `${vh}:${vl}`);
  const custom = own(data, 'customVisId');
  if (typeof custom === 'string' && custom !== '' || typeof custom === 'number') add('customVisitorId', idText(custom));
  const ip = own(data, 'ip');
  if (typeof ip === 'string' && /^[0-9A-Fa-f.:]{2,45}$/.test(ip) && /[.:]/.test(ip)) add('ip', ip);
  return out;
}

/** A short form for buttons and notifications: long digit runs elided in the middle. */
export function shortId(value: string): string {
  return value.length > 24 ? `${value.slice(0, 10)}…${value.slice(-8)}` : value;
}
