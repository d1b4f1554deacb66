/**
 * What happens to one record once it is split off the stream: lossless parse,
 * id check, de-duplication and (optionally) measuring for display. The same
 * code runs in the pipeline's worker thread and, inline, on the caller's thread
 * (the fallback when workers are unavailable), so both give the same hits.
 */
import { escapeControls } from '../shared/escapeControls';
import { KeyNames, measureData, topLevelScalars } from '../shared/measure';
import type { OmittedHit } from '../shared/model';
import { DedupeWindow, DEFAULT_DEDUPE_BYTES, DEFAULT_DEDUPE_WINDOW, MAX_HIT_KEY_CHARS } from './dedupe';
import { fastHitKey, hitKey, parseRecord, RecordParseError } from '../shared/losslessJson';
import { shouldLog } from './logger';

export interface ProcessorOptions {
  dedupeWindow?: number;
  dedupeBytes?: number;
  /** Measure each kept hit for the host's store (the CLI keeps no hits and skips it). */
  measure?: boolean;
  /**
   * The consumer keeps each record's bytes, not its parsed data (the CLI): the
   * record is still checked with JSON.parse, but only its id is restored
   * losslessly (fastHitKey), not every long integer.
   */
  keyOnly?: boolean;
}

/** Counters of what was not delivered; the engine adds them into its model. */
export interface ProcessorCounts {
  duplicates: number;
  malformed: number;
  oversized: number;
  refusedIds: number;
}

/** A record that passed: its key, parsed data, and (when measuring) its display measure. */
export interface ProcessedRecord {
  key: string;
  data: Record<string, unknown>;
  measured?: { bytes: number; problem?: OmittedHit['reason'] };
}

export type ProcessorLog = (level: 'warn', message: string) => void;

export class RecordProcessor {
  private readonly dedupe: DedupeWindow;
  private readonly names = new KeyNames();
  private malformedLogged = 0;
  readonly counts: ProcessorCounts = { duplicates: 0, malformed: 0, oversized: 0, refusedIds: 0 };

  constructor(private readonly opts: ProcessorOptions, private readonly log: ProcessorLog) {
    this.dedupe = new DedupeWindow(opts.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW, opts.dedupeBytes ?? DEFAULT_DEDUPE_BYTES);
  }

  /** Remembers keys delivered before (a restarted worker is seeded with them, so nothing is delivered twice). */
  seed(keys: Iterable<string>): void {
    for (const k of keys) this.dedupe.add(k);
  }

  oversized(bytes: number, limit: number): void {
    this.counts.oversized++;
    if (shouldLog(this.counts.oversized)) this.log('warn', `Dropped a record of ${bytes} bytes (limit ${limit}; #${this.counts.oversized} so far).`);
  }

  /** The record's hit, or undefined when it is malformed, has an invalid id or is a duplicate (counted). */
  process(text: string): ProcessedRecord | undefined {
    let data: Record<string, unknown>;
    let key: string | undefined;
    try {
      if (this.opts.keyOnly) {
        data = quickParse(text);
        key = fastHitKey(data, text);
        if (key === undefined) data = parseRecord(text);
      } else {
        data = parseRecord(text);
      }
    } catch (e) {
      this.counts.malformed++;
      // Log the first few, then every 100th, so a broken stream cannot flood the log.
      if (this.malformedLogged < 5 || this.counts.malformed % 100 === 0) {
        this.malformedLogged++;
        this.log('warn', `Skipped malformed record #${this.counts.malformed} (${text.length} chars): ${(e as Error).message.slice(0, 200)}`);
      }
      return undefined;
    }
    key ??= hitKey(data);
    if (key.length > MAX_HIT_KEY_CHARS) {
      // Not a Live Stream id (two 64-bit decimals, ≤ 41 characters): remembering
      // such keys is how a hostile stream would fill the dedupe window.
      this.counts.refusedIds++;
      if (shouldLog(this.counts.refusedIds)) {
        this.log('warn', `Refused record #${this.counts.refusedIds} with an invalid hit id: ${key.length} characters (limit ${MAX_HIT_KEY_CHARS}), starting ${escapeControls(JSON.stringify(key.slice(0, 24)))}.`);
      }
      return undefined;
    }
    if (!this.dedupe.add(key)) {
      this.counts.duplicates++;
      return undefined;
    }
    if (!this.opts.measure) return { key, data };
    // The JSON sent to the webview is about as long as the record text, so only depth can make a hit undisplayable here.
    let m = measureData(data, undefined, Infinity, this.names);
    if (m.problem) {
      data = topLevelScalars(data);
      const problem = m.problem;
      m = measureData(data, undefined, Infinity, this.names);
      return { key, data, measured: { bytes: m.bytes, problem } };
    }
    return { key, data, measured: { bytes: m.bytes } };
  }
}

/** JSON.parse with parseRecord's checks and errors, without restoring long integers (keyOnly). */
function quickParse(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RecordParseError(`not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RecordParseError('a record must be a JSON object');
  return value as Record<string, unknown>;
}
