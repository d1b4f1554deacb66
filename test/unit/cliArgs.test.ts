import { strict as assert } from 'node:assert';
import { parseCli, UsageError } from '../../src/cli/args';

describe('CLI arguments: mock firehose options', () => {
  it('--pool and --flush-every reach the mock; defaults are off and 1', () => {
    const a = parseCli(['mock', '--rate', '50000', '--pool', '2000', '--flush-every', '50']);
    assert.ok(a.cmd === 'mock');
    assert.equal(a.rate, 50_000);
    assert.equal(a.pool, 2000);
    assert.equal(a.flushEvery, 50);
    const d = parseCli(['mock']);
    assert.ok(d.cmd === 'mock');
    assert.equal(d.pool, 0);
    assert.equal(d.flushEvery, 1);
  });

  it('out-of-range values are usage errors (exit 2, nothing started)', () => {
    for (const bad of [['--pool', '10001'], ['--pool', '-1'], ['--pool', '1.5'], ['--flush-every', '0'], ['--flush-every', 'x']]) {
      assert.throws(() => parseCli(['mock', ...bad]), UsageError, bad.join(' '));
    }
  });
});
