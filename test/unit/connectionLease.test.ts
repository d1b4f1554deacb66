import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionLease } from '../../src/session/connectionLease';
import type { Logger } from '../../src/stream/logger';
import { FakeClock } from '../support/fakeClock';

const STREAM = 'https://livestream.adobe.net/api/1/stream/s';

/** The pid of a process that has just exited (so, on this machine, no process has it for now). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => child.on('exit', r));
  assert.ok(child.pid);
  return child.pid;
}

describe('ConnectionLease (windows sharing one global storage folder)', () => {
  let dir: string;
  let clock: FakeClock;
  const lease = (id: string, onTakeoverRequested?: (by: string) => void) =>
    new ConnectionLease({ dir, stream: STREAM, holderId: id, label: `window ${id}`, clock, onTakeoverRequested, log });
  const lines: string[] = [];
  const log: Logger = { debug() {}, info: (m) => lines.push(`info: ${m}`), warn: (m) => lines.push(`warn: ${m}`), error: (m) => lines.push(`error: ${m}`) };
  /** Writes a holder's lease file as another window (or a damaged disk) would have left it. */
  const plant = (id: string, info: Record<string, unknown>): string => {
    const folder = join(dir, 'leases', createHash('sha256').update(STREAM).digest('hex').slice(0, 24));
    mkdirSync(folder, { recursive: true });
    const file = join(folder, `${id}.json`);
    writeFileSync(file, JSON.stringify({ holderId: id, label: `window ${id}`, pid: process.pid, hostname: hostname(), since: clock.now(), heartbeatAt: clock.now(), ...info }));
    return file;
  };

  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lsi-lease-')); clock = new FakeClock(); lines.length = 0; });
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

  it('a heartbeat in the future (which would never expire) is corrupt: removed with a warning, the slot is free', () => {
    const file = plant('z', { heartbeatAt: clock.now() + 2 * 3_600_000 });
    const b = lease('b');
    assert.deepEqual(b.acquire(1), { ok: true });
    assert.equal(existsSync(file), false);
    assert.ok(lines.some((l) => /^warn: Lease file of window z is corrupt \(heartbeat 7200 s in the future\)/.test(l)), lines.join('\n'));
  });

  it('timestamps that are not finite numbers are corrupt too', () => {
    plant('y', { heartbeatAt: 'soon' });
    plant('x', { since: null });
    assert.deepEqual(lease('b').acquire(1), { ok: true });
    assert.equal(lines.filter((l) => /corrupt/.test(l)).length, 2, lines.join('\n'));
  });

  it('a holder on this machine whose process is gone (a crashed window) is taken over at once, not after the TTL', async () => {
    const pid = await deadPid();
    plant('crashed', { pid });
    // The same pid on another machine sharing the folder means nothing here: that one waits for its TTL.
    plant('remote', { pid, hostname: `not-${hostname()}` });
    const b = lease('b');
    const r = b.acquire(1);
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.holders.map((h) => h.holderId), ['remote'], 'the crashed holder no longer counts');
    assert.ok(lines.some((l) => l === `info: Lease: window crashed (pid ${pid}) is no longer running; its connection slot is free.`), lines.join('\n'));
    assert.deepEqual(b.acquire(2), { ok: true }, 'the crashed window\'s slot is taken at once');
    // A live process of this machine (our parent) keeps its slot.
    plant('alive', { pid: process.ppid });
    assert.deepEqual(b.others().map((h) => h.holderId).sort(), ['alive', 'remote']);
  });
});
