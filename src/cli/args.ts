import { parseArgs } from 'node:util';
import { parseDuration } from '../analytics/rules/duration';

/** A bad command line: exit code 2, nothing sent. */
export class UsageError extends Error {}

export const USAGE = `Usage:
  livestream tail --url URL [options]     stream hits to stdout, one JSON record per line
  livestream tail --demo [options]        the same, from a built-in demo stream (no credentials)
  livestream mock [--port P] [--rate R]   run the mock Live Stream server on 127.0.0.1
  livestream relay --url URL --redis REDIS_URL [options]
                                          team relay: publish the stream to a Redis Stream (see README, For teams)
  livestream relay --demo --redis REDIS_URL   the same for the built-in demo stream
  livestream tail --relay REDIS_URL [--key K] [--from-start]
                                          read hits from a team relay instead of Adobe
  livestream check --rules FILE (--url URL | --demo | --relay REDIS_URL | --file HITS.ndjson) [--duration 5m]
                   [--visitor ID] [--junit OUT.xml]
                                          check hits against tracking rules (for CI)

tail options:
  --max-connections N        1..8, must match every other client of the stream
  --reset smallest|largest   where a new connection starts
  --smoothing                server-side smoothing of bursts
  --smoothing-bucket-size S  1..7200 seconds (with --smoothing)
  --cooldown SECONDS         wait after a lost connection (default 60; lower values cause 409s)
  --idle-timeout SECONDS     treat this much silence as a loss (default 0 = off)
  --ims-url URL              Adobe IMS token endpoint (client credentials)
  --scopes LIST              comma-separated OAuth scopes
  --state-dir DIR            where the shared cooldown clock lives (default: your cache directory)
  --allow-host HOST[:PORT]   also send credentials to this host (repeatable; by default the token
                             goes only to https *.adobe.net, the client secret to *.adobelogin.com)
  --force                    connect now, ignoring a cooldown left by an earlier run
  --verbose                  log every request and decision to stderr

relay options (besides the tail options; --max-connections N holds all N connections and merges them):
  --redis URL                redis://[user@]host:port/db or rediss:// (TLS); the password from
                             LIVESTREAM_REDIS_PASSWORD (or the URL's userinfo; never logged)
  --key KEY                  the Redis Stream key (default livestream:<stream name>)
  --maxlen N                 entries kept in the stream, approximately (default 100000)
  --lease-seconds S          leader lease (default 10; a standby takes over after it expires)
  --max-redis-outage S       a leader that cannot reach Redis this long (default 45, must be longer
                             than the lease) closes its Adobe connection if a standby was registered,
                             since that standby may take over; a lone leader keeps it. Standbys wait
                             max(lease, S - lease) after the lease expired before taking it. Use the
                             same value on every relay of a key
  --buffer-hits N            hits kept while Redis is unreachable (default 100000); beyond: dropped and counted
  --redis-ca FILE            CA certificate (PEM) for rediss:// with a private CA

tail --relay options: --key KEY, --from-start (the whole retained stream first), --redis-ca FILE

mock options:
  --port P  --rate R (0..100000 hits/s)  --max-connections N  --ghost-seconds S  --replay N  --seed N  --empty-every N
  --control                  serve POST /_mock/control; its secret token is printed to stderr
  --pool N                   firehose mode: N pre-generated records resent with unique ids (0..10000)
  --flush-every N            gzip flush after N records (default 1; use >= 50 above ~10 000 hits/s)

check options (plus the tail options for --url, and --key/--from-start/--redis-ca for --relay):
  --rules FILE               the rules file (.vscode/livestream-rules.json)
  --file FILE                hits as NDJSON (one record per line, e.g. from tail or Export), read to the end
  --duration D               how long to read a live stream (default 5m; 90s, 2m, 1h30m); then waits
                             for hits an "arrives within" rule still expects (at most the rule's time)
  --visitor ID               check only this visitor's hits (visitor id, ECID, custom id or IP)
  --junit FILE               also write the result as JUnit XML
  --demo                     the built-in demo stream at 20 hits/s (it has rule violations)

Credentials come only from the environment (never the command line):
  LIVESTREAM_ACCESS_TOKEN, or LIVESTREAM_CLIENT_ID + LIVESTREAM_CLIENT_SECRET

Exit codes: 0 stopped by SIGINT/SIGTERM, 2 bad arguments, 3 permanent server error
or refused redirect, 4 authentication that a new token cannot fix.
check: 0 no error-severity rule failed, 1 one did (or an expected hit never arrived),
2 bad arguments or an invalid rules file, 3/4 as for tail.`;

