/**
 * The one message protocol between the extension host (src/host/hitsPanel.ts)
 * and the hits webview (src/webview/). Both sides import this module and both
 * validate what they receive: the webview is a sandboxed page showing
 * attacker-controlled text, so the host treats its messages as untrusted input,
 * and the webview must not crash on a message from an older/newer host.
 *
 * The version travels in `ready` and `snapshot` because webview state
 * (`getState`) and restored panels outlive extension upgrades.
 */
import { EXPORT_FORMATS, type ExportFormat } from '../analytics/exportFormat';
import { hasOwn, isRecord, type Rec } from '../analytics/recordAccess';
import { isHitRuleResult, wireRules } from './rulesWire';
import { isFollowableId } from '../analytics/visitorIds';
import { parseRecord } from './losslessJson';
import { utf8Bytes } from '../analytics/utf8';
import { MAX_DISPLAY_CHARS, MAX_DISPLAY_DEPTH, type ConnectionState, type EngineSnapshot, type Hit, type OmittedHit } from './model';

/**
 * Issue 13 added `Hit.rules` (optional) and `setFilter` without a bump: both
 * are additive, host and webview ship in one bundle, and a page restored from
 * an older version logs and ignores a message it does not know.
 */
export const PROTOCOL_VERSION = 1;


// ---------------------------------------------------------------- host → webview

/**
 * One hit on the wire. Usually the length of its record in the message's `records` bytes: the
 * webview decodes and parses it (losslessly, like the host). The extension host's thread, which
 * every extension of the window shares, then neither parses nor serializes an object tree or a
 * JSON string per hit: VS Code carries typed arrays in webview messages as binary, outside the
 * JSON (`serializeWebviewMessage`, VS Code ≥ 1.57). Placeholders and hits without text carry
 * `data` instead. Exactly one of the two.
 */
export type WireHit = Omit<Hit, 'data'> & ({ len: number; data?: never } | { data: Record<string, unknown>; len?: never });

/** The hits of one message: records back to back in `records`, in the order of the hits that have `len`. */
export interface WireHits { hits: WireHit[]; records?: Uint8Array }

/** Full state: sent in answer to `ready`, after a reset/clear, and when the panel becomes visible again. */
export interface SnapshotMessage {
  type: 'snapshot';
  version: number;
  engine: EngineSnapshot;
  /** Oldest first. */
  hits: WireHit[];
  /** The records of the hits with `len`, back to back (UTF-8). */
  records?: Uint8Array;
  /** `liveStream.maxHits`: the webview keeps at most this many rows. */
  maxHits: number;
  /** `liveStream.myTraffic`: visitor ids / page hosts behind the `is:mine` filter. */
  myTraffic: string[];
  /** Host clock (ms since epoch) when sent, so the webview can show countdowns in host time. */
  now: number;
}

/** New hits since the last message (oldest first), coalesced over ~100 ms; may carry the latest engine model. */
export interface HitsMessage {
  type: 'hits';
  hits: WireHit[];
  /** The records of the hits with `len`, back to back (UTF-8). */
  records?: Uint8Array;
  engine?: EngineSnapshot;
  now: number;
  /** Seq of the oldest hit the host still keeps: the webview drops older rows (the host's byte budget may keep fewer than maxHits). */
  oldestSeq?: number;
  /** Set when more hits arrived since the last batch than this one carries (over maxHits or the batch's byte budget): only the newest `shown` of `arrived` are in it. */
  notShown?: { arrived: number; shown: number };
}

/** The engine model changed (connection state, counters, last error). */
export interface StateMessage {
  type: 'state';
  engine: EngineSnapshot;
  now: number;
}

/** The host dropped its hits (Clear): the webview drops rows, waiting hits and the chart. */
export interface ClearedMessage {
  type: 'cleared';
}

/** Outcome of an `export` request. */
export interface ExportResultMessage {
  type: 'exportResult';
  outcome: 'done' | 'cancelled' | 'error';
  format: ExportFormat;
  /** Hits written (done, or partial before an error/cancel). */
  count: number;
  /** Where it went (done). */
  path?: string;
  /** What went wrong (error). */
  error?: string;
}

/** Replace the filter text (the Problems panel's "Show matching hits": `rule:<id>/<kind>`); held until `ready`. */
export interface SetFilterMessage {
  type: 'setFilter';
  filter: string;
}

