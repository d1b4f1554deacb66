import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { MIN_FAILURE_BACKOFF_MS, ReconnectPolicy } from '../../src/stream/reconnectPolicy';
import { DedupeWindow } from '../../src/stream/dedupe';
import { nextRedirectUrl } from '../../src/stream/redirectPolicy';
import { classifyStatus, ConfigError, describeBody, LiveStreamError, RedirectRefused, SYMBOLIC } from '../../src/stream/errors';
import { buildStreamUrl, streamKey } from '../../src/stream/streamConfig';

describe('ReconnectPolicy', () => {
  it('doubles from the cooldown on each consecutive failure, capped at 10 minutes', () => {
    const p = new ReconnectPolicy({ cooldownMs: 60_000, random: () => 0 });
    assert.deepEqual([1, 2, 3, 4, 5, 6, 20].map((n) => p.delayAfterFailure(n)), [60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000]);
  });

  it('property: jitter only adds, at most 10 %', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 900_000 }), (n, r, cd) => {
      const p = new ReconnectPolicy({ cooldownMs: cd, random: () => r });
      const base = p.baseDelayAfterFailure(n);
      const d = p.delayAfterFailure(n);
      assert.ok(d >= base && d <= base * 1.1, `${d} vs ${base}`);
      assert.ok(base >= cd, 'never less than the cooldown');
      assert.ok(base >= MIN_FAILURE_BACKOFF_MS, 'never less than the floor');
    }));
  });

  it('failed attempts wait at least 5 s even with a cooldown of 0, doubling up to 10 minutes', () => {
    const p = new ReconnectPolicy({ cooldownMs: 0, random: () => 0 });
    assert.equal(MIN_FAILURE_BACKOFF_MS, 5_000);
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 40].map((n) => p.delayAfterFailure(n)),
      [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000, 600_000]);
    // A cooldown under the floor starts from the floor; one above it from itself.
    assert.equal(new ReconnectPolicy({ cooldownMs: 2_000, random: () => 0 }).delayAfterFailure(2), 10_000);
    assert.equal(new ReconnectPolicy({ cooldownMs: 8_000, random: () => 0 }).delayAfterFailure(2), 16_000);
  });

  it('after a loss: the cooldown, but a connection lost young (a failed attempt) waits at least the floor', () => {
    const zero = new ReconnectPolicy({ cooldownMs: 0, random: () => 0 });
    assert.equal(zero.delayAfterLoss(0), 0, 'a healthy connection lost: the configured cooldown, even 0');
    assert.deepEqual([1, 2, 3, 8, 9].map((n) => zero.delayAfterLoss(n)), [5_000, 10_000, 20_000, 600_000, 600_000]);
    assert.equal(zero.isQuickLoss(4_999), true);
    assert.equal(zero.isQuickLoss(5_000), false);
    const normal = new ReconnectPolicy({ cooldownMs: 60_000, random: () => 0 });
    assert.deepEqual([0, 1, 2, 4, 5].map((n) => normal.delayAfterLoss(n)), [60_000, 60_000, 60_000, 60_000, 80_000]);
  });

  it('earliest attempt is the later of loss + cooldown and the back-off', () => {
    const p = new ReconnectPolicy({ cooldownMs: 60_000 });
    assert.equal(p.earliestAttempt({}), 0);
    assert.equal(p.earliestAttempt({ lastLossAt: 1000 }), 61_000);
    assert.equal(p.earliestAttempt({ lastLossAt: 1000, notBefore: 500_000 }), 500_000);
    assert.equal(p.earliestAttempt({ lastLossAt: 1000, notBefore: 2000 }), 61_000);
  });
});

describe('DedupeWindow', () => {
  it('drops exact repeats and forgets only beyond the window', () => {
    const d = new DedupeWindow(3);
    assert.deepEqual(['a', 'b', 'a', 'c', 'd', 'a', 'd', 'b'].map((k) => d.add(k)), [true, true, false, true, true, true, false, true]);
    assert.equal(d.size, 3);
  });
  it('ids that differ only beyond 2^53 are different hits', () => {
    const d = new DedupeWindow();
    assert.equal(d.add('2948027281753079808:4948646782672799561'), true);
    assert.equal(d.add('2948027281753079808:4948646782672799560'), true);
    assert.equal(d.add('2948027281753079808:4948646782672799561'), false);
  });
  it('property: memory stays bounded by the window', () => {
    fc.assert(fc.property(fc.array(fc.string(), { maxLength: 500 }), fc.integer({ min: 1, max: 50 }), (keys, cap) => {
      const d = new DedupeWindow(cap);
      for (const k of keys) d.add(k);
      assert.ok(d.size <= cap);
    }));
  });
});

