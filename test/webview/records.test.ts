import assert from 'node:assert/strict';
import { wireHits } from '../../src/shared/protocol';
import { type Panel, until, usePanelPerTest, visibleRows } from './support/harness';

/** Column order of the default layout: time, lag, type, suite, page, url, events, visitor. */
const PAGE = 4;

/**
 * Issue 11: the host sends each shown hit's record as bytes in one Uint8Array (VS Code carries it
 * as binary, outside the JSON), and the page decodes and parses them itself, losslessly.
 */
describe('hits sent as record bytes', function () {
  let p: Panel;
  usePanelPerTest((panel) => { p = panel; });

  const record = (seq: number, page: string) => `{"hitIdHigh":18446744073709551615,"hitIdLow":9007199254740993${seq},"pageName":"${page}","timeGMT":${Math.floor(Date.now() / 1000) - 30}}`;
  const stored = (seq: number, page: string) => ({ seq, key: `k:${seq}`, receivedAt: Date.now(), raw: record(seq, page), data: {} });

  async function sendBytes(type: 'hits' | 'snapshot', hits: ReturnType<typeof stored>[], mangle?: 'short'): Promise<void> {
    const wire = wireHits(hits);
    const bytes = Array.from(wire.records!.subarray(0, mangle === 'short' ? wire.records!.byteLength - 1 : undefined));
    await p.page.evaluate(([type, json, bytes]) => {
      const msg: Record<string, unknown> = { type, hits: JSON.parse(json as string), records: new Uint8Array(bytes as number[]), now: Date.now() };
      if (type === 'snapshot') Object.assign(msg, { version: 1, engine: { streamUrl: 'u', state: { kind: 'idle' }, stats: { received: 0, duplicates: 0, malformed: 0, oversized: 0, hitsPerSecond: 0 } }, maxHits: 5000, myTraffic: [] });
      window.postMessage(msg, '*');
    }, [type, JSON.stringify(wire.hits), bytes] as const);
  }

  it('a snapshot and a batch as bytes: multi-byte text and 64-bit ids shown exactly; a batch whose lengths do not add up is ignored and logged', async () => {
    await sendBytes('snapshot', [stored(1, 'caf\u00e9 \u2014 \ud83d\ude00')]);
    await sendBytes('hits', [stored(2, '\u6771\u4eac'), stored(3, 'plain')]);
    await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 3);
    assert.deepEqual((await visibleRows(p.page)).map((r) => r[PAGE]), ['plain', '\u6771\u4eac', 'caf\u00e9 \u2014 \ud83d\ude00']);
    await p.page.click('.grid-spacer .row[data-seq="1"]');
    await p.page.click('#tab-raw');
    await until(p.page, () => document.querySelector('.detail-body')?.textContent?.includes('18446744073709551615'));
    assert.ok((await p.page.textContent('.detail-body'))!.includes('"hitIdLow": 90071992547409931'), 'every digit of the id');

    await sendBytes('hits', [stored(4, 'never shown')], 'short');
    await until(p.page, () => (window as unknown as { __vscodeStandIn: { posted: { type: string; message?: string }[] } }).__vscodeStandIn.posted.some((m) => m.type === 'log' && /invalid host message \(type hits\)/.test(m.message ?? '')));
    assert.equal((await visibleRows(p.page)).length, 3);
  });
});
