import { strict as assert } from 'node:assert';
import { PanelRelay } from '../../src/session/panelRelay';
import type { EngineSnapshot, StoredHit } from '../../src/shared/model';
import { isHostToWebview, type HitsMessage } from '../../src/shared/protocol';
import { FakeClock } from '../support/fakeClock';

const engine: EngineSnapshot = { streamUrl: 'http://127.0.0.1/x', state: { kind: 'idle' }, stats: { received: 0, duplicates: 0, malformed: 0, oversized: 0, hitsPerSecond: 0 } };

let seq = 0;
function hit(rawChars = 100): StoredHit {
  seq++;
  return { seq, key: `1:${seq}`, receivedAt: 0, data: { pageName: 'p' }, raw: 'x'.repeat(rawChars) };
}

describe('PanelRelay (hits to the webview, batched and bounded)', () => {
  let clock: FakeClock;
  let sent: HitsMessage[];
  let maxHits: number;
  const make = (opts: { maxBatchBytes?: number } = {}) => new PanelRelay({
    clock, post: (m) => sent.push(m), maxBatchBytes: opts.maxBatchBytes,
    source: { snapshot: () => engine, oldestSeq: () => 1, maxHits: () => maxHits },
  });
  beforeEach(() => { clock = new FakeClock(); sent = []; maxHits = 1000; });

  it('sends at most one message per 100 ms, never synchronously, with raw text stripped', async () => {
    const r = make();
    r.push([hit(), hit()]);
    assert.equal(sent.length, 0);
    await clock.advance(0);
    assert.equal(sent.length, 1, 'the first batch goes out on the next turn');
    for (let t = 0; t < 10; t++) { r.push([hit()]); await clock.advance(10); }
    assert.equal(sent.length, 2, '100 ms of pushes: one more batch');
    assert.equal(sent[1]!.hits.length, 10);
    assert.ok(sent.every((m) => isHostToWebview(m)));
    assert.ok(sent.every((m) => m.hits.every((h) => !('raw' in h))));
    assert.equal(sent[0]!.notShown, undefined, 'everything shown: no notShown');
    assert.deepEqual(r.stats, { batches: 2, posted: 12, notShown: 0 });
  });

  it('keeps the newest maxHits of a batch and says how many arrived', async () => {
    maxHits = 50;
    const r = make();
    const hits = Array.from({ length: 120 }, () => hit());
    r.push(hits.slice(0, 30));
    r.push(hits.slice(30));
    await clock.advance(0);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]!.hits.map((h) => h.seq), hits.slice(70).map((h) => h.seq));
    assert.deepEqual(sent[0]!.notShown, { arrived: 120, shown: 50 });
    assert.equal(r.stats.notShown, 70);
    assert.ok(isHostToWebview(sent[0]));
    // The webview's validator refuses anything else in those fields.
    for (const bad of [{ arrived: -1, shown: 1 }, { arrived: '5', shown: 1 }, 'x', { arrived: 5 }]) assert.equal(isHostToWebview({ ...sent[0]!, notShown: bad }), false);
    assert.equal(isHostToWebview({ ...sent[0]!, engine: { ...engine, stats: { ...engine.stats, fallingBehind: 'yes' } } }), false);
  });

  it('keeps a batch within its byte budget (newest first), but always sends at least one hit', async () => {
    const r = make({ maxBatchBytes: 10_000 });
    const hits = Array.from({ length: 100 }, () => hit(1000));
    r.push(hits);
    await clock.advance(0);
    const shown = sent[0]!.hits;
    assert.ok(shown.length >= 8 && shown.length <= 10, `${shown.length} hits of ~1 KB in 10 KB`);
    assert.equal(shown[shown.length - 1]!.seq, hits[99]!.seq);
    assert.deepEqual(sent[0]!.notShown, { arrived: 100, shown: shown.length });
    r.push([hit(50_000)]);
    await clock.advance(100);
    assert.equal(sent[1]!.hits.length, 1, 'a single hit over the budget still goes (the store already bounds it)');
  });

  it('reset forgets what is pending (a snapshot supersedes it); dispose stops for good', async () => {
    const r = make();
    r.push([hit()]);
    r.reset();
    await clock.advance(200);
    assert.equal(sent.length, 0);
    r.push([hit()]);
    await clock.advance(100);
    assert.equal(sent.length, 1);
    r.dispose();
    r.push([hit()]);
    await clock.advance(200);
    assert.equal(sent.length, 1);
    assert.equal(clock.pending, 0);
  });

  it('memory stays bounded when hits arrive far faster than they are sent', async () => {
    maxHits = 100;
    const r = make();
    for (let i = 0; i < 50_000; i++) r.push([hit(10)]);
    const pending = (r as unknown as { pending: unknown[] }).pending.length;
    assert.ok(pending < 10_000, `pending array holds ${pending}`);
    await clock.advance(0);
    assert.equal(sent[0]!.hits.length, 100);
    assert.deepEqual(sent[0]!.notShown, { arrived: 50_000, shown: 100 });
  });
});
