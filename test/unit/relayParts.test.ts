import { strict as assert } from 'node:assert';
import Redis, { type Command } from 'ioredis';
import { parseRedisUrl, redactRedis, RedisUrlError, reconnectDelay, describeRedisError } from '../../src/relay/redisTarget';
import { parseRelayStatus } from '../../src/relay/relayStatus';
import { newer } from '../../src/relay/relayViewer';
import { checkStreamKey, defaultStreamKey, relayKeys } from '../../src/relay/relayKeys';
import { Publisher, writeBatch, xaddHead } from '../../src/relay/publisher';
import { parseRenewReply, withRelayCommands, type RelayCommands } from '../../src/relay/relayScripts';
import { OutageFence, takeoverWaitMs } from '../../src/relay/outageFence';
import { FakeClock } from '../support/fakeClock';
import { nullLogger } from '../../src/stream/logger';
import { parseCli, UsageError } from '../../src/cli/args';
import { useRedisServer } from '../support/redisServer';
import { until } from '../support/engineHelpers';
import { TcpProxy } from '../support/tcpProxy';
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
    // The leader's timings, which standbys compare with theirs: only plausible durations.
    const t = parseRelayStatus({ state: 'connected', leaseMs: '600', maxRedisOutageMs: '2000' })!;
    assert.deepEqual([t.leaseMs, t.maxRedisOutageMs], [600, 2000]);
    for (const bad of ['-1', '0', 'NaN', '1e99', 'soon', '']) assert.equal(parseRelayStatus({ state: 'connected', leaseMs: bad, maxRedisOutageMs: bad })!.maxRedisOutageMs, undefined, bad);
  });

  it('stream ids compare numerically; keys are checked', () => {
    assert.ok(newer('10-0', '9-5'));
    assert.ok(newer('5-10', '5-9'));
    assert.ok(!newer('5-9', '5-9'));
    assert.ok(newer('1700000000000-0', '0-0'));
    assert.ok(!newer('0-0', '1700000000000-0'));
    assert.ok(newer('5-18446744073709551615', '5-18446744073709551614'), 'exact beyond 2^53');
    assert.ok(!newer('5-18446744073709551614', '5-18446744073709551615'));
    assert.ok(newer('6-0', '5-18446744073709551615'));
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

  it('--max-redis-outage: default 45 s, longer than the lease, relay only', () => {
    const base = ['relay', '--demo', '--redis', 'redis://h'];
    const d = parseCli(base);
    assert.deepEqual(d.cmd === 'relay' && [d.leaseSeconds, d.maxRedisOutageSeconds], [10, 45]);
    const r = parseCli([...base, '--lease-seconds', '0.6', '--max-redis-outage', '2']);
    assert.deepEqual(r.cmd === 'relay' && [r.leaseSeconds, r.maxRedisOutageSeconds], [0.6, 2]);
    assert.throws(() => parseCli([...base, '--lease-seconds', '2', '--max-redis-outage', '2']), /--max-redis-outage \(2 s\) must be longer than --lease-seconds \(2 s\)/);
    assert.throws(() => parseCli([...base, '--lease-seconds', '60']), /--max-redis-outage \(45 s, the default\) must be longer/);
    assert.throws(() => parseCli([...base, '--max-redis-outage', 'soon']), /--max-redis-outage must be a number/);
    assert.throws(() => parseCli(['tail', '--demo', '--max-redis-outage', '5']), /belongs to the relay/);
  });

  it('self-fencing: a leader silent towards Redis for maxRedisOutage steps down only if a standby was registered at its last renewal', async () => {
    const clock = new FakeClock();
    const fenced: { silentMs: number; standbys: number }[] = [];
    const f = new OutageFence({ clock, maxRedisOutageMs: 2000, onFence: (i) => fenced.push(i) });
    const t0 = clock.now();
    f.renewed(t0, 1);
    await clock.advance(1000);
    f.renewed(t0 + 900, 2); // sent at +900, answered at +1000: the outage counts from the send
    await clock.advance(1899);
    assert.equal(fenced.length, 0, 'not before the bound');
    await clock.advance(1);
    assert.deepEqual(fenced, [{ silentMs: 2000, standbys: 2 }], 'at 2000 ms after the last successful send');
    await clock.advance(10_000);
    assert.equal(fenced.length, 1, 'once');
    f.renewed(clock.now(), 1);
    assert.equal(f.deadline, undefined, 'stopped for good');

    // A late answer to an older renewal does not move the bound back (or forward).
    const g = new OutageFence({ clock, maxRedisOutageMs: 2000, onFence: (i) => fenced.push(i) });
    const t1 = clock.now();
    g.renewed(t1, 1);
    g.renewed(t1 - 500, 0);
    assert.equal(g.deadline, t1 + 2000);
    // The lone leader: no standby at its last renewal, so no outage is long enough.
    g.renewed(t1 + 100, 0);
    assert.equal(g.deadline, undefined);
    await clock.advance(60_000);
    assert.equal(fenced.length, 1, 'a lone leader keeps its connection');
    // A standby registers: the next renewal arms it again.
    g.renewed(clock.now(), 1);
    await clock.advance(2000);
    assert.equal(fenced.length, 2);
    assert.equal(clock.pending, 0);
  });

  it('takeover wait: a whole lease, at least maxRedisOutage − lease, plus a tick', () => {
    assert.equal(takeoverWaitMs(10_000, 45_000, 1000), 36_000);
    assert.equal(takeoverWaitMs(600, 2000, 200), 1600);
    assert.equal(takeoverWaitMs(600, 1000, 200), 800, 'never less than a lease: a leader re-takes a vanished lease within a third of one');
  });

  it('the renewal reply is checked: another shape counts as a failed renewal', () => {
    assert.deepEqual(parseRenewReply([1, 3]), { result: 1, standbys: 3 });
    assert.deepEqual(parseRenewReply([0, 0]), { result: 0, standbys: 0 });
    for (const bad of [1, null, [3, 1], [1, -1], [1, 'x'], [1], [1, 2, 3], 'OK']) assert.equal(parseRenewReply(bad), undefined, JSON.stringify(bad));
  });
});