// ---- issue 13: follow my visitor, golden hits (host → webview)

/** The followed visitors (`liveStream.myTraffic`) changed, or the page just became ready; sent after every snapshot. */
export interface FollowStateMessage {
  type: 'followState';
  entries: string[];
  /** Host time of the last "Follow" in this window: until a matching hit received after it arrives, the panel says it is waiting. */
  since?: number;
}

/** Answer to `listGolden`: the workspace's `.vscode/livestream-golden/*.json` file names. */
export interface GoldenListMessage { type: 'goldenList'; names: string[]; skipped: number; error?: string }

/** Answer to `loadGolden` (or a just saved golden hit): the record parsed losslessly, or why it could not be read. */
export interface GoldenHitMessage { type: 'goldenHit'; name: string; data?: Record<string, unknown>; error?: string }

export type HostToWebview = SnapshotMessage | HitsMessage | StateMessage | ClearedMessage | ExportResultMessage | SetFilterMessage
  | FollowStateMessage | GoldenListMessage | GoldenHitMessage;

// ---------------------------------------------------------------- webview → host

/** The webview has loaded and listens; the host answers with a snapshot and only then sends anything else. */
export interface ReadyMessage { type: 'ready'; version: number }
/** Run `liveStream.connect`. */
export interface ConnectMessage { type: 'connect' }
/** Run `liveStream.connectDemo` (the built-in demo stream). */
export interface ConnectDemoMessage { type: 'connectDemo' }
/** Run `liveStream.disconnect`. */
export interface DisconnectMessage { type: 'disconnect' }
/** Drop all kept hits (host buffer and webview rows). */
export interface ClearMessage { type: 'clear' }
/** Export the hits matching `filter` (filter-language text, '' = all) in `format` through a save dialog. */
export interface ExportMessage { type: 'export'; format: ExportFormat; filter: string }
/** Put `text` (a decoded value, an id) on the clipboard. */
export interface CopyTextMessage { type: 'copyText'; text: string }
/** Put the exact raw record text of hit `seq` on the clipboard (lossless ids; the webview only has parsed data). */
export interface CopyHitMessage { type: 'copyHit'; seq: number }
/** Open the extension's settings (e.g. to set `liveStream.myTraffic`). */
export interface OpenSettingsMessage { type: 'openSettings'; query?: string }
/** A line for the extension's log channel (webview errors would otherwise vanish). */
export interface LogMessage { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }

// ---- issue 13: follow my visitor, golden hits (webview → host)

/** Add `id` (an ECID, visitor id, custom visitor id or IP of a hit) to `liveStream.myTraffic`. */
export interface FollowMessage { type: 'follow'; id: string }
/** Remove `id` from `liveStream.myTraffic`. */
export interface UnfollowMessage { type: 'unfollow'; id: string }
/** Write the exact record text of hit `seq` to `.vscode/livestream-golden/` (the host asks for the name). */
export interface SaveGoldenMessage { type: 'saveGolden'; seq: number }
/** List the workspace's golden hits (answered with `goldenList`). */
export interface ListGoldenMessage { type: 'listGolden' }
/** Read one golden hit (answered with `goldenHit`). */
export interface LoadGoldenMessage { type: 'loadGolden'; name: string }

export type WebviewToHost =
  | ReadyMessage | ConnectMessage | ConnectDemoMessage | DisconnectMessage | ClearMessage
  | ExportMessage | CopyTextMessage | CopyHitMessage | OpenSettingsMessage | LogMessage
  | FollowMessage | UnfollowMessage | SaveGoldenMessage | ListGoldenMessage | LoadGoldenMessage;

// ---------------------------------------------------------------- validators

/** Limits on what the webview may ask for: a compromised page must not make the host allocate without bound. */
export const LIMITS = {
  /** copyText: a whole 1 MB field may legitimately be copied; more is not a field. */
  copyTextChars: 4 * 1024 * 1024,
  filterChars: 10_000,
  logChars: 10_000,
  settingsQueryChars: 200,
  /** A golden hit's file name (the host checks it again against its own rule). */
  goldenNameChars: 120,
  /** Names in a `goldenList` (the host lists at most 200). */
  goldenNames: 1000,
  /** Host → webview: deeper hits travel as placeholders (JSON.stringify and structured clone overflow the stack on deep nesting). */
  hitDepth: MAX_DISPLAY_DEPTH,
  /** Host → webview: larger hits (estimated JSON characters) travel as placeholders. */
  hitChars: MAX_DISPLAY_CHARS,
} as const;

