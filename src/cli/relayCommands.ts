import { readFileSync } from 'node:fs';
import { LiveStreamEngine, type EngineOptions } from '../stream/liveStreamEngine';
import type { CooldownStore } from '../stream/cooldownStore';
import { ConfigError, LiveStreamError, UntrustedHostError } from '../stream/errors';
import type { Logger } from '../stream/logger';
import { MockLiveStreamServer } from '../mock/mockServer';
import { stateLine } from '../shared/statusView';
import type { EngineSnapshot } from '../shared/model';
import { Relay } from '../relay/relay';
import { RelayViewer } from '../relay/relayViewer';
import { checkStreamKey, defaultStreamKey } from '../relay/relayKeys';
import { parseRedisUrl, RedisUrlError, type RedisTarget } from '../relay/redisTarget';
import type { RelayStatus } from '../relay/relayStatus';
import { UsageError, type RelayArgs, type TailArgs } from './args';
import { HitWriter } from './hitWriter';
import { StatusLine } from './statusLine';

/** What main.ts lends the relay commands (its redacting stderr, the engine options of `tail`). */
export interface CliDeps {
  err(line: string): void;
  engineOptions(args: Omit<TailArgs, 'cmd'>, url: string, demo: boolean, log: Logger, store?: CooldownStore): EngineOptions;
  setStatus(s: StatusLine | undefined): void;
}

/** Exit codes, as in main.ts (documented in USAGE). */
const EXIT = { ok: 0, usage: 2, permanent: 3, auth: 4 } as const;

/** Passwords of the Redis URLs in use: redacted from everything written to stderr. */
const urlPasswords: string[] = [];
export function redisSecrets(): string[] {
  return [process.env.LIVESTREAM_REDIS_PASSWORD ?? '', ...urlPasswords];
}

function logger(deps: CliDeps, verbose: boolean): Logger {
  return {
    debug: (m) => { if (verbose) deps.err(`· ${m}`); },
    info: (m) => { if (verbose) deps.err(`· ${m}`); },
    warn: (m) => deps.err(`warning: ${m}`),
    error: (m) => deps.err(`error: ${m}`),
  };
}

function redisTarget(url: string, redisCa: string | undefined): { target: RedisTarget; ca?: string } {
  let target: RedisTarget;
  try { target = parseRedisUrl(url, process.env.LIVESTREAM_REDIS_PASSWORD || undefined); } catch (e) {
    if (e instanceof RedisUrlError) throw new UsageError(e.message);
    throw e;
  }
  if (target.password) urlPasswords.push(target.password);
  let ca: string | undefined;
  if (redisCa) {
    try { ca = readFileSync(redisCa, 'utf8'); } catch (e) { throw new UsageError(`--redis-ca: cannot read ${redisCa}: ${(e as Error).message}`); }
  }
  return { target, ca };
}

function onSignals(deps: CliDeps, stop: () => void): () => boolean {
  let signalled = false;
  const on = (sig: string) => {
    if (signalled) process.exit(EXIT.ok);
    signalled = true;
    deps.err(`${sig}: stopping`);
    stop();
  };
  process.on('SIGINT', () => on('SIGINT'));
  process.on('SIGTERM', () => on('SIGTERM'));
  return () => signalled;
}