describe('relay fencing (real redis-server)', function () {
  this.timeout(30_000);
  const server = useRedisServer();

  const hit = (n: number): StoredHit => ({ seq: n, key: `1:${n}`, receivedAt: 1000 + n, data: {}, raw: `{"hitIdHigh":1,"hitIdLow":${n}}` });

  const conns: Redis[] = [];
  afterEach(() => { for (const c of conns.splice(0)) c.disconnect(); });
  /** A publishing connection as the relay makes one (no offline queue, no resend after a reconnect). */
  async function dataConn(port = server().port): Promise<Redis> {
    const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0, retryStrategy: () => 20 });
    c.on('error', () => undefined);
    conns.push(c);
    await c.connect();
    return c;
  }

  /** A client with the relay's Lua commands on this suite's redis-server, disconnected after `fn`. */
  async function withScripts(fn: (r: Redis & RelayCommands) => Promise<void>): Promise<void> {
    const r = withRelayCommands(new Redis({ host: '127.0.0.1', port: server().port, lazyConnect: true }));
    await r.connect();
    try { await fn(r); } finally { r.disconnect(); }
  }

  it('a deposed leader (its token no longer in the lease) writes nothing: the publish is refused inside Redis; a retried batch is applied once', async () => {
    const keys = relayKeys('fence:test');
    await withScripts(async (r) => {
      await r.set(keys.lease, '7:new-leader', 'PX', 10_000);
      let fenced = 0;
      const old = new Publisher(await dataConn(), keys, '6:old-leader', { maxlen: 100, leaseMs: 10_000, log: nullLogger, onFenced: () => { fenced++; } });
      old.push([hit(1), hit(2)]);
      await until(() => fenced === 1, 5_000, 'fenced');
      assert.equal(await r.exists(keys.stream), 0, 'nothing published by the old leader');
      assert.equal(old.published, 0);
      // The current leader publishes, in one batch, with exact text and ids.
      const cur = new Publisher(await dataConn(), keys, '7:new-leader', { maxlen: 100, leaseMs: 10_000, log: nullLogger, onFenced: () => assert.fail('fenced') });
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
      const target = { keys, token: '7:new-leader', leaseMs: 10_000, xaddHead: xaddHead(keys.stream, 100) };
      const entries = [{ raw: Buffer.from('{"a":1}'), id: '1:5', t: 5, bytes: 7 }, { raw: '{"b":2}', id: '1:6', t: 6, bytes: 7 }];
      const data = await dataConn();
      try {
        const send = () => writeBatch(data, target, 999, entries);
        assert.equal(await send(), 2);
        assert.equal(await send(), 2);
      } finally { data.disconnect(); }
      const last = await r.xrevrange(keys.stream, '+', '-', 'COUNT', 3);
      const before = await r.xlen(keys.stream);
      // The lease taken between the check (WATCH, GET) and the transaction: EXEC refuses it, the check runs
      // again and sees the new holder. (The thief's SET goes out on the same connection just before MULTI.)
      const paused = await dataConn();
      try {
        const sendCommand = paused.sendCommand.bind(paused);
        let checks = 0;
        let multis = 0;
        paused.sendCommand = ((cmd: Command, ...rest: unknown[]) => {
          if (cmd.name === 'watch') checks++;
          if (cmd.name === 'multi' && ++multis === 1) void paused.set(keys.lease, '8:thief', 'PX', 10_000);
          return (sendCommand as (...a: unknown[]) => unknown)(cmd, ...rest);
        }) as typeof paused.sendCommand;
        assert.equal(await writeBatch(paused, target, 1000, entries), -1, 'fenced');
        assert.deepEqual({ checks, multis }, { checks: 2, multis: 1 }, 'check, refused transaction, check again');
      } finally { paused.disconnect(); }
      assert.equal(await r.xlen(keys.stream), before, 'nothing written by the paused leader');
      assert.equal(await r.exists(`${keys.stream}:batch:7:new-leader:1000`), 0);
      assert.deepEqual(last.map(([, f]) => f), [['raw', '{"b":2}', 'id', '1:6', 't', '6'], ['raw', '{"a":1}', 'id', '1:5', 't', '5'], ['raw', hit(4).raw, 'id', '1:4', 't', '1004']]);
    });
  });

  it('a transaction Redis refuses says why (out of memory when queued; a key of the wrong type at EXEC) and is applied once the cause is gone', async () => {
    const keys = relayKeys('fence:refused');
    const r = new Redis({ host: '127.0.0.1', port: server().port });
    conns.push(r);
    await r.set(keys.lease, '5:me', 'PX', 60_000);
    const data = await dataConn();
    const target = { keys, token: '5:me', leaseMs: 60_000, xaddHead: xaddHead(keys.stream, 100) };
    const entries = [{ raw: '{"a":1}', id: '1:1', t: 1, bytes: 7 }, { raw: '{"a":2}', id: '1:2', t: 2, bytes: 7 }];
    await r.config('SET', 'maxmemory', '1');
    try {
      await assert.rejects(writeBatch(data, target, 1, entries), /OOM/);
    } finally { await r.config('SET', 'maxmemory', '0'); }
    await r.set(keys.stream, 'not a stream');
    await assert.rejects(writeBatch(data, target, 1, entries), /WRONGTYPE/);
    assert.equal(await r.exists(`${keys.stream}:batch:5:me:1`), 0, 'no marker claims the refused batch');
    await r.del(keys.stream);
    assert.equal(await writeBatch(data, target, 1, entries), 2);
    assert.equal(await r.xlen(keys.stream), 2);
  });

  it('an ambiguous failure (EXEC applied, its reply lost with the connection): the batch is retried and not applied twice', async () => {
    const keys = relayKeys('fence:ambiguous');
    const proxy = await TcpProxy.start(server().port);
    try {
      const r = new Redis({ host: '127.0.0.1', port: server().port });
      conns.push(r);
      await r.set(keys.lease, '4:me', 'PX', 60_000);
      const data = await dataConn(proxy.port);
      const pub = new Publisher(data, keys, '4:me', { maxlen: 100, leaseMs: 60_000, log: nullLogger, onFenced: () => assert.fail('fenced') });
      pub.push([hit(1), hit(2)]);
      assert.equal(await pub.drain(5_000), true);
      proxy.dropRepliesAfter('*1\r\n$4\r\nEXEC\r\n');
      pub.push([hit(3), hit(4), hit(5)]);
      await until(async () => (await r.xlen(keys.stream)) === 5, 5_000, 'the transaction applied');
      assert.equal(pub.published, 2, 'its reply never arrived');
      proxy.cut();
      proxy.heal();
      assert.equal(await pub.drain(10_000), true, 'retried after the reconnect');
      assert.equal(pub.published, 5);
      const got = await r.xrange(keys.stream, '-', '+');
      assert.deepEqual(got.map(([, f]) => f[3]), ['1:1', '1:2', '1:3', '1:4', '1:5'], 'each once, in order');
    } finally { await proxy.close(); }
  });

  it('the publishing connection killed again and again while it writes (CLIENT KILL): every hit published exactly once, in order', async () => {
    const keys = relayKeys('fence:kills');
    const data = await dataConn();
    await data.client('SETNAME', 'pub-under-test');
    const r = new Redis({ host: '127.0.0.1', port: server().port });
    conns.push(r);
    await r.set(keys.lease, '3:me', 'PX', 60_000);
    // Names stick across ioredis reconnects only when given as an option: set it again on each ready.
    data.on('ready', () => void data.client('SETNAME', 'pub-under-test').catch(() => undefined));
    const pub = new Publisher(data, keys, '3:me', { maxlen: 100_000, leaseMs: 60_000, log: nullLogger, onFenced: () => assert.fail('fenced') });
    const n = 30_000;
    const pad = 'x'.repeat(1000);
    const mk = (i: number): StoredHit => ({ seq: i, key: `9:${i}`, receivedAt: i, data: {}, raw: `{"hitIdHigh":9,"hitIdLow":${i},"p":"${pad}"}` });
    let kills = 0;
    let killedMidway = 0;
    const killer = (async () => {
      while (kills < 12) {
        await new Promise((res) => setTimeout(res, 15));
        const line = (await r.client('LIST') as string).split('\n').find((l) => / name=pub-under-test /.test(l));
        if (!line) continue;
        if (pub.published < n) killedMidway++;
        await r.client('KILL', 'ID', /id=(\d+)/.exec(line)![1]).catch(() => undefined);
        kills++;
      }
    })();
    for (let i = 1; i <= n; i += 3000) pub.push(Array.from({ length: 3000 }, (_, k) => mk(i + k)));
    await killer;
    assert.equal(await pub.drain(30_000), true, `drained (${pub.published}/${n})`);
    assert.ok(killedMidway >= 3, `killed while writing ${killedMidway} times`);
    const ids: string[] = [];
    for (let from = '-'; ;) {
      const page = await r.xrange(keys.stream, from, '+', 'COUNT', 5000);
      for (const [, f] of page) ids.push(f[f.indexOf('id') + 1]);
      if (page.length < 5000) break;
      from = `(${page[page.length - 1][0]}`;
    }
    assert.equal(ids.length, n, 'each hit once');
    assert.deepEqual(ids, Array.from({ length: n }, (_, i) => `9:${i + 1}`), 'in order');
    assert.equal(pub.published, n);
    assert.equal(pub.dropped, 0);
  });

  it('standbys register in a ZSET timed by Redis; each renewal prunes the expired ones and counts the others', async () => {
    const keys = relayKeys('fence:standbys');
    await withScripts(async (r) => {
      await r.set(keys.standbys, 'garbage'); // not a ZSET: replaced, not an error on every renewal
      assert.equal(await r.relayRegister(keys.standbys, 'b', 300), 1);
      assert.equal(await r.type(keys.standbys), 'zset');
      await r.relayRegister(keys.standbys, 'c', 60_000);
      await r.relayRegister(keys.standbys, 'leader', 60_000); // registered while it stood by
      const pttl = await r.pttl(keys.standbys);
      assert.ok(pttl > 59_000, `the set lives as long as its longest registration (${pttl})`);
      const [sec, us] = await r.time();
      const score = Number(await r.zscore(keys.standbys, 'c'));
      assert.ok(Math.abs(score - (Number(sec) * 1000 + Math.floor(Number(us) / 1000) + 60_000)) < 1000, 'scored by Redis TIME');
      // The leader counts the others (not itself), and its own old registration goes.
      assert.deepEqual(parseRenewReply(await r.relayRenew(keys.lease, keys.standbys, '1:leader', 1000, 'leader')), { result: 2, standbys: 2 });
      assert.equal(await r.zscore(keys.standbys, 'leader'), null);
      await new Promise((res) => setTimeout(res, 400));
      assert.deepEqual(parseRenewReply(await r.relayRenew(keys.lease, keys.standbys, '1:leader', 1000, 'leader')), { result: 1, standbys: 1 }, 'b expired and was pruned');
      assert.deepEqual(await r.zrange(keys.standbys, 0, -1), ['c']);
      assert.deepEqual(parseRenewReply(await r.relayRenew(keys.lease, keys.standbys, '2:other', 1000, 'other')), { result: 0, standbys: 1 });
      assert.equal(await r.get(keys.lease), '1:leader');
    });
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
