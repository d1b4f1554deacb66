/**
 * Export of (filtered) hits as NDJSON, JSON or CSV. Output comes in chunks so the
 * host can write a large export with progress instead of building one string.
 *
 * NDJSON and JSON reuse each hit's exact record text (`raw`): ids above 2^53 keep
 * their digits because nothing is re-serialized.
 */
import { eventsText } from './events';
import type { ExportFormat } from './exportFormat';
import { idText, isRecord, own, scalarText } from './recordAccess';
import { hitType, isoTime, secondsToMs, visitorText } from './summary';

interface ExportableHit { raw: string; data: Record<string, unknown>; receivedAt: number }

// Chunks of about this many UTF-16 units: few writes, bounded memory.
const CHUNK = 64 * 1024;

const CSV_COLUMNS = ['receivedAt', 'hitTime', 'type', 'reportSuite', 'pageName', 'pageURL', 'events', 'visitor', 'hitIdHigh', 'hitIdLow'];

/**
 * Serializes hits in `format`, yielding text chunks to concatenate in order.
 * - ndjson: each record's exact text, one per line ("\n").
 * - json: a JSON array whose elements are the exact record texts.
 * - csv: RFC 4180 (CRLF, quoted where needed) with the columns receivedAt
 *   (ISO), hitTime (ISO), type, reportSuite, pageName, pageURL, events,
 *   visitor, hitIdHigh, hitIdLow; formula-like cells are defused (see `csvCell`).
 */
export function* exportHits(hits: Iterable<ExportableHit>, format: ExportFormat): Iterable<string> {
  let buf = '';
  if (format === 'csv') buf = CSV_COLUMNS.join(',') + '\r\n';
  else if (format === 'json') buf = '[';
  let first = true;
  for (const hit of hits) {
    if (format === 'csv') {
      buf += csvRow(hit) + '\r\n';
    } else {
      const text = recordText(hit);
      if (text === undefined) continue;
      if (format === 'json') { buf += (first ? '\n' : ',\n') + text; first = false; }
      else buf += text + '\n';
    }
    if (buf.length >= CHUNK) { yield buf; buf = ''; }
  }
  if (format === 'json') buf += first ? ']\n' : '\n]\n';
  if (buf) yield buf;
}

/**
 * The record text to export: `raw` without surrounding whitespace. Line breaks
 * inside a record can only be JSON whitespace (strings cannot hold raw line
 * breaks), so they become spaces to keep one record per line. Without `raw`
 * the data is serialized as a last resort (ids are already exact strings there).
 */
function recordText(hit: ExportableHit): string | undefined {
  let t = typeof hit.raw === 'string' ? hit.raw.trim() : '';
  if (t === '') {
    try {
      t = JSON.stringify(hit.data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
    } catch {
      return undefined;
    }
    if (t === '') return undefined;
  }
  if (t.includes('\n') || t.includes('\r')) t = t.replace(/\r\n|\r|\n/g, ' ');
  return t;
}

function csvRow(hit: ExportableHit): string {
  const d = isRecord(hit.data) ? hit.data : {};
  const received = typeof hit.receivedAt === 'number' && Math.abs(hit.receivedAt) <= 8.64e15 ? isoTime(hit.receivedAt) : '';
  const hitMs = secondsToMs(own(d, 'timeGMT'));
  return [
    received,
    hitMs === undefined ? '' : isoTime(hitMs),
    hitType(d),
    scalarText(own(d, 'reportSuite') ?? ''),
    scalarText(own(d, 'pageName') ?? ''),
    scalarText(own(d, 'pageURL') ?? ''),
    eventsText(d),
    visitorText(d),
    idText(own(d, 'hitIdHigh')),
    idText(own(d, 'hitIdLow')),
  ].map(csvCell).join(',');
}

/**
 * One CSV cell. Hit values are attacker-controlled, and spreadsheets execute a
 * cell starting with = + - @ (or tab / CR, which some strip first) as a formula
 * (CSV injection), so such cells get a leading apostrophe. The cell is then
 * quoted per RFC 4180 when it holds a comma, quote or line break.
 */
export function csvCell(value: string): string {
  let v = value;
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
