import { strict as assert } from 'node:assert';
import Redis from 'ioredis';
import { parseRedisUrl, redactRedis, RedisUrlError, reconnectDelay, describeRedisError } from '../../src/relay/redisTarget';
import { parseRelayStatus } from '../../src/relay/relayStatus';
import { newer } from '../../src/relay/relayViewer';
import { checkStreamKey, defaultStreamKey, relayKeys } from '../../src/relay/relayKeys';
import { Publisher } from '../../src/relay/publisher';
import { withRelayCommands } from '../../src/relay/relayScripts';
import { nullLogger } from '../../src/stream/logger';
import { parseCli, UsageError } from '../../src/cli/args';
import { useRedisServer } from '../support/redisServer';
import { until } from '../support/engineHelpers';
import type { EngineSnapshot, RelayView, StoredHit } from '../../src/shared/model';
import { statusView } from '../../src/shared/statusView';

describe('relay parts', () => {
  it('parses redis[s] URLs; the password from the environment wins and never shows in display', () => {
    const t = parseRedisUrl('rediss://alice:s3cr%40t@redis.example:6380/2');
    assert.deepEqual({ ...t }, { host: 'redis.example', port: 6380, db: 2, tls: true, username: 'alice', password: 's3cr@t', display: 'rediss://redis.example:6380/2' });
    assert.equal(parseRedisUrl('redis://h', 'envpass').password, 'envpass');
    assert.equal(parseRedisUrl('redis://:urlpass@h', 'envpass').password, 'envpass');
    assert.equal(parseRedisUrl('redis://[::1]:7000').host, '::1');
    assert.throws(() => parseRedisUrl('http://h'), RedisUrlError);
    assert.throws(() => parseRedisUrl('redis://h/16'), /0..15/);
    // A URL that cannot be parsed is echoed without its userinfo.
    assert.throws(() => parseRedisUrl('redis://user:pa ss@'), (e: Error) => !e.message.includes('pa ss'));
  });

  it('redacts the password (every form) and URL userinfo from any text', () => {
    const out = redactRedis('AUTH failed for redis://bob:hunter22@h:1/0 with hunter22 (hunter22 encoded: hunter22)', { password: 'hunter22' });
    assert.ok(!out.includes('hunter22'), out);
    assert.match(describeRedisError(new Error('WRONGPASS invalid username-password pair or user is disabled.')), /WRONGPASS/);
  });

  it('reconnect back-off: 200 ms doubling to 5 s, jittered ±25 %', () => {
    assert.equal(reconnectDelay(1, () => 0.5), 200);
    assert.equal(reconnectDelay(3, () => 0.5), 800);
    assert.equal(reconnectDelay(50, () => 0.5), 5000);
    assert.equal(reconnectDelay(50, () => 1), 6250);
  });

  it('status hashes from Redis are untrusted: bounded, numbers checked, unknown states named unknown', () => {
    assert.equal(parseRelayStatus({}), undefined);
    const s = parseRelayStatus({ state: '<script>', hits: 'NaN', heartbeat: '12', lastErrorCode: 'x'.repeat(100), lastErrorDescription: 'y'.repeat(5000) })!;
    assert.equal(s.state, 'unknown');
    assert.equal(s.hits, 0);
    assert.equal(s.heartbeat, 12);
    assert.equal(s.lastErrorCode!.length, 40);
    assert.equal(s.lastErrorDescription!.length, 500);
  });

  it('stream ids compare numerically; keys are checked', () => {
    assert.ok(newer('10-0', '9-5'));
    assert.ok(newer('5-10', '5-9'));
    assert.ok(!newer('5-9', '5-9'));
    assert.equal(defaultStreamKey('https://livestream.adobe.net/api/1/stream/my-stream'), 'livestream:my-stream');
    assert.equal(relayKeys('k').lease, 'k:lease');
    assert.match(checkStreamKey('a b')!, /spaces/);
    assert.equal(checkStreamKey('livestream:x'), undefined);
  });

  it('CLI arguments: relay needs --redis; tail --relay excludes --url; relay-only flags are refused on tail', () => {
    const r = parseCli(['relay', '--demo', '--redis', 'redis://127.0.0.1:6379/0', '--maxlen', '500', '--lease-seconds', '0.5', '--buffer-hits', '10']);
    assert.equal(r.cmd, 'relay');
    assert.deepEqual(r.cmd === 'relay' && [r.maxlen, r.leaseSeconds, r.bufferHits], [500, 0.5, 10]);
    assert.throws(() => parseCli(['relay', '--demo']), /--redis/);
    assert.throws(() => parseCli(['tail', '--relay', 'redis://h', '--url', 'https://x']), UsageError);
    assert.throws(() => parseCli(['tail', '--demo', '--maxlen', '5']), /belongs to the relay/);
    assert.throws(() => parseCli(['tail', '--demo', '--from-start']), /--from-start needs --relay/);
    assert.throws(() => parseCli(['relay', '--demo', '--redis', 'redis://h', '--password', 'x']), /not accepted/);
    const t = parseCli(['tail', '--relay', 'redis://h', '--key', 'k', '--from-start']);
    assert.deepEqual(t.cmd === 'tail' && [t.relay, t.key, t.fromStart], ['redis://h', 'k', true]);
  });
});

