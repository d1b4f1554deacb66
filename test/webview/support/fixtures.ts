import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecord } from '../../../src/shared/losslessJson';
import { ROOT } from './harness';

/** Adobe's published sample record, parsed the way the engine parses it (exact ids as strings). */
export function sampleHitText(): string {
  const local = join(ROOT, 'test/fixtures/adobe-sample-hit.json');
  return readFileSync(existsSync(local) ? local : '/work/shared/fixtures/adobe-sample-hit.json', 'utf8');
}

export function sampleHit(seq = 1, receivedAt = 1372782179000 + 45_000): { seq: number; key: string; receivedAt: number; data: Record<string, unknown> } {
  const data = parseRecord(sampleHitText());
  return { seq, key: `${data.hitIdHigh}:${data.hitIdLow}`, receivedAt, data };
}

/** A small hand-made hit for filter tests. */
export function hit(seq: number, data: Record<string, unknown>, receivedAt = Date.now()): { seq: number; key: string; receivedAt: number; data: Record<string, unknown> } {
  return {
    seq, key: `${seq}:${seq}`, receivedAt,
    data: { hitIdHigh: String(1000 + seq), hitIdLow: String(2000 + seq), timeGMT: Math.floor(receivedAt / 1000) - 30, reportSuite: 'rs', ...data },
  };
}
