import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The shared cooldown clock: per stream, when the last established connection
 * was lost and when the next attempt may be made. A small JSON file per stream
 * in a state directory, so a restarted process, a reloaded window or a second
 * process waits out the same cooldown instead of reconnecting into a 409.
 */
export interface CooldownRecord {
  /** Origin + path of the stream (no query, no secrets). */
  stream: string;
  /** When an established connection to this stream was last lost (ms). */
  lastLossAt?: number;
  /** No attempt before this time (ms): set after failed attempts (back-off). */
  notBefore?: number;
}

export interface CooldownStore {
  read(stream: string): CooldownRecord;
  update(stream: string, patch: Partial<Omit<CooldownRecord, 'stream'>>): void;
}

/**
 * How far in the future a shared timestamp may be and still be taken as written
 * by a sane clock: writers on one machine share its clock, so anything beyond a
 * small step (an NTP correction) is damage, not information.
 */
export const MAX_CLOCK_STEP_MS = 60_000;

/** What checkCooldownRecord found: the record to use, what to write back, and why. */
export interface CooldownCheck {
  record: CooldownRecord;
  /** Fields to write back to repair the shared file; undefined when nothing is wrong. */
  repair?: Partial<Omit<CooldownRecord, 'stream'>>;
  problems: string[];
}

/**
 * Checks a shared cooldown record against `now`. The file is written by other
 * processes and may be damaged or hand-edited, and a wrong timestamp there is
 * not harmless: a `lastLossAt` 2 h ahead waits 2 h, one beyond the Date range
 * throws `Invalid time value`.
 * - `lastLossAt` is a past event: a value further ahead than MAX_CLOCK_STEP_MS,
 *   or not a finite non-negative number, is corrupt and becomes `now`, so the
 *   wait is exactly one cooldown (the safe assumption: a connection may have just
 *   been lost). A value only slightly ahead counts as now.
 * - `notBefore` may be ahead by at most `maxWaitMs` (the longest wait the
 *   reader's policy sets) plus MAX_CLOCK_STEP_MS; beyond that, or not finite,
 *   it is corrupt and dropped.
 */
export function checkCooldownRecord(rec: CooldownRecord, now: number, maxWaitMs: number): CooldownCheck {
  const record: CooldownRecord = { ...rec };
  const repair: Partial<Omit<CooldownRecord, 'stream'>> = {};
  const problems: string[] = [];
  const { lastLossAt, notBefore } = rec;
  if (lastLossAt !== undefined) {
    if (!(typeof lastLossAt === 'number' && Number.isFinite(lastLossAt) && lastLossAt >= 0) || lastLossAt > now + MAX_CLOCK_STEP_MS) {
      problems.push(`its last-loss time (${describeTime(lastLossAt, now)}) is impossible, so the file is corrupt: assuming a loss just now and waiting one cooldown`);
      record.lastLossAt = now;
      repair.lastLossAt = now;
    } else if (lastLossAt > now) {
      record.lastLossAt = now;
    }
  }
  if (notBefore !== undefined) {
    if (!(typeof notBefore === 'number' && Number.isFinite(notBefore)) || notBefore > now + maxWaitMs + MAX_CLOCK_STEP_MS) {
      problems.push(`its back-off end (${describeTime(notBefore, now)}) is further ahead than any back-off (${Math.round(maxWaitMs / 1000)} s), so the file is corrupt: ignoring it`);
      record.notBefore = undefined;
      repair.notBefore = undefined;
    }
  }
  return problems.length ? { record, repair, problems } : { record, problems };
}

/** A timestamp for a warning: never throws (1e16 is beyond the Date range). */
function describeTime(t: unknown, now: number): string {
  if (typeof t !== 'number' || !Number.isFinite(t)) return JSON.stringify(t) ?? String(t);
  const ahead = t - now;
  const d = new Date(t);
  const when = Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
  if (ahead <= 0) return when;
  const h = ahead / 3_600_000;
  return `${when}, ${h >= 48 ? `${Math.round(h / 24)} days` : h >= 1 ? `${Math.round(h * 10) / 10} h` : `${Math.round(ahead / 1000)} s`} ahead`;
}

/** Keeps records in memory only (tests, or when no state directory is writable). */
export class MemoryCooldownStore implements CooldownStore {
  private readonly map = new Map<string, CooldownRecord>();
  read(stream: string): CooldownRecord { return { ...(this.map.get(stream) ?? { stream }) }; }
  update(stream: string, patch: Partial<Omit<CooldownRecord, 'stream'>>): void {
    this.map.set(stream, { ...this.read(stream), ...patch, stream });
  }
}

export class FileCooldownStore implements CooldownStore {
  constructor(readonly dir: string, private readonly onError: (msg: string) => void = () => undefined) {}

  fileFor(stream: string): string {
    const h = createHash('sha256').update(stream).digest('hex').slice(0, 24);
    return join(this.dir, `cooldown-${h}.json`);
  }

  read(stream: string): CooldownRecord {
    try {
      const j = JSON.parse(readFileSync(this.fileFor(stream), 'utf8')) as Partial<CooldownRecord>;
      if (j.stream !== stream) return { stream };
      // Numbers are passed on as they are (checkCooldownRecord judges them against now);
      // any other value where a time belongs is damage, passed on as NaN to be judged too.
      const time = (v: unknown): number | undefined => v === undefined || v === null ? undefined : typeof v === 'number' ? v : NaN;
      return { stream, lastLossAt: time(j.lastLossAt), notBefore: time(j.notBefore) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(`Could not read the cooldown state (${(e as Error).message}); assuming none.`);
      return { stream };
    }
  }

  update(stream: string, patch: Partial<Omit<CooldownRecord, 'stream'>>): void {
    const next: CooldownRecord = { ...this.read(stream), ...patch, stream };
    const file = this.fileFor(stream);
    try {
      mkdirSync(this.dir, { recursive: true });
      // Write-then-rename so a reader in another process never sees half a file.
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(tmp, JSON.stringify(next));
      renameSync(tmp, file);
    } catch (e) {
      this.onError(`Could not save the cooldown state to ${this.dir}: ${(e as Error).message}`);
    }
  }
}

/** The user's cache directory for the CLI's shared cooldown clock. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'win32') return join(env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local'), 'livestream-inspector');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'livestream-inspector');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'livestream-inspector');
}