describe('relay fencing (real redis-server)', function () {
  this.timeout(30_000);
  const server = useRedisServer();

  const hit = (n: number): StoredHit => ({ seq: n, key: `1:${n}`, receivedAt: 1000 + n, data: {}, raw: `{"hitIdHigh":1,"hitIdLow":${n}}` });

  it('a deposed leader (its token no longer in the lease) writes nothing: the publish is refused inside Redis; a retried batch is applied once', async () => {
    const redis = server();
    const keys = relayKeys('fence:test');
    const r = withRelayCommands(new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true }));
    await r.connect();
    try {
      await r.set(keys.lease, '7:new-leader', 'PX', 10_000);
      let fenced = 0;
      const old = new Publisher(r, keys, '6:old-leader', { maxlen: 100, leaseMs: 10_000, log: nullLogger, onFenced: () => { fenced++; } });
      old.push([hit(1), hit(2)]);
      await until(() => fenced === 1, 5_000, 'fenced');
      assert.equal(await r.exists(keys.stream), 0, 'nothing published by the old leader');
      assert.equal(old.published, 0);
      // The current leader publishes, in one batch, with exact text and ids.
      const cur = new Publisher(r, keys, '7:new-leader', { maxlen: 100, leaseMs: 10_000, log: nullLogger, onFenced: () => assert.fail('fenced') });
      cur.push([hit(1), hit(2), hit(3)]);
      assert.equal(await cur.drain(5_000), true);
      const got = await r.xrange(keys.stream, '-', '+');
      assert.deepEqual(got.map(([, f]) => f), [1, 2, 3].map((n) => ['raw', hit(n).raw, 'id', `1:${n}`, 't', String(1000 + n)]));
      // A lease that vanished (Redis restarted without it) is taken back by the leader that still writes.
      await r.del(keys.lease);
      cur.push([hit(4)]);
      assert.equal(await cur.drain(5_000), true);
      assert.equal(await r.get(keys.lease), '7:new-leader');
      assert.equal(await r.xlen(keys.stream), 4);
      // A batch retried after an ambiguous failure (applied, reply lost) is not applied twice.
      const send = () => r.relayPublish(keys.lease, keys.stream, `${keys.stream}:batch:7:new-leader:999`, '7:new-leader', 10_000, 100,
        Buffer.from('{"a":1}{"b":2}'), '7,7', Buffer.from('1:51:6'), '3,3', '5,6');
      assert.equal(await send(), 2);
      assert.equal(await send(), 2);
      const last = await r.xrevrange(keys.stream, '+', '-', 'COUNT', 3);
      assert.deepEqual(last.map(([, f]) => f), [['raw', '{"b":2}', 'id', '1:6', 't', '6'], ['raw', '{"a":1}', 'id', '1:5', 't', '5'], ['raw', hit(4).raw, 'id', '1:4', 't', '1004']]);
    } finally {
      r.disconnect();
    }
  });
});

