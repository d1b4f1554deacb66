import { strict as assert } from 'node:assert';
import { FollowWatch, inert, isPageHostEntry, lagText, needleOf } from '../../src/host/followWatch';
import type { Hit } from '../../src/shared/model';
import { parseRecord } from '../../src/shared/losslessJson';
import { FakeClock } from '../support/fakeClock';

const ME = '1944017885723175213:2512895455560210216';
let seq = 0;
/** A hit of visitor `vis` (visIdHigh:visIdLow) received now, sent `lagS` seconds earlier. */
function hitOf(clock: FakeClock, vis: string, lagS = 41): Hit {
  const [high, low] = vis.split(':');
  return { seq: ++seq, key: `${seq}:${seq}`, receivedAt: clock.now(), data: { visIdHigh: high, visIdLow: low, timeGMT: Math.floor(clock.now() / 1000) - lagS, pageName: 'Checkout' } };
}

describe('follow watch (when "your hit arrived" is announced)', () => {
  it('announces the first hit after Follow with its lag, then stays quiet while the visitor keeps sending', async () => {
    const clock = new FakeClock();
    const w = new FollowWatch(() => clock.now());
    w.setEntries([ME], ME);
    assert.equal(w.since, clock.now(), 'waiting since the follow');
    await clock.advance(30_000);
    assert.equal(w.observe([hitOf(clock, '1:2')]), undefined, 'another visitor');
    assert.notEqual(w.since, undefined, 'still waiting');
    const n = w.observe([hitOf(clock, ME, 41), hitOf(clock, ME, 3)]);
    assert.ok(n);
    assert.equal(n.entry, ME);
    assert.equal(n.afterFollow, true);
    assert.equal(n.lagMs, 41_000 + (clock.now() % 1000));
    assert.equal(w.since, undefined, 'no longer waiting');
    for (let i = 0; i < 20; i++) {
      await clock.advance(60_000);
      assert.equal(w.observe([hitOf(clock, ME)]), undefined, `hit ${i} of an active visitor`);
    }
  });

  it('announces again after a quiet period (10 min), but never twice within 30 s, whichever visitor', async () => {
    const clock = new FakeClock();
    const other = '5:6';
    const w = new FollowWatch(() => clock.now());
    w.setEntries([ME, other]);
    assert.equal(w.since, undefined, 'not following anything new in this window');
    assert.ok(w.observe([hitOf(clock, ME)]), 'first hit of a followed visitor');
    await clock.advance(5_000);
    assert.equal(w.observe([hitOf(clock, other)]), undefined, 'within 30 s of the last notification');
    await clock.advance(10 * 60_000 - 5_001);
    assert.equal(w.observe([hitOf(clock, ME)]), undefined, 'not quiet long enough');
    await clock.advance(10 * 60_000);
    assert.equal(w.observe([hitOf(clock, ME)])?.afterFollow, false, 'after a quiet period');
  });

  it('forgets unfollowed entries, ignores placeholders, and re-announces after a new Follow', async () => {
    const clock = new FakeClock();
    const w = new FollowWatch(() => clock.now(), { minGapMs: 0 });
    w.setEntries([ME], ME);
    assert.ok(w.observe([hitOf(clock, ME)]));
    w.setEntries([]);
    await clock.advance(60 * 60_000);
    assert.equal(w.observe([hitOf(clock, ME)]), undefined, 'unfollowed');
    w.setEntries([ME], ME);
    const placeholder = { ...hitOf(clock, ME), omitted: { reason: 'too-deep' as const, bytes: 10 } };
    assert.equal(w.observe([placeholder]), undefined);
    assert.ok(w.observe([hitOf(clock, ME)])?.afterFollow);
  });

  it('passes over other visitors\' records without parsing them (the pipeline parses the host\'s copy on first read)', () => {
    const clock = new FakeClock();
    const w = new FollowWatch(() => clock.now());
    w.setEntries([ME, '00000000000000001238765432109876543210', '91.71.30.70'], ME);
    let parsed = 0;
    /** A lazy hit like src/stream/pipeline.ts's: `data` parses `raw` on first read. */
    const lazy = (raw: string): Hit & { raw: string } => {
      let data: Record<string, unknown> | undefined;
      return { seq: ++seq, key: '', receivedAt: clock.now(), raw, get data() { if (!data) { parsed++; data = parseRecord(raw); } return data; } };
    };
    const others = Array.from({ length: 100 }, (_, i) => lazy(`{"visIdHigh":1,"visIdLow":${i},"ip":"10.0.0.${i}","timeGMT":1}`));
    assert.equal(w.observe(others), undefined);
    assert.equal(parsed, 0, 'no record of another visitor was parsed');
    assert.ok(w.observe([lazy(`{"visIdHigh":1944017885723175213,"visIdLow":2512895455560210216,"timeGMT":${Math.floor(clock.now() / 1000)}}`)]));
    assert.equal(parsed, 1, 'the matching one was');
    assert.deepEqual([ME, '00000000000000001238765432109876543210', '[CS]v1|2A-FF[CE]', '420520', 'a b', '"q"'].map(needleOf),
      ['2512895455560210216', '8765432109876543210', '255', '420520', undefined, undefined]);
  });

  it('page hosts in liveStream.myTraffic are not visitors: never announced', async () => {
    const clock = new FakeClock();
    const w = new FollowWatch(() => clock.now());
    w.setEntries(['shop.example.com', 'http://localhost:3000']);
    const onSite = (url: string) => ({ seq: ++seq, key: '', receivedAt: clock.now(), data: { pageURL: url, timeGMT: Math.floor(clock.now() / 1000) } });
    assert.equal(w.observe([onSite('https://shop.example.com/cart'), onSite('http://localhost:3000/')]), undefined);
    assert.deepEqual(['shop.example.com', 'http://x', 'localhost.dev:8080', '91.71.30.70', '420520', '1:2', 'dev-42', '2001:db8::1'].map(isPageHostEntry),
      [true, true, true, false, false, false, false, false]);
  });

  it('a hit without a usable time has no lag, and lags read as people say them', async () => {
    const clock = new FakeClock();
    const w = new FollowWatch(() => clock.now());
    w.setEntries(['420520'], '420520');
    const n = w.observe([{ seq: 1, key: '', receivedAt: clock.now(), data: { customVisId: '420520', timeGMT: 'soon' } }]);
    assert.equal(n?.lagMs, undefined);
    assert.deepEqual([41_000, 185_000, 3_720_000, -4_000].map(lagText), ['41 s', '3 min 5 s', '1 h 2 min', '−4 s']);
  });
});

describe('notification text from hit data', () => {
  it('cannot become a link or reorder the line', () => {
    assert.equal(inert('[Open](command:workbench.action.terminal.new)'), '［Open］(command:workbench.action.terminal.new)');
    assert.equal(inert('a\u202eb\nc'), 'a\\u202eb\\x0ac');
  });
});