/** Exactly these keys (no extras): extra keys mean the other side speaks a different protocol. */
function hasOnlyKeys(o: Rec, required: readonly string[], optional: readonly string[] = []): boolean {
  for (const k of required) if (!hasOwn.call(o, k)) return false;
  for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) return false;
  return true;
}

const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown, max = Infinity): v is string => typeof v === 'string' && v.length <= max;
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export function isExportFormat(v: unknown): v is ExportFormat {
  return typeof v === 'string' && (EXPORT_FORMATS as readonly string[]).includes(v);
}

/** Strict check of everything the webview may send. The host ignores (and logs) anything else. */
export function isWebviewToHost(msg: unknown): msg is WebviewToHost {
  if (!isRecord(msg) || typeof msg.type !== 'string') return false;
  switch (msg.type) {
    case 'ready': return hasOnlyKeys(msg, ['type', 'version']) && Number.isSafeInteger(msg.version);
    case 'connect':
    case 'connectDemo':
    case 'disconnect':
    case 'clear': return hasOnlyKeys(msg, ['type']);
    case 'export': return hasOnlyKeys(msg, ['type', 'format', 'filter']) && isExportFormat(msg.format) && isStr(msg.filter, LIMITS.filterChars);
    case 'copyText': return hasOnlyKeys(msg, ['type', 'text']) && isStr(msg.text, LIMITS.copyTextChars);
    case 'copyHit': return hasOnlyKeys(msg, ['type', 'seq']) && isSeq(msg.seq);
    case 'openSettings': return hasOnlyKeys(msg, ['type'], ['query']) && (msg.query === undefined || isStr(msg.query, LIMITS.settingsQueryChars));
    case 'log': return hasOnlyKeys(msg, ['type', 'level', 'message']) && (msg.level === 'info' || msg.level === 'warn' || msg.level === 'error') && isStr(msg.message, LIMITS.logChars);
    // issue 13
    case 'follow':
    case 'unfollow': return hasOnlyKeys(msg, ['type', 'id']) && isFollowableId(msg.id);
    case 'saveGolden': return hasOnlyKeys(msg, ['type', 'seq']) && isSeq(msg.seq);
    case 'listGolden': return hasOnlyKeys(msg, ['type']);
    case 'loadGolden': return hasOnlyKeys(msg, ['type', 'name']) && isStr(msg.name, LIMITS.goldenNameChars) && msg.name !== '';
    default: return false;
  }
}

/** Shape of one hit; `data` is only checked to be a plain object (its content is untrusted text by design). */
export function isHit(v: unknown): v is Hit {
  return isRecord(v) && isSeq(v.seq) && typeof v.key === 'string' && isFiniteNum(v.receivedAt) && isRecord(v.data)
    && (v.omitted === undefined || isOmitted(v.omitted)) && (v.rules === undefined || isHitRuleResult(v.rules));
}

/** A hit on the wire: its record's length (no longer than a displayable hit) or its data, not both. */
export function isWireHit(v: unknown): v is WireHit {
  if (!isRecord(v)) return false;
  if (v.len === undefined) return isHit(v);
  return v.data === undefined && isSeq(v.len) && (v.len as number) <= 4 * LIMITS.hitChars && v.omitted === undefined && isSeq(v.seq)
    && typeof v.key === 'string' && isFiniteNum(v.receivedAt) && (v.rules === undefined || isHitRuleResult(v.rules));
}

/** The hits' lengths add up to the records' bytes exactly (a message that does not is refused whole). */
function recordsMatch(hits: readonly WireHit[], records: unknown): boolean {
  let total = 0;
  for (const h of hits) if (h.len !== undefined) total += h.len;
  if (records === undefined) return total === 0;
  return records instanceof Uint8Array && records.byteLength === total;
}

/**
 * The host's side: the hits of one message, each shown hit's record bytes copied once into one
 * buffer (a lazy hit from the stream worker is neither decoded nor parsed here).
 */