export interface TailArgs {
  cmd: 'tail';
  url?: string;
  demo: boolean;
  maxConnections?: number;
  reset?: string;
  smoothing: boolean;
  smoothingBucketSize?: number;
  cooldownSeconds: number;
  idleTimeoutSeconds: number;
  imsUrl?: string;
  scopes?: string;
  stateDir?: string;
  /** Hosts besides Adobe's that may receive the credentials (--allow-host). */
  allowHosts: string[];
  force: boolean;
  verbose: boolean;
  /** `tail --relay`: read from this Redis instead of Adobe. */
  relay?: string;
  /** The Redis Stream key (relay and tail --relay). */
  key?: string;
  fromStart: boolean;
  redisCa?: string;
}

/** `relay`: the tail options plus where and how to publish. */
export interface RelayArgs extends Omit<TailArgs, 'cmd'> {
  cmd: 'relay';
  redis: string;
  maxlen: number;
  leaseSeconds: number;
  /** A leader silent towards Redis this long steps down if a standby was registered. */
  maxRedisOutageSeconds: number;
  bufferHits: number;
}

export interface MockArgs {
  cmd: 'mock';
  port: number;
  rate: number;
  maxConnections?: number;
  ghostSeconds: number;
  replay: number;
  seed?: number;
  emptyEvery: number;
  /** Serve the control endpoint (and print its token to stderr). */
  control: boolean;
  /** Firehose mode: pre-generated records resent with unique ids (0 = off). */
  pool: number;
  /** gzip sync-flush after this many records. */
  flushEvery: number;
}

export interface CheckArgs {
  cmd: 'check';
  rules: string;
  /** NDJSON hits to read to the end (instead of a stream). */
  file?: string;
  /** How long to read the stream, ms. */
  durationMs: number;
  visitor?: string;
  junit?: string;
  /** The connection, for --url/--demo (same options as tail). */
  stream: TailArgs;
}

export type CliArgs = TailArgs | RelayArgs | MockArgs | CheckArgs | { cmd: 'help' };

const SECRET_FLAGS = /^--?(token|access-token|secret|client-secret|password|client-id)(=|$)/;

