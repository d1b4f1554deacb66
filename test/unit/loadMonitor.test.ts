import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoadMonitor, type LoadSample } from '../../src/session/loadMonitor';
import { StreamService } from '../../src/session/streamService';
import { parseSettings } from '../../src/session/settings';
import { MockLiveStreamServer } from '../../src/mock/mockServer';
import { nullLogger } from '../../src/stream/logger';
import { statusView } from '../../src/shared/statusView';
import { FakeClock } from '../support/fakeClock';
import { until } from '../support/engineHelpers';

describe('LoadMonitor ("falling behind", never silent)', () => {
  it('says falling behind after two busy (or late) seconds and caught up after three calm ones', async () => {
    const clock = new FakeClock();
    let sample: LoadSample = { busy: 0.2, delayP99Ms: 5 };
    const changes: boolean[] = [];
    const m = new LoadMonitor({ clock, sampler: () => sample, onChange: (b) => changes.push(b) });
    m.start();
    await clock.advance(3000);
    assert.equal(m.fallingBehind, false);
    sample = { busy: 0.97, delayP99Ms: 30 };
    await clock.advance(1000);
    assert.equal(m.fallingBehind, false, 'one busy second is not enough');
    await clock.advance(1000);
    assert.equal(m.fallingBehind, true);
    sample = { busy: 0.5, delayP99Ms: 400 };
    await clock.advance(5000);
    assert.equal(m.fallingBehind, true, 'timers 400 ms late: still behind');
    sample = { busy: 0.3, delayP99Ms: 10 };
    await clock.advance(2000);
    assert.equal(m.fallingBehind, true, 'two calm seconds are not enough');
    await clock.advance(1000);
    assert.equal(m.fallingBehind, false);
    assert.deepEqual(changes, [true, false]);
    m.stop();
    assert.equal(clock.pending, 0);
  });

  it('a stream worker that holds reading back half the time is falling behind too, however idle this thread is', async () => {
    const clock = new FakeClock();
    let sample: LoadSample = { busy: 0.05, delayP99Ms: 2, heldBack: 0 };
    const m = new LoadMonitor({ clock, sampler: () => sample, onChange: () => undefined });
    m.start();
    await clock.advance(3000);
    sample = { busy: 0.05, delayP99Ms: 2, heldBack: 0.7 };
    await clock.advance(2000);
    assert.equal(m.fallingBehind, true);
    sample = { busy: 0.05, delayP99Ms: 2, heldBack: 0.3 };
    await clock.advance(5000);
    assert.equal(m.fallingBehind, true, 'held back 30 %: not caught up yet');
    sample = { busy: 0.05, delayP99Ms: 2, heldBack: 0 };
    await clock.advance(3000);
    assert.equal(m.fallingBehind, false);
    m.stop();
  });

  it('the default sampler turns the pipeline\'s held-back milliseconds into a share of real time', async () => {
    const clock = new FakeClock();
    const t0 = performance.now();
    // Held back all the time since the start: a share of 1 in every interval.
    const m = new LoadMonitor({ clock, heldBackMs: () => performance.now() - t0, onChange: () => undefined });
    m.start();
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await clock.advance(1000);
    }
    assert.equal(m.fallingBehind, true);
    m.stop();
  });

  it('StreamService puts it in the snapshot while connected, so the status bar shows it', async function () {
    this.timeout(10_000);
    const dir = mkdtempSync(join(tmpdir(), 'lsi-load-'));
    const mock = await MockLiveStreamServer.start({ rate: 50 });
    let busy = 0.1;
    const s = new StreamService({
      stateDir: dir, log: nullLogger, holderId: 'w', windowLabel: 'w',
      settings: () => ({ settings: { ...parseSettings(() => undefined).settings, streamUrl: mock.streamUrl }, problems: [] }),
      credentials: async () => undefined,
      loadSampler: () => ({ busy, delayP99Ms: 1 }),
    });
    try {
      const states: boolean[] = [];
      s.onState((snap) => states.push(!!snap.stats.fallingBehind));
      await s.connect({ force: true });
      await until(() => s.snapshot().state.kind === 'connected', 5000, 'connected');
      assert.equal(s.snapshot().stats.fallingBehind, undefined);
      busy = 0.99;
      await until(() => s.snapshot().stats.fallingBehind === true, 5000, 'falling behind');
      assert.ok(states.includes(true), 'a state change was published');
      assert.match(statusView(s.snapshot(), Date.now()).text, /falling behind/);
      await s.disconnect();
      assert.equal(s.snapshot().stats.fallingBehind, undefined, 'not connected: not behind');
    } finally {
      await s.dispose();
      await mock.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