/** `relay`: holds the Adobe connection when it is the leader and publishes every hit to Redis. */
export async function runRelay(args: RelayArgs, deps: CliDeps): Promise<number> {
  const log = logger(deps, args.verbose);
  let mock: MockLiveStreamServer | undefined;
  let relay: Relay;
  try {
    if (args.force) throw new UsageError('relay has no --force: only the leader connects, and never within the cooldown');
    const { target, ca } = redisTarget(args.redis, args.redisCa);
    if (args.demo) {
      mock = await MockLiveStreamServer.start({ rate: 5, ghostSeconds: 0, control: false });
      deps.err(`demo stream on ${mock.streamUrl}`);
    }
    const url = mock ? mock.streamUrl : args.url!;
    const key = args.key ?? defaultStreamKey(url);
    const bad = checkStreamKey(key);
    if (bad) throw new UsageError(`--key: ${bad}`);
    // Everything that can be wrong with the engine's options is found now, before Redis or Adobe is contacted.
    new LiveStreamEngine(deps.engineOptions(args, url, !!mock, { ...log, warn: () => undefined }));
    relay = new Relay({
      target, ca, key, maxlen: args.maxlen, leaseMs: Math.round(args.leaseSeconds * 1000), log,
      maxRedisOutageMs: Math.round(args.maxRedisOutageSeconds * 1000),
      connections: args.maxConnections ?? 1,
      maxBufferedHits: args.bufferHits,
      engine: (store) => new LiveStreamEngine(deps.engineOptions(args, url, !!mock, log, store)),
      onStatus: statusPrinter(deps),
      onStandby: (holder) => deps.err(`[${new Date().toISOString()}] standing by: the lease is held by ${holder}`),
    });
    deps.err(`relay ${relay.id}: ${target.display} key ${key} (maxlen ~${args.maxlen}, lease ${args.leaseSeconds} s, max Redis outage ${args.maxRedisOutageSeconds} s)`);
  } catch (e) {
    await mock?.close();
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof UntrustedHostError || (e instanceof LiveStreamError && (e.code === 'config' || e.code === 'untrusted-host'))) {
      deps.err(`livestream: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
  const signalled = onSignals(deps, () => void relay.stop());
  const end = await relay.run();
  await mock?.close();
  deps.err(`relay ${relay.id}: stopped${relay.dropped ? `; ${relay.dropped} hits dropped while Redis was unreachable` : ''}`);
  if (signalled()) return EXIT.ok;
  if (end.kind === 'redis-fatal') {
    deps.err(`livestream: ${end.message}`);
    return /WRONGPASS|NOAUTH/.test(end.message) ? EXIT.auth : EXIT.permanent;
  }
  if (end.kind === 'engine-stopped') {
    const s = end.snapshot;
    deps.err(`livestream: stopped: ${s.lastError ? `${s.lastError.code} ${s.lastError.description}` : s.state.kind === 'stopped' ? s.state.reason : ''}`);
    const code = s.lastError?.code ?? (s.state.kind === 'stopped' ? s.state.code : '');
    return code === '401' || code === 'token' ? EXIT.auth : EXIT.permanent;
  }
  return EXIT.ok;
}

/** One stderr line per change of the relay's state (not per heartbeat). */
function statusPrinter(deps: CliDeps): (s: RelayStatus, role: string) => void {
  let last = '';
  let lastDropped = 0;
  return (s) => {
    const line = `leader ${s.state}${s.until ? ` until ${new Date(s.until).toISOString()}` : ''}${s.lastErrorCode ? ` (last error ${s.lastErrorCode}: ${s.lastErrorDescription ?? ''})` : ''}`;
    if (line !== last) { last = line; deps.err(`[${new Date().toISOString()}] ${line}`); }
    if (s.dropped > lastDropped) {
      deps.err(`[${new Date().toISOString()}] dropped ${s.dropped - lastDropped} hits (total ${s.dropped}): the relay buffer is full while Redis is unreachable`);
      lastDropped = s.dropped;
    }
  };
}

/** `tail --relay`: the hits a relay published, written exactly like `tail` writes Adobe's. */
/**
 * A viewer of the relay named by `--relay`/`--key`, or an exit code for bad arguments. `framing`
 * (tail): records are passed on as received; `full` (check): parsed losslessly, since rules read them.
 */
export function openRelayViewer(args: TailArgs, deps: CliDeps, validate: 'full' | 'framing'): RelayViewer | number {
  const log = logger(deps, args.verbose);
  try {
    const { target, ca } = redisTarget(args.relay!, args.redisCa);
    const key = args.key ?? 'livestream:demo';
    if (args.key === undefined) deps.err('no --key: reading livestream:demo');
    const bad = checkStreamKey(key);
    if (bad) throw new UsageError(`--key: ${bad}`);
    return new RelayViewer({ target, ca, key, history: 0, fromStart: args.fromStart, log, validate });
  } catch (e) {
    if (e instanceof UsageError) { deps.err(`livestream: ${e.message}`); return EXIT.usage; }
    throw e;
  }
}

/** After a relay viewer stopped: the exit code of a Redis failure (4 for a refused password), else undefined. */
export function relayStoppedCode(viewer: RelayViewer, deps: CliDeps): number | undefined {
  const r = viewer.snapshot().relay;
  if (r?.redis !== 'failed') return undefined;
  deps.err(`livestream: ${r.redisError ?? 'Redis refused the connection'}`);
  return /WRONGPASS|NOAUTH/.test(r.redisError ?? '') ? EXIT.auth : EXIT.permanent;
}

export async function runTailRelay(args: TailArgs, deps: CliDeps): Promise<number> {
  const opened = openRelayViewer(args, deps, 'framing');
  if (typeof opened === 'number') return opened;
  const viewer = opened;
  let status: StatusLine | undefined;
  const out = new HitWriter(process.stdout, viewer, { clear: () => status?.clear(), redraw: () => status?.redraw() });
  viewer.onHits((hits) => out.write(hits));
  if (process.stderr.isTTY) { status = new StatusLine(process.stderr, () => relayLine(viewer.snapshot())); deps.setStatus(status); }
  let last = '';
  viewer.onState((s) => {
    const line = relayLine(s, false);
    if (line !== last) { last = line; deps.err(`[${new Date().toISOString()}] ${line}`); }
  });
  const signalled = onSignals(deps, () => void viewer.stop());
  await viewer.start();
  await out.flush();
  status?.stop();
  if (signalled()) return EXIT.ok;
  return relayStoppedCode(viewer, deps) ?? EXIT.ok;
}

/** One plain line for a relay viewer: its Redis connection, then the relay's Adobe state. */
export function relayLine(s: EngineSnapshot, counts = true): string {
  const r = s.relay;
  if (!r) return stateLine(s, Date.now());
  const own = r.redis === 'connected' ? `redis connected${counts ? ` · ${s.stats.received} received` : ''}` : r.redis === 'failed' ? `redis failed: ${r.redisError ?? ''}` : `redis ${r.redis}${r.redisError ? ` (${r.redisError})` : ''}`;
  const relay = r.relayState === 'none' ? 'no relay has published yet' : `relay ${r.relayState}${r.relayLastErrorCode ? ` (last Adobe error ${r.relayLastErrorCode})` : ''}`;
  return `via relay ${r.key}: ${own} · ${relay}`;
}
