/**
 * Golden hits: reference records a team keeps in the repository
 * (`.vscode/livestream-golden/*.json`) to compare live hits against. Saving
 * writes the hit's exact record text (every digit of the 64-bit ids); loading
 * treats each file as untrusted input (the repository may come from anyone):
 * plain file names only, no symlinks, bounded in size and count, parsed
 * losslessly, refused with a clear message when it is not one record.
 *
 * No `vscode` here: Node's fs on the workspace folder's path, so the unit tests
 * run it in plain Node. (Virtual workspaces have no path; the caller says so.)
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { measureData } from '../shared/measure';
import { parseRecord } from '../shared/losslessJson';

/** Relative to the workspace folder. */
export const GOLDEN_DIR = '.vscode/livestream-golden';
/** Same limit as a live record in the extension. */
export const MAX_GOLDEN_BYTES = 1024 * 1024;
/** Files listed at most (the rest are counted, not read). */
export const MAX_GOLDEN_FILES = 200;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.json$/;

/** A file name we read or write: letters, digits, `.`, `_`, `-`, ending in `.json`; nothing that can leave the folder. */
export function isGoldenName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name) && !name.includes('..');
}

/** A file name from free text (the page name, or what the user typed): unsafe characters become `-`. */
export function goldenFileName(text: string): string {
  const base = text.replace(/\.json$/i, '').normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/\.{2,}/g, '.')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '').slice(0, 80);
  return `${base || 'golden-hit'}.json`;
}

export class GoldenError extends Error {}

/**
 * Writes `raw` (the record text exactly as received) to `<root>/.vscode/livestream-golden/<name>`.
 * Never overwrites: an existing file is a GoldenError naming it.
 */
export async function saveGolden(root: string, name: string, raw: string): Promise<string> {
  if (!isGoldenName(name)) throw new GoldenError(`“${String(name).slice(0, 120)}” is not a usable file name (letters, digits, . _ - and .json).`);
  const dir = join(root, GOLDEN_DIR);
  await fsp.mkdir(dir, { recursive: true });
  const path = join(dir, name);
  // Written beside it, then linked into place: the file appears whole (a file watcher, a test runner or
  // Compare never reads a half-written golden hit), and link() refuses an existing name atomically.
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await fsp.writeFile(tmp, raw, { encoding: 'utf8', flag: 'wx' });
  try {
    await fsp.link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new GoldenError(`${GOLDEN_DIR}/${name} already exists.`);
    throw e;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  return path;
}

export interface GoldenListing {
  /** Usable file names, sorted. */
  names: string[];
  /** `*.json` entries left out: unusable names, not regular files, or over MAX_GOLDEN_FILES. */
  skipped: number;
}

/** The golden hits of a workspace folder; an absent folder is an empty list. */
export async function listGolden(root: string): Promise<GoldenListing> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(join(root, GOLDEN_DIR), { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { names: [], skipped: 0 };
    throw e;
  }
  const json = entries.filter((e) => e.name.toLowerCase().endsWith('.json'));
  const usable = json.filter((e) => e.isFile() && isGoldenName(e.name)).map((e) => e.name).sort();
  const names = usable.slice(0, MAX_GOLDEN_FILES);
  return { names, skipped: json.length - names.length };
}

/** Reads one golden hit: the parsed record (ids as exact digit strings), or a GoldenError saying what is wrong with the file. */
export async function readGolden(root: string, name: string): Promise<Record<string, unknown>> {
  if (!isGoldenName(name)) throw new GoldenError('Not a golden hit file name.');
  const path = join(root, GOLDEN_DIR, name);
  let text: string;
  // O_NOFOLLOW: a symlink in a cloned repository must not read files outside it.
  const fh = await fsp.open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch((e: NodeJS.ErrnoException) => {
    throw new GoldenError(e.code === 'ENOENT' ? `${name} no longer exists.` : e.code === 'ELOOP' ? `${name} is a symbolic link; golden hits must be plain files.` : `${name} cannot be read (${e.code ?? e.message}).`);
  });
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new GoldenError(`${name} is not a plain file.`);
    if (st.size > MAX_GOLDEN_BYTES) throw new GoldenError(`${name} is ${st.size} bytes; a golden hit is one record of at most ${MAX_GOLDEN_BYTES} bytes.`);
    const buf = Buffer.alloc(Math.min(st.size, MAX_GOLDEN_BYTES) + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead > MAX_GOLDEN_BYTES) throw new GoldenError(`${name} grew over ${MAX_GOLDEN_BYTES} bytes while being read.`);
    text = buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
  let data: Record<string, unknown>;
  try {
    data = parseRecord(text.replace(/^\uFEFF/, '').trim());
  } catch (e) {
    throw new GoldenError(`${name} is not a Live Stream record (one JSON object): ${(e as Error).message.slice(0, 200)}`);
  }
  const problem = measureData(data).problem;
  if (problem) throw new GoldenError(`${name} is ${problem === 'too-deep' ? 'nested too deeply' : 'too large'} to show.`);
  return data;
}
