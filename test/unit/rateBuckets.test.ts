import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { RateBuckets } from '../../src/webview/rate';

/** Count at second `s` in the window ending at `now`, read through `series` (the only view the chart has). */
function countAt(r: RateBuckets, now: number, s: number): number {
  const [xs, ys] = r.series(now);
  const i = xs.indexOf(s);
  assert.ok(i >= 0, `${s} is not in the window ending at ${now}`);
  return ys[i]!;
}

describe('RateBuckets (sparkline model)', () => {
  const NOW = 1_795_790_487; // Unix seconds, like timeGMT

  it('series covers exactly the window: one point per second, ending at now', () => {
    const r = new RateBuckets(300);
    const [xs, ys] = r.series(NOW);
    assert.equal(xs.length, 300);
    assert.equal(ys.length, 300);
    assert.equal(xs[0], NOW - 299);
    assert.equal(xs[299], NOW);
    assert.ok(xs.every((x, i) => i === 0 || x === xs[i - 1]! + 1), 'consecutive seconds');
    assert.ok(ys.every((y) => y === 0));
  });

  it('counts each hit in the second it happened, whatever the arrival order', () => {
    const r = new RateBuckets(300);
    // Newer first, then older ones (Live Stream delivers late and out of order).
    for (const t of [NOW - 2, NOW - 2, NOW - 60, NOW - 3, NOW - 60, NOW - 60, NOW - 2]) r.add(t, NOW);
    assert.equal(countAt(r, NOW, NOW - 2), 3);
    assert.equal(countAt(r, NOW, NOW - 3), 1);
    assert.equal(countAt(r, NOW, NOW - 60), 3);
    assert.equal(countAt(r, NOW, NOW), 0);
    assert.equal(r.total(NOW), 7);
  });

  it('floors fractional seconds into their second', () => {
    const r = new RateBuckets(300);
    r.add(NOW - 10 + 0.999, NOW);
    r.add(NOW - 10, NOW);
    assert.equal(countAt(r, NOW, NOW - 10), 2);
  });

  it('ignores hits older than the window, keeps the oldest second inside it', () => {
    const r = new RateBuckets(300);
    r.add(NOW - 299, NOW); // first second of the window
    r.add(NOW - 300, NOW); // one second too old
    r.add(NOW - 3600, NOW);
    assert.equal(countAt(r, NOW, NOW - 299), 1);
    assert.equal(r.total(NOW), 1);
  });

  it('ignores non-finite times', () => {
    const r = new RateBuckets(300);
    for (const t of [NaN, Infinity, -Infinity]) r.add(t, NOW);
    assert.equal(r.total(NOW), 0);
  });

  it('counts a hit from the future (clock skew) in the newest second, at once', () => {
    const r = new RateBuckets(300);
    r.add(NOW + 5, NOW);
    assert.equal(countAt(r, NOW, NOW), 1);
    assert.equal(r.total(NOW), 1);
  });

  it('slides: counts leave the window as time passes, and prune drops them', () => {
    const r = new RateBuckets(300);
    r.add(NOW - 10, NOW);
    r.add(NOW - 250, NOW);
    assert.equal(r.total(NOW), 2);
    const later = NOW + 60; // NOW-250 is now 310 s old
    assert.equal(r.total(later), 1);
    assert.equal(r.series(later)[1].reduce((a, b) => a + b, 0), 1);
    r.prune(later);
    // After pruning, going back in time cannot resurrect the dropped second.
    assert.equal(r.total(NOW), 1);
  });

  it('clear empties it', () => {
    const r = new RateBuckets(300);
    for (let i = 0; i < 50; i++) r.add(NOW - i, NOW);
    r.clear();
    assert.equal(r.total(NOW), 0);
    assert.ok(r.series(NOW)[1].every((y) => y === 0));
  });

  it('property: series and total agree with a direct count, for any arrival order', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -400, max: 0 }), { maxLength: 200 }), (offsets) => {
      const r = new RateBuckets(300);
      for (const o of offsets) r.add(NOW + o, NOW);
      const inWindow = offsets.filter((o) => o > -300);
      const [xs, ys] = r.series(NOW);
      assert.equal(r.total(NOW), inWindow.length);
      assert.equal(ys.reduce((a, b) => a + b, 0), inWindow.length);
      for (let i = 0; i < xs.length; i++) assert.equal(ys[i], inWindow.filter((o) => NOW + o === xs[i]).length);
    }));
  });
});