describe('status bar via relay (statusView)', () => {
  const base = (over: Partial<RelayView>, kind: 'connected' | 'connecting' = 'connected'): EngineSnapshot => ({
    streamUrl: 'redis://h:1/0 livestream:x',
    state: kind === 'connected' ? { kind, since: 0 } : { kind, since: 0, attempt: 2 },
    stats: { received: 12, duplicates: 0, malformed: 0, oversized: 0, hitsPerSecond: 3.5 },
    relay: { redisUrl: 'redis://h:1/0', key: 'livestream:x', redis: kind === 'connected' ? 'connected' : 'reconnecting', relayState: 'connected', ...over },
  });

  it('connected: "via relay" with this window\'s rate, no background', () => {
    const v = statusView(base({}), 0);
    assert.equal(v.text, '$(broadcast) Live Stream via relay 3.5/s');
    assert.equal(v.background, undefined);
    assert.match(v.tooltip, /No Adobe cooldown applies to this window/);
  });
  it('the relay cooling down: its countdown and last Adobe error code, warning background', () => {
    const v = statusView(base({ relayState: 'cooldown', relayUntil: 42_000, relayLastErrorCode: '409', relayLastErrorDescription: 'Maximum connections [x](command:evil)' }), 0);
    assert.equal(v.text, '$(broadcast) Live Stream via relay: $(watch) relay cooling down 42 s 409');
    assert.equal(v.background, 'statusBarItem.warningBackground');
    assert.ok(!v.tooltip.includes('[x](command:evil)'), 'relay text is escaped');
  });
  it('this window\'s Redis connection down or refused; the relay silent or dropping', () => {
    assert.match(statusView(base({}, 'connecting'), 0).text, /via relay: Redis reconnecting/);
    const failed = statusView({ ...base({ redis: 'failed', redisError: 'Redis refused the credentials (WRONGPASS)' }), state: { kind: 'stopped', since: 0, code: 'redis', reason: 'x' } }, 0);
    assert.equal(failed.background, 'statusBarItem.errorBackground');
    assert.match(failed.tooltip, /WRONGPASS/);
    assert.match(statusView(base({ relayState: 'silent' }), 0).text, /relay silent/);
    assert.match(statusView(base({ relayDropped: 7 }), 0).tooltip, /Relay dropped 7 hits/);
  });
});

describe('relay viewer (real redis-server, in process)', function () {
  this.timeout(30_000);
  const server = useRedisServer();

  it('entries are untrusted: malformed, oversized and id-less ones are counted and skipped, duplicates dropped; a restarted viewer resumes after its last id', async () => {
    const redis = server();
    const key = 'livestream:hostile';
    const c = redis.client();
    const add = (...f: string[]) => c.xadd(key, '*', ...f);
    await add('raw', '{"hitIdHigh":1,"hitIdLow":18446744073709551615,"pageName":"ok"}', 'id', 'ignored', 't', '123');
    await add('raw', 'not json', 'id', '1:2', 't', '1');
    await add('nothing', 'here');
    await add('raw', `{"hitIdHigh":1,"hitIdLow":3,"big":"${'x'.repeat(2000)}"}`, 'id', '1:3', 't', '1');
    await add('raw', '{"hitIdHigh":1,"hitIdLow":18446744073709551615,"pageName":"again"}', 'id', '1:1', 't', 'NaN');
    await add('raw', '{"hitIdHigh":1,"hitIdLow":4}', 'id', '1:4', 't', '1e300');
    const { RelayViewer } = await import('../../src/relay/relayViewer');
    const warnings: string[] = [];
    const log = { ...nullLogger, warn: (m: string) => warnings.push(m) };
    const viewer = new RelayViewer({ target: parseRedisUrl(redis.url), key, history: 100, log, maxRecordBytes: 1000, blockMs: 200 });
    const got: StoredHit[] = [];
    viewer.onHits((h) => got.push(...h));
    const run = viewer.start();
    await until(() => got.length === 2, 5_000, 'the two valid hits');
    assert.deepEqual(got.map((h) => h.key), ['1:18446744073709551615', '1:4'], 'ids recomputed from the record, exact digits');
    assert.equal(got[0].receivedAt, 123);
    assert.ok(got[1].receivedAt > 1e12, 'an impossible time becomes the time of reading');
    const s = viewer.snapshot();
    assert.deepEqual([s.stats.malformed, s.stats.oversized, s.stats.duplicates], [2, 1, 1]);
    assert.equal(s.relay?.relayState, 'none');
    assert.ok(warnings.some((w) => /not json|malformed/i.test(w)));
    // Stopped and started again (a window's Disconnect, then Connect): it resumes after its last id.
    await viewer.stop();
    await run;
    await add('raw', '{"hitIdHigh":1,"hitIdLow":5}', 'id', '1:5', 't', '1');
    const again = viewer.start();
    await until(() => got.length === 3, 5_000, 'the new hit after the restart');
    assert.deepEqual(got.map((h) => h.key), ['1:18446744073709551615', '1:4', '1:5']);
    await viewer.stop();
    await again;
  });
});