function num(name: string, v: string | undefined, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    const range = opts.min !== undefined && opts.max !== undefined ? ` from ${opts.min} to ${opts.max}` : opts.min !== undefined ? ` ≥ ${opts.min}` : '';
    throw new UsageError(`--${name} must be ${opts.int ? 'an integer' : 'a number'}${range}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** The connection options shared by tail, relay and check. */
const STREAM_OPTIONS = {
  url: { type: 'string' }, demo: { type: 'boolean' }, 'max-connections': { type: 'string' }, reset: { type: 'string' },
  smoothing: { type: 'boolean' }, 'smoothing-bucket-size': { type: 'string' }, cooldown: { type: 'string' },
  'idle-timeout': { type: 'string' }, 'ims-url': { type: 'string' }, scopes: { type: 'string' }, 'state-dir': { type: 'string' },
  'allow-host': { type: 'string', multiple: true },
  force: { type: 'boolean' }, verbose: { type: 'boolean' },
} as const;

type StreamValues = ReturnType<typeof parseArgs<{ options: typeof STREAM_OPTIONS; args: string[]; strict: true }>>['values'];

function streamFields(v: StreamValues): Omit<TailArgs, 'cmd' | 'relay' | 'key' | 'fromStart' | 'redisCa'> {
  if (v.reset !== undefined && v.reset !== 'smallest' && v.reset !== 'largest') throw new UsageError(`--reset must be smallest or largest, got ${JSON.stringify(v.reset)}`);
  const bucket = num('smoothing-bucket-size', v['smoothing-bucket-size'], { int: true, min: 1, max: 7200 });
  if (bucket !== undefined && !v.smoothing) throw new UsageError('--smoothing-bucket-size needs --smoothing');
  return {
    url: v.url,
    demo: !!v.demo,
    maxConnections: num('max-connections', v['max-connections'], { int: true, min: 1, max: 8 }),
    reset: v.reset,
    smoothing: !!v.smoothing,
    smoothingBucketSize: bucket,
    cooldownSeconds: num('cooldown', v.cooldown, { min: 0, max: 86_400 }) ?? 60,
    idleTimeoutSeconds: num('idle-timeout', v['idle-timeout'], { min: 0, max: 86_400 }) ?? 0,
    imsUrl: v['ims-url'],
    scopes: v.scopes,
    stateDir: v['state-dir'],
    allowHosts: v['allow-host'] ?? [],
    force: !!v.force,
    verbose: !!v.verbose,
  };
}

export function parseCli(argv: string[]): CliArgs {
  const secret = argv.find((a) => SECRET_FLAGS.test(a));
  if (secret) throw new UsageError(`${secret.split('=')[0]} is not accepted: credentials on a command line leak into shell history and process lists. Use LIVESTREAM_ACCESS_TOKEN or LIVESTREAM_CLIENT_ID + LIVESTREAM_CLIENT_SECRET.`);
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') return { cmd: 'help' };
  try {
    if (cmd === 'tail' || cmd === 'relay') {
      const { values: v } = parseArgs({
        args: rest,
        strict: true,
        allowPositionals: false,
        options: {
          ...STREAM_OPTIONS,
          relay: { type: 'string' }, redis: { type: 'string' }, key: { type: 'string' }, maxlen: { type: 'string' },
          'lease-seconds': { type: 'string' }, 'max-redis-outage': { type: 'string' }, 'buffer-hits': { type: 'string' }, 'from-start': { type: 'boolean' }, 'redis-ca': { type: 'string' },
        },
      });
      const relayOnly = (['redis', 'maxlen', 'lease-seconds', 'max-redis-outage', 'buffer-hits'] as const).find((k) => v[k] !== undefined);
      if (cmd === 'tail' && relayOnly) throw new UsageError(`--${relayOnly} belongs to the relay command (tail reads a relay with --relay URL)`);
      if (cmd === 'relay' && v.relay !== undefined) throw new UsageError('relay publishes to --redis URL; --relay is for tail');
      if (cmd === 'relay' && !v.redis) throw new UsageError('relay needs --redis redis://host:port/db');
      if (v['from-start'] && !v.relay) throw new UsageError('--from-start needs --relay');
      if (cmd === 'tail' && v.relay !== undefined) {
        if (v.url || v.demo) throw new UsageError('use either --relay or --url/--demo, not both');
      } else if (cmd === 'tail' && v.key !== undefined) throw new UsageError('--key needs --relay');
      else if (!v.url && !v.demo) throw new UsageError(`${cmd} needs --url URL or --demo`);
      if (v.url && v.demo) throw new UsageError('use either --url or --demo, not both');
      const common = {
        ...streamFields(v),
        relay: v.relay,
        key: v.key,
        fromStart: !!v['from-start'],
        redisCa: v['redis-ca'],
      };
      if (cmd === 'tail') return { cmd: 'tail', ...common };
      const leaseSeconds = num('lease-seconds', v['lease-seconds'], { min: 0.3, max: 600 }) ?? 10;
      const maxRedisOutageSeconds = num('max-redis-outage', v['max-redis-outage'], { min: 0.5, max: 3600 }) ?? 45;
      // Not longer than the lease, a leader would step down while its lease still held: the bound would mean nothing.
      if (!(Math.round(maxRedisOutageSeconds * 1000) > Math.round(leaseSeconds * 1000))) throw new UsageError(`--max-redis-outage (${maxRedisOutageSeconds} s${v['max-redis-outage'] === undefined ? ', the default' : ''}) must be longer than --lease-seconds (${leaseSeconds} s)`);
      return {
        cmd: 'relay', ...common, redis: v.redis!,
        maxlen: num('maxlen', v.maxlen, { int: true, min: 1, max: 100_000_000 }) ?? 100_000,
        leaseSeconds,
        maxRedisOutageSeconds,
        bufferHits: num('buffer-hits', v['buffer-hits'], { int: true, min: 1, max: 10_000_000 }) ?? 100_000,
      };
    }
    if (cmd === 'check') {
      const { values: v } = parseArgs({
        args: rest, strict: true, allowPositionals: false,
        options: {
          ...STREAM_OPTIONS, rules: { type: 'string' }, file: { type: 'string' }, duration: { type: 'string' }, visitor: { type: 'string' }, junit: { type: 'string' },
          relay: { type: 'string' }, key: { type: 'string' }, 'from-start': { type: 'boolean' }, 'redis-ca': { type: 'string' },
        },
      });
      if (!v.rules) throw new UsageError('check needs --rules FILE (e.g. .vscode/livestream-rules.json)');
      const sources = [v.url, v.demo, v.file, v.relay].filter(Boolean).length;
      if (sources !== 1) throw new UsageError('check needs exactly one of --url URL, --demo, --relay REDIS_URL or --file HITS.ndjson');
      if (!v.relay && (v.key !== undefined || v['from-start'] || v['redis-ca'] !== undefined)) throw new UsageError('--key, --from-start and --redis-ca need --relay');
      if (v.file && v.duration !== undefined) throw new UsageError('--duration applies to a stream (--url/--demo/--relay); a --file is read to the end');
      const durationMs = v.duration === undefined ? 5 * 60_000 : parseDuration(v.duration);
      if (durationMs === undefined || durationMs < 1000 || durationMs > 24 * 3_600_000) throw new UsageError(`--duration must be from 1s to 24h, e.g. 90s, 5m or 1h30m; got ${JSON.stringify(v.duration)}`);
      if (v.visitor !== undefined && v.visitor.trim() === '') throw new UsageError('--visitor needs an id');
      return { cmd: 'check', rules: v.rules, file: v.file, durationMs, visitor: v.visitor?.trim(), junit: v.junit, stream: { cmd: 'tail', ...streamFields(v), relay: v.relay, key: v.key, fromStart: !!v['from-start'], redisCa: v['redis-ca'] } };
    }
    if (cmd === 'mock') {
      const { values: v } = parseArgs({
        args: rest,
        strict: true,
        allowPositionals: false,
        options: {
          port: { type: 'string' }, rate: { type: 'string' }, 'max-connections': { type: 'string' }, 'ghost-seconds': { type: 'string' },
          replay: { type: 'string' }, seed: { type: 'string' }, 'empty-every': { type: 'string' }, control: { type: 'boolean' },
          pool: { type: 'string' }, 'flush-every': { type: 'string' },
        },
      });
      return {
        cmd: 'mock',
        port: num('port', v.port, { int: true, min: 0, max: 65535 }) ?? 0,
        rate: num('rate', v.rate, { min: 0, max: 100_000 }) ?? 5,
        maxConnections: num('max-connections', v['max-connections'], { int: true, min: 1, max: 8 }),
        ghostSeconds: num('ghost-seconds', v['ghost-seconds'], { min: 0, max: 3600 }) ?? 0,
        replay: num('replay', v.replay, { int: true, min: 0, max: 10_000 }) ?? 5,
        seed: num('seed', v.seed, { int: true }),
        emptyEvery: num('empty-every', v['empty-every'], { int: true, min: 0 }) ?? 0,
        control: !!v.control,
        pool: num('pool', v.pool, { int: true, min: 0, max: 10_000 }) ?? 0,
        flushEvery: num('flush-every', v['flush-every'], { int: true, min: 1, max: 10_000 }) ?? 1,
      };
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // parseArgs' own errors (unknown option, missing value) are usage errors too.
    throw new UsageError((e as Error).message);
  }
  throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
}