export function wireHits(hits: readonly (Hit & { raw?: string; bytesView?(): Uint8Array; recordBytes?: number })[]): WireHits {
  const out: WireHit[] = new Array(hits.length);
  const lens: number[] = new Array(hits.length);
  let total = 0;
  for (let i = 0; i < hits.length; i++) {
    const h = hits[i]!;
    const raw = h.omitted ? undefined : h.bytesView ? undefined : h.raw;
    const len = h.omitted ? -1 : h.bytesView ? h.recordBytes ?? h.bytesView().byteLength : typeof raw === 'string' && raw !== '' ? utf8Bytes(raw) : -1;
    lens[i] = len;
    if (len >= 0) total += len;
  }
  const records = total > 0 ? new Uint8Array(total) : undefined;
  const encoder = records ? new TextEncoder() : undefined;
  let at = 0;
  for (let i = 0; i < hits.length; i++) {
    const h = hits[i]!;
    const len = lens[i]!;
    if (len < 0) { out[i] = wireHit(h); continue; }
    if (h.bytesView) records!.set(h.bytesView(), at);
    else encoder!.encodeInto(h.raw!, records!.subarray(at, at + len));
    at += len;
    const w: WireHit = { seq: h.seq, key: h.key, receivedAt: h.receivedAt, len };
    if (h.rules) w.rules = wireRules(h.rules);
    out[i] = w;
  }
  return records ? { hits: out, records } : { hits: out };
}

/**
 * The webview's side of `wireHits`: decodes and parses each record, losslessly. The host's
 * pipeline parsed the same text, so a failure means a broken or hostile host message: that hit
 * becomes a placeholder row, and the rest of the batch is shown.
 */
export function hitsFromWire(hits: readonly WireHit[], records?: Uint8Array): Hit[] {
  const out: Hit[] = new Array(hits.length);
  const decoder = new TextDecoder();
  let at = 0;
  for (let i = 0; i < hits.length; i++) {
    const w = hits[i]!;
    if (w.len === undefined) { out[i] = w as Hit; continue; }
    const bytes = records ? records.subarray(at, at + w.len) : new Uint8Array(0);
    at += w.len;
    let data: Record<string, unknown>;
    let omitted: OmittedHit | undefined;
    try {
      data = parseRecord(decoder.decode(bytes));
    } catch {
      data = {};
      omitted = { reason: 'too-large', bytes: w.len };
    }
    const h: Hit = { seq: w.seq, key: w.key, receivedAt: w.receivedAt, data };
    if (omitted) h.omitted = omitted;
    if (w.rules) h.rules = w.rules;
    out[i] = h;
  }
  return out;
}

function isOmitted(v: unknown): v is OmittedHit {
  return isRecord(v) && (v.reason === 'too-deep' || v.reason === 'too-large') && isSeq(v.bytes);
}

/**
 * A hit on the wire as data (one without record text; see `wireHits` for the
 * usual form), never its raw text (the host keeps that for copy and export). A hit the host's store
 * marked `omitted` (too deep or too large to serialize) travels as a
 * placeholder: seq, key, times and size only, so it can never make
 * `postMessage` throw and take the rest of its batch with it.
 */
export function wireHit(h: Hit): Hit {
  if (!h.omitted) return h.rules ? { seq: h.seq, key: h.key, receivedAt: h.receivedAt, data: h.data, rules: wireRules(h.rules) } : { seq: h.seq, key: h.key, receivedAt: h.receivedAt, data: h.data };
  const data: Record<string, unknown> = {};
  const t = h.data.timeGMT;
  if (typeof t === 'number' || typeof t === 'string' && t.length <= 32) data.timeGMT = t;
  const placeholder: Hit = { seq: h.seq, key: h.key.slice(0, 64), receivedAt: h.receivedAt, data, omitted: { reason: h.omitted.reason, bytes: h.omitted.bytes } };
  if (h.rules) placeholder.rules = wireRules(h.rules);
  return placeholder;
}

function isHitArray(v: unknown): v is WireHit[] {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!isWireHit(v[i])) return false;
  return true;
}

