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
      return {
        stream,
        lastLossAt: typeof j.lastLossAt === 'number' && Number.isFinite(j.lastLossAt) ? j.lastLossAt : undefined,
        notBefore: typeof j.notBefore === 'number' && Number.isFinite(j.notBefore) ? j.notBefore : undefined,
      };
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
