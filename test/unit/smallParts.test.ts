import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HitStore } from '../../src/session/hitStore';
import { RateMeter } from '../../src/stream/rateMeter';
import { FileCooldownStore } from '../../src/stream/cooldownStore';
import { MAX_TIMER_DELAY_MS, withLongTimers } from '../../src/stream/clock';
import { redact } from '../../src/stream/logger';
import { Disposable, disposeAll, toDisposable, type IDisposable } from '../../src/shared/dispose';
import type { StoredHit } from '../../src/shared/model';
import { FakeClock } from '../support/fakeClock';

const hit = (seq: number): StoredHit => ({ seq, key: `k${seq}`, receivedAt: seq, data: {}, raw: '{}' });

describe('HitStore (the host ring buffer)', () => {
  it('keeps the newest maxHits, oldest first, and finds by seq', () => {
    const s = new HitStore(3);
    for (let i = 1; i <= 5; i++) s.push(hit(i));
    assert.deepEqual(s.toArray().map((h) => h.seq), [3, 4, 5]);
    assert.equal(s.bySeq(4)?.seq, 4);
    assert.equal(s.bySeq(2), undefined);
    s.resize(2);
    assert.deepEqual(s.toArray().map((h) => h.seq), [4, 5]);
    s.resize(10);
    s.push(hit(6));
    assert.deepEqual(s.toArray().map((h) => h.seq), [4, 5, 6]);
    s.clear();
    assert.equal(s.size, 0);
    assert.throws(() => new HitStore(0), RangeError);
  });
});

describe('RateMeter', () => {
  it('hits per second over the last seconds, on the injected clock', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const r = new RateMeter(clock, 5);
    for (let i = 0; i < 10; i++) { r.add(10); await clock.advance(1000); }
    assert.ok(Math.abs(r.perSecond() - 10) < 0.5, String(r.perSecond()));
    await clock.advance(10_000);
    assert.equal(r.perSecond(), 0);
  });
});

describe('FileCooldownStore', () => {
  it('round-trips per stream, ignores other streams and corrupt files, reports unwritable dirs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lsi-store-'));
    try {
      const s = new FileCooldownStore(dir);
      s.update('https://a/x', { lastLossAt: 1000 });
      s.update('https://a/x', { notBefore: 5000 });
      assert.deepEqual(s.read('https://a/x'), { stream: 'https://a/x', lastLossAt: 1000, notBefore: 5000 });
      assert.deepEqual(s.read('https://a/y'), { stream: 'https://a/y' });
      writeFileSync(s.fileFor('https://a/x'), '{corrupt');
      const errors: string[] = [];
      const t = new FileCooldownStore(dir, (m) => errors.push(m));
      assert.deepEqual(t.read('https://a/x'), { stream: 'https://a/x' });
      assert.equal(errors.length, 1);
      const bad = new FileCooldownStore(join(dir, 'file-not-dir'), (m) => errors.push(m));
      writeFileSync(join(dir, 'file-not-dir'), 'x');
      bad.update('https://a/x', { lastLossAt: 1 });
      assert.ok(errors.some((e) => /Could not save the cooldown state/.test(e)), errors.join('\n'));
      assert.doesNotMatch(readFileSync(s.fileFor('https://a/x'), 'utf8'), /token/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('long timers (Node turns a delay above 2^31-1 ms into 1 ms)', () => {
  it('withLongTimers chains: a 30-day timer fires at 30 days, a cleared one never, short ones pass through', async () => {
    const fake = new FakeClock();
    const month = 30 * 24 * 3_600_000;
    const raw: number[] = [];
    fake.setTimeout(() => raw.push(fake.now()), month);
    await fake.advance(1);
    assert.equal(raw.length, 1, 'the fake clock behaves like Node: an unchained 30-day timer fires after 1 ms');

    const clock = withLongTimers(fake);
    assert.equal(withLongTimers(clock), clock);
    const start = fake.now();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(fake.now() - start), month);
    const cancelled = clock.setTimeout(() => fired.push(-1), 2 * MAX_TIMER_DELAY_MS + 5);
    await fake.advance(MAX_TIMER_DELAY_MS + 10); // the second timer is now on its second link
    clock.clearTimeout(cancelled);
    await fake.advance(month - MAX_TIMER_DELAY_MS - 11);
    assert.equal(fired.length, 0, 'not a millisecond early');
    await fake.advance(1);
    assert.deepEqual(fired, [month]);
    await fake.advance(3 * MAX_TIMER_DELAY_MS);
    assert.deepEqual(fired, [month], 'the cleared chain never fired');
    assert.equal(fake.pending, 0);
    const short = clock.setTimeout(() => fired.push(0), 10);
    fake.clearTimeout(short); // a short timer's handle is the base clock's own
    await fake.advance(20);
    assert.deepEqual(fired, [month]);
  });
});

describe('redact', () => {
  it('removes every occurrence of each secret', () => {
    assert.equal(redact('Bearer abcd1234 and abcd1234', ['abcd1234']), 'Bearer *** and ***');
    assert.equal(redact('short x', ['x']), 'short x');
  });
});

describe('Disposable (shared/dispose.ts)', () => {
  class Owner extends Disposable {
    add(d: IDisposable): void { this.register(d); }
    get gone(): boolean { return this.isDisposed; }
  }
  it('disposes what it registered once, in order; what is registered later is disposed at once', () => {
    const log: string[] = [];
    const o = new Owner();
    o.add(toDisposable(() => log.push('a')));
    o.add({ dispose: () => log.push('b') });
    o.dispose();
    o.dispose();
    assert.deepEqual(log, ['a', 'b']);
    assert.ok(o.gone);
    o.add(toDisposable(() => log.push('late')));
    assert.deepEqual(log, ['a', 'b', 'late']);
  });
  it('toDisposable runs its function once; disposeAll empties the list', () => {
    let n = 0;
    const d = toDisposable(() => n++);
    const list = [d, d];
    disposeAll(list);
    disposeAll(list);
    assert.equal(n, 1);
    assert.equal(list.length, 0);
  });
});