function isConnectionState(v: unknown): v is ConnectionState {
  if (!isRecord(v)) return false;
  switch (v.kind) {
    case 'idle': return true;
    case 'connecting': return isFiniteNum(v.since) && isFiniteNum(v.attempt);
    case 'connected': return isFiniteNum(v.since);
    case 'cooldown': return isFiniteNum(v.since) && isFiniteNum(v.until) && isStr(v.code) && typeof v.auto === 'boolean';
    case 'stopped': return isFiniteNum(v.since) && isStr(v.code) && isStr(v.reason);
    default: return false;
  }
}

export function isEngineSnapshot(v: unknown): v is EngineSnapshot {
  if (!isRecord(v) || !isStr(v.streamUrl) || !isConnectionState(v.state) || !isRecord(v.stats)) return false;
  const s = v.stats;
  if (!isFiniteNum(s.received) || !isFiniteNum(s.duplicates) || !isFiniteNum(s.malformed) || !isFiniteNum(s.oversized) || !isFiniteNum(s.hitsPerSecond)) return false;
  if (s.fallingBehind !== undefined && typeof s.fallingBehind !== 'boolean') return false;
  if ((s.refusedIds !== undefined && !isFiniteNum(s.refusedIds)) || (s.placeholders !== undefined && !isFiniteNum(s.placeholders))) return false;
  if (v.lastError !== undefined) {
    const e = v.lastError;
    if (!isRecord(e) || !isStr(e.code) || !isStr(e.description) || !isStr(e.explanation) || !isFiniteNum(e.at)) return false;
    if (e.status !== undefined && !isFiniteNum(e.status)) return false;
  }
  return true;
}

/** Check of what the host sends; the webview drops (and logs) anything else instead of half-rendering it. */
export function isHostToWebview(msg: unknown): msg is HostToWebview {
  if (!isRecord(msg) || typeof msg.type !== 'string') return false;
  switch (msg.type) {
    case 'snapshot':
      return msg.version === PROTOCOL_VERSION && isEngineSnapshot(msg.engine) && isHitArray(msg.hits) && recordsMatch(msg.hits, msg.records)
        && Number.isSafeInteger(msg.maxHits) && (msg.maxHits as number) > 0
        && Array.isArray(msg.myTraffic) && msg.myTraffic.every((t) => typeof t === 'string') && isFiniteNum(msg.now);
    case 'hits':
      return isHitArray(msg.hits) && recordsMatch(msg.hits, msg.records) && (msg.engine === undefined || isEngineSnapshot(msg.engine)) && isFiniteNum(msg.now)
        && (msg.oldestSeq === undefined || isSeq(msg.oldestSeq))
        && (msg.notShown === undefined || isRecord(msg.notShown) && isSeq(msg.notShown.arrived) && isSeq(msg.notShown.shown));
    case 'state':
      return isEngineSnapshot(msg.engine) && isFiniteNum(msg.now);
    case 'cleared':
      return true;
    case 'setFilter':
      return hasOnlyKeys(msg, ['type', 'filter']) && isStr(msg.filter, LIMITS.filterChars);
    case 'exportResult':
      return (msg.outcome === 'done' || msg.outcome === 'cancelled' || msg.outcome === 'error') && isExportFormat(msg.format)
        && Number.isSafeInteger(msg.count) && (msg.path === undefined || isStr(msg.path)) && (msg.error === undefined || isStr(msg.error));
    // issue 13
    case 'followState':
      return Array.isArray(msg.entries) && msg.entries.length <= 1000 && msg.entries.every(isSettingEntry) && (msg.since === undefined || isFiniteNum(msg.since));
    case 'goldenList':
      return Array.isArray(msg.names) && msg.names.length <= LIMITS.goldenNames && msg.names.every((n) => isStr(n, LIMITS.goldenNameChars))
        && isSeq(msg.skipped) && (msg.error === undefined || isStr(msg.error));
    case 'goldenHit':
      return isStr(msg.name, LIMITS.goldenNameChars) && (msg.data === undefined || isRecord(msg.data)) && (msg.error === undefined || isStr(msg.error))
        && (msg.data === undefined) !== (msg.error === undefined);
    default:
      return false;
  }
}

/** A `myTraffic` entry as the user may have typed it in settings (any string, bounded): the panel shows them all inertly. */
function isSettingEntry(v: unknown): boolean {
  return typeof v === 'string' && v.length <= 10_000;
}