describe('redirect rules', () => {
  const orig = new URL('https://livestream.adobe.net/api/1/stream/s?maxConnections=2&reset=largest');
  it('follows to the same host and to https hosts under adobe.net, keeping the query', () => {
    const a = nextRedirectUrl(orig, orig, '/api/1/stream/s2');
    assert.equal(a.href, 'https://livestream.adobe.net/api/1/stream/s2?maxConnections=2&reset=largest');
    const b = nextRedirectUrl(orig, orig, 'https://node7.livestream.adobe.net/x?reset=smallest');
    assert.equal(b.searchParams.get('reset'), 'smallest');
    assert.equal(b.searchParams.get('maxConnections'), '2');
  });
  it('refuses a foreign host, naming it', () => {
    assert.throws(() => nextRedirectUrl(orig, orig, 'https://evil.example.com/steal'), (e: unknown) => e instanceof RedirectRefused && /evil\.example\.com/.test(e.message));
    assert.throws(() => nextRedirectUrl(orig, orig, 'https://adobe.net.evil.com/'), RedirectRefused);
    assert.throws(() => nextRedirectUrl(orig, orig, 'https://notadobe.net/'), RedirectRefused);
  });
  it('refuses a downgrade to http, and odd schemes', () => {
    assert.throws(() => nextRedirectUrl(orig, orig, 'http://livestream.adobe.net/api'), /plain http/);
    assert.throws(() => nextRedirectUrl(orig, orig, 'ftp://livestream.adobe.net/'), RedirectRefused);
    assert.throws(() => nextRedirectUrl(orig, orig, undefined), RedirectRefused);
  });
  it('http only between loopback hosts of the original (the mock)', () => {
    const local = new URL('http://127.0.0.1:9000/api/1/stream/demo');
    assert.equal(nextRedirectUrl(local, local, '/b').href, 'http://127.0.0.1:9000/b');
    assert.throws(() => nextRedirectUrl(local, local, 'http://127.0.0.1:9001/b'), RedirectRefused);
  });
});

describe('status classification', () => {
  it('every documented code has its disposition', () => {
    const expect: Record<number, string> = { 400: 'permanent', 401: 'auth', 404: 'permanent', 405: 'permanent', 406: 'permanent', 409: 'retry', 424: 'permanent', 500: 'retry', 503: 'retry', 505: 'permanent', 418: 'permanent', 599: 'retry' };
    for (const [code, disp] of Object.entries(expect)) {
      const c = classifyStatus(Number(code));
      assert.equal(c.disposition, disp, code);
      assert.ok(c.explanation.length > 20, `explanation for ${code}`);
    }
    assert.match(classifyStatus(424).explanation, /api\/2\/enable/);
  });
  it('shows 409\'s error_description verbatim, and the first 500 bytes of an unknown body', () => {
    const e = LiveStreamError.http(409, '{"error":"conflict","error_description":"Maximum connections reached (2) for stream x"}');
    assert.equal(e.message, 'Maximum connections reached (2) for stream x');
    assert.equal(e.code, '409');
    const long = describeBody(418, 'x'.repeat(2000));
    assert.equal(long, `HTTP 418: ${'x'.repeat(500)}`);
  });
  it('symbolic codes are a closed set, each with its own explanation', () => {
    const bad = LiveStreamError.symbolic('bad-gzip', 'corrupt');
    assert.equal(bad.disposition, 'retry');
    assert.notEqual(bad.explanation, SYMBOLIC.network.explanation, 'corrupt gzip is not explained as a network error');
    const explanations = Object.values(SYMBOLIC).map((c) => c.explanation);
    assert.equal(new Set(explanations).size, explanations.length);
    // @ts-expect-error an unknown code does not compile (it used to be explained as "Network error")
    assert.throws(() => LiveStreamError.symbolic('no-such-code', 'x'));
    assert.equal(LiveStreamError.symbolic('config', 'empty', 'Set an access token.').explanation, 'Set an access token.');
  });
});

describe('stream options', () => {
  it('builds the query', () => {
    const u = buildStreamUrl({ url: 'https://livestream.adobe.net/api/1/stream/s', maxConnections: 3, reset: 'smallest', smoothing: true, smoothingBucketSize: 30 });
    assert.equal(u.search, '?maxConnections=3&reset=smallest&smoothing=1&smoothingBucketSize=30');
    assert.equal(streamKey(u), 'https://livestream.adobe.net/api/1/stream/s');
  });
  it('rejects bad values before any request, naming the option', () => {
    const base = { url: 'https://livestream.adobe.net/api/1/stream/s' };
    const cases: [object, string][] = [
      [{ maxConnections: 9 }, 'maxConnections'], [{ maxConnections: 0 }, 'maxConnections'], [{ maxConnections: 1.5 }, 'maxConnections'],
      [{ reset: 'earliest' }, 'reset'], [{ smoothing: true, smoothingBucketSize: 7201 }, 'smoothingBucketSize'],
      [{ smoothing: true, smoothingBucketSize: 0 }, 'smoothingBucketSize'], [{ url: 'http://livestream.adobe.net/x' }, 'url'],
      [{ url: 'not a url' }, 'url'], [{ url: 'https://user:pw@livestream.adobe.net/x' }, 'url'],
    ];
    for (const [o, opt] of cases) {
      assert.throws(() => buildStreamUrl({ ...base, ...o }), (e: unknown) => e instanceof ConfigError && e.option === opt, JSON.stringify(o));
    }
    assert.doesNotThrow(() => buildStreamUrl({ url: 'http://127.0.0.1:1234/api/1/stream/demo' }));
  });
});
