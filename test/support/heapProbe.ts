/**
 * Child process for test/unit/memoryBudget.test.ts (run with --expose-gc):
 * connects the real StreamService (engine, gunzip, splitter, lossless parse,
 * dedupe, hit store) to the stream URL in argv[2], waits until `argv[3]`
 * records have been handled, and prints one JSON line with the heap growth
 * after full garbage collections. A separate process, so that the mocha
 * process's own garbage and the server's buffers are not counted.
 *
 * Usage: node --expose-gc --import tsx test/support/heapProbe.ts URL COUNT
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/stream/logger';
import { parseSettings } from '../../src/session/settings';
import { StreamService } from '../../src/session/streamService';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function heap(): number {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const [url, countText] = process.argv.slice(2);
  const expected = Number(countText);
  const dir = mkdtempSync(join(tmpdir(), 'lsi-heap-'));
  const warnings: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(`error: ${m}`) };
  const service = new StreamService({
    stateDir: dir,
    log,
    holderId: 'heap',
    windowLabel: 'heap probe',
    settings: () => {
      const r = parseSettings(() => undefined);
      return { settings: { ...r.settings, streamUrl: url }, problems: r.problems };
    },
    credentials: async () => undefined,
  });
  // Everything the service needs for the run exists before the baseline.
  const before = heap();
  await service.connect();
  const t0 = Date.now();
  const handled = () => {
    const s = service.snapshot().stats;
    return s.received + s.duplicates + s.malformed + s.oversized + (s.refusedIds ?? 0);
  };
  while (handled() < expected) {
    if (Date.now() - t0 > 120_000) throw new Error(`timed out: ${handled()}/${expected} records handled`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const after = heap();
  const hits = service.hits();
  let wire: { ok: boolean; chars?: number; error?: string; placeholders?: number } = { ok: false };
  try {
    // The panel's conversion, when this code has it (the old code does not).
    const protocol = await import('../../src/shared/protocol') as unknown as { wireHit?: (h: unknown) => Record<string, unknown> };
    const out: Record<string, unknown>[] = hits.map((h) => (protocol.wireHit ? protocol.wireHit(h) : { seq: h.seq, key: h.key, receivedAt: h.receivedAt, data: h.data }));
    wire = { ok: true, chars: JSON.stringify(out).length, placeholders: out.filter((h) => h.omitted).length };
  } catch (e) {
    wire = { ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
  const store = (service as unknown as { store: { bytes?: number } }).store;
  process.stdout.write(`${JSON.stringify({
    heapBefore: before,
    heapAfter: after,
    growth: after - before,
    storeBytes: store.bytes,
    kept: hits.length,
    keptKeys: hits.map((h) => h.key.slice(0, 40)),
    placeholderKeys: hits.filter((h) => h.omitted).map((h) => h.key),
    stats: service.snapshot().stats,
    wire,
    warnings: warnings.slice(0, 50),
    seconds: (Date.now() - t0) / 1000,
  })}\n`);
  await service.dispose();
  rmSync(dir, { recursive: true, force: true });
}

main().then(() => process.exit(0), (e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
