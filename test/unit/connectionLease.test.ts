import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionLease } from '../../src/core/connectionLease';
import { FakeClock } from '../support/fakeClock';

describe('ConnectionLease (windows sharing one global storage folder)', () => {
  let dir: string;
  let clock: FakeClock;
  const lease = (id: string, onTakeoverRequested?: (by: string) => void) =>
    new ConnectionLease({ dir, stream: 'https://livestream.adobe.net/api/1/stream/s', holderId: id, label: `window ${id}`, clock, onTakeoverRequested });

  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lsi-lease-')); clock = new FakeClock(); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('never more than maxConnections holders; the refused one learns who holds it', () => {
    const a = lease('a'), b = lease('b'), c = lease('c');
    assert.deepEqual(a.acquire(2), { ok: true });
    assert.deepEqual(b.acquire(2), { ok: true });
    const r = c.acquire(2);
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.holders.map((h) => h.label).sort(), ['window a', 'window b']);
    b.release();
    assert.deepEqual(c.acquire(2), { ok: true });
  });

  it('a crashed holder (no heartbeat) expires; a live one keeps its slot by heartbeating', async () => {
    const a = lease('a'), b = lease('b');
    assert.ok(a.acquire(1).ok);
    await clock.advance(60_000); // a heartbeats every 5 s on the clock
    assert.equal(b.acquire(1).ok, false);
    // Simulate a crash: a's timers stop (release() would delete the file; a crash does not).
    clock.clearTimeout((a as unknown as { timer: never }).timer);
    await clock.advance(15_001);
    assert.ok(b.acquire(1).ok, 'expired lease freed');
  });

  it('takeover: the holder is told who asks', async () => {
    const asked: string[] = [];
    const a = lease('a', (by) => asked.push(by));
    const b = lease('b');
    assert.ok(a.acquire(1).ok);
    const r = b.acquire(1);
    assert.equal(r.ok, false);
    if (!r.ok) b.requestTakeover(r.holders[0].holderId);
    await clock.advance(5_000);
    assert.deepEqual(asked, ['window b']);
  });

  it('simultaneous writers resolve to at most max holders', () => {
    // Both see an empty folder, both write: the later/greater one backs off.
    const a = lease('a'), b = lease('b');
    const origOthers = b.others.bind(b);
    let first = true;
    (b as unknown as { others: () => unknown[] }).others = () => { if (first) { first = false; return []; } return origOthers(); };
    assert.ok(a.acquire(1).ok);
    clock.advance(1);
    const r = b.acquire(1);
    assert.equal(r.ok, false);
    assert.equal(a.others().length, 0);
  });
});
