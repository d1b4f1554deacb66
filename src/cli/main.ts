import { systemClock } from '../stream/clock';
import { FileCooldownStore, defaultStateDir, type CooldownStore } from '../stream/cooldownStore';
import { LiveStreamEngine, type EngineOptions } from '../stream/liveStreamEngine';
import { ConfigError, LiveStreamError, UntrustedHostError } from '../stream/errors';
import { escapeControls } from '../shared/escapeControls';
import { redact, type Logger } from '../stream/logger';
import type { EngineSnapshot } from '../shared/model';
import { CONTROL_TOKEN_HEADER, MockLiveStreamServer } from '../mock/mockServer';
import { MIN_FAILURE_BACKOFF_MS } from '../stream/reconnectPolicy';
import { stateLine } from '../shared/statusView';
import { IMS_DEFAULTS } from '../session/settings';
import { ImsTokenProvider, StaticTokenProvider, type TokenProvider } from '../stream/tokens';
import { assertTrustedFor } from '../stream/credentialHosts';
import { isLoopbackHost } from '../stream/streamConfig';
import { parseCli, USAGE, UsageError, type MockArgs, type TailArgs } from './args';
import { StatusLine } from './statusLine';
import { HitWriter } from './hitWriter';
import { openRelayViewer, relayLine, relayStoppedCode, runRelay, runTailRelay, redisSecrets } from './relayCommands';
import { runCheck, type HitFeed } from './check';

/** Exit codes (documented in USAGE). */
export const EXIT = { ok: 0, usage: 2, permanent: 3, auth: 4, internal: 1 } as const;

/** The token provider of the running `tail` (its secrets include a token fetched from IMS). */
let tokenSource: TokenProvider | undefined;

/**
 * Everything the CLI writes to stderr passes through here: secrets are
 * redacted in every form (as set, trimmed, URL-/form-encoded, JSON-escaped),
 * and control, bidi and invisible characters from a server become visible
 * escapes (`\x1b`, `\u202e`), so a server's text can neither leak a
 * credential nor drive the terminal.
 */
function safeText(text: string): string {
  const env = process.env;
  const secrets = [env.LIVESTREAM_ACCESS_TOKEN ?? '', env.LIVESTREAM_CLIENT_SECRET ?? '', ...(tokenSource?.secrets() ?? []), ...redisSecrets()];
  return escapeControls(redact(text, secrets));
}

function writeErr(text: string): void {
  process.stderr.write(`${safeText(text)}\n`);
}

function err(line: string): void {
  status?.clear();
  writeErr(line);
  status?.redraw();
}

let status: StatusLine | undefined;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      writeErr(`livestream: ${e.message}`);
      process.stderr.write(`\n${USAGE}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  if (args.cmd === 'help') { process.stdout.write(`${USAGE}\n`); return EXIT.ok; }
  if (args.cmd === 'mock') return runMock(args);
  if (args.cmd === 'relay') return runRelay(args, { err, engineOptions, setStatus: (s) => { status = s; } });
  if (args.cmd === 'check') return runCheck(args, { openFeed, err, safeText, setStatusOff: () => { status?.stop(); status = undefined; } });
  if (args.relay) return runTailRelay(args, { err, engineOptions, setStatus: (s) => { status = s; } });
  return runTail(args);
}

function credentials(args: Omit<TailArgs, 'cmd'>, url: string): TokenProvider | undefined {
  const env = process.env;
  if (env.LIVESTREAM_ACCESS_TOKEN) return new StaticTokenProvider(env.LIVESTREAM_ACCESS_TOKEN);
  if (env.LIVESTREAM_CLIENT_ID || env.LIVESTREAM_CLIENT_SECRET) {
    if (!env.LIVESTREAM_CLIENT_ID || !env.LIVESTREAM_CLIENT_SECRET) throw new UsageError('set both LIVESTREAM_CLIENT_ID and LIVESTREAM_CLIENT_SECRET');
    return new ImsTokenProvider({ clientId: env.LIVESTREAM_CLIENT_ID, clientSecret: env.LIVESTREAM_CLIENT_SECRET, scopes: args.scopes, imsUrl: args.imsUrl, trustedHosts: args.allowHosts, defaults: IMS_DEFAULTS }, systemClock);
  }
  let host = '';
  try { host = new URL(url).hostname; } catch { /* the engine reports the bad URL */ }
  if (isLoopbackHost(host)) return undefined; // a local mock without auth
  throw new UsageError('no credentials: set LIVESTREAM_ACCESS_TOKEN, or LIVESTREAM_CLIENT_ID and LIVESTREAM_CLIENT_SECRET');
}

/**
 * Test-only: LIVESTREAM_TEST_MIN_BACKOFF_MS lowers the 5 s floor of the back-off
 * after failed attempts, so the CLI tests can drive reconnect drills in
 * milliseconds. Only this environment variable reaches it (no flag, no setting);
 * it is announced on stderr whenever it is in effect.
 */
function testMinBackoff(log: Logger): number | undefined {
  const v = process.env.LIVESTREAM_TEST_MIN_BACKOFF_MS;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 1 || n > MIN_FAILURE_BACKOFF_MS) {
    log.warn(`ignoring LIVESTREAM_TEST_MIN_BACKOFF_MS=${JSON.stringify(v)} (1..${MIN_FAILURE_BACKOFF_MS})`);
    return undefined;
  }
  log.warn(`LIVESTREAM_TEST_MIN_BACKOFF_MS: failed attempts back off from ${n} ms instead of ${MIN_FAILURE_BACKOFF_MS} ms (for tests only)`);
  return n;
}

/**
 * The engine options of `tail` and `relay` (credentials from the environment, checked
 * against the trusted hosts before anything is sent). `store` replaces the file cooldown clock.
 */
function engineOptions(args: Omit<TailArgs, 'cmd'>, url: string, demo: boolean, log: Logger, store?: CooldownStore): EngineOptions {
  const tokens = demo ? undefined : credentials(args, url);
  tokenSource = tokens;
  // Nothing is sent (not even a token request) when the token could not go to this host.
  if (tokens && URL.canParse(url)) assertTrustedFor(new URL(url), 'token', args.allowHosts);
  return {
    stream: { url, maxConnections: args.maxConnections, reset: args.reset as 'smallest' | 'largest' | undefined, smoothing: args.smoothing, smoothingBucketSize: args.smoothingBucketSize },
    tokens,
    trustedHosts: args.allowHosts,
    clientId: process.env.LIVESTREAM_CLIENT_ID || undefined,
    cooldownMs: args.cooldownSeconds * 1000,
    idleTimeoutMs: args.idleTimeoutSeconds * 1000,
    store: store ?? new FileCooldownStore(args.stateDir ?? defaultStateDir(), (m) => log.warn(m)),
    log,
    keepRawBytes: true,
    // gunzip on this thread, records in the worker: this thread has nothing else to do, and one
    // thread fewer keeps the CLI's memory lower (the extension host gunzips off its thread).
    pipeline: 'worker',
    minFailureBackoffMs: testMinBackoff(log),
  };
}

/** The engine for `tail` and `check`: a demo mock or the configured stream, or an exit code for a configuration error (nothing sent). */
async function openEngine(args: TailArgs, demoRate: number): Promise<{ engine: LiveStreamEngine; mock?: MockLiveStreamServer } | number> {
  let mock: MockLiveStreamServer | undefined;
  const verbose = args.verbose;
  const log: Logger = {
    debug: (m) => { if (verbose) err(`· ${m}`); },
    info: (m) => { if (verbose) err(`· ${m}`); },
    warn: (m) => err(`warning: ${m}`),
    error: (m) => err(`error: ${m}`),
  };
  try {
    if (args.demo) {
      mock = await MockLiveStreamServer.start({ rate: demoRate, ghostSeconds: 0, control: false });
      err(`demo stream on ${mock.streamUrl}`);
    }
    const url = mock ? mock.streamUrl : args.url!;
    return { engine: new LiveStreamEngine(engineOptions(args, url, !!mock, log)), mock };
  } catch (e) {
    await mock?.close();
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof UntrustedHostError || (e instanceof LiveStreamError && (e.code === 'config' || e.code === 'untrusted-host'))) {
      writeErr(`livestream: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
}

/** State changes to stderr, one line each (and the terminal status line). */
function reportState(engine: LiveStreamEngine): void {
  if (process.stderr.isTTY) status = new StatusLine(process.stderr, () => safeText(stateLine(engine.snapshot(), Date.now())));
  let lastLine = '';
  engine.onState((s: EngineSnapshot) => {
    const line = stateLine(s, Date.now());
    const key = `${s.state.kind}:${'until' in s.state ? s.state.until : ''}`;
    if (key === lastLine) return;
    lastLine = key;
    const e = s.lastError;
    const errText = e && (s.state.kind === 'cooldown' || s.state.kind === 'stopped') && s.state.code !== 'user' && s.state.code !== 'cooldown'
      ? ` — ${e.code}: ${e.description}${e.explanation && s.state.kind === 'stopped' ? '' : ` (${e.explanation})`}` : '';
    err(`[${new Date().toISOString()}] ${line}${errText}`);
  });
}

/** After the engine stopped: the exit code of a permanent error or failed authentication, else undefined. */
function stoppedCode(engine: LiveStreamEngine): number | undefined {
  const s = engine.snapshot();
  if (s.state.kind === 'stopped' && s.state.code !== 'user') {
    const code = s.lastError?.code ?? s.state.code;
    writeErr(`livestream: stopped: ${s.lastError ? `${s.lastError.code} ${s.lastError.description}` : s.state.reason}`);
    if (s.lastError) writeErr(`  ${s.lastError.explanation}`);
    return code === '401' || code === 'token' ? EXIT.auth : EXIT.permanent;
  }
  return undefined;
}

/** What `check` reads: the engine (--url/--demo) or a team relay (--relay), with state lines on stderr. */
async function openFeed(args: TailArgs, demoRate: number): Promise<HitFeed | number> {
  if (args.relay) {
    const relayDeps = { err, engineOptions, setStatus: (s: StatusLine) => { status = s; } };
    const viewer = openRelayViewer(args, relayDeps, 'full');
    if (typeof viewer === 'number') return viewer;
    let last = '';
    viewer.onState((s) => {
      const line = relayLine(s, false);
      if (line !== last) { last = line; err(`[${new Date().toISOString()}] ${line}`); }
    });
    return {
      onHits: (l) => viewer.onHits(l),
      start: () => viewer.start(),
      stop: () => viewer.stop(),
      close: () => viewer.dispose(),
      exitCode: () => relayStoppedCode(viewer, relayDeps),
    };
  }
  const opened = await openEngine(args, demoRate);
  if (typeof opened === 'number') return opened;
  const { engine, mock } = opened;
  reportState(engine);
  return {
    onHits: (l) => engine.onHits(l),
    start: () => engine.start({ force: args.force }),
    stop: (why) => engine.stop(why),
    close: async () => { await engine.dispose(); await mock?.close(); },
    exitCode: () => stoppedCode(engine),
  };
}

async function runTail(args: TailArgs): Promise<number> {
  const opened = await openEngine(args, 5);
  if (typeof opened === 'number') return opened;
  const { engine, mock } = opened;

  const out = new HitWriter(process.stdout, engine, { clear: () => status?.clear(), redraw: () => status?.redraw() });
  engine.onHits((hits) => out.write(hits));
  reportState(engine);

  let signalled = false;
  const onSignal = (sig: string) => {
    if (signalled) { process.exit(EXIT.ok); }
    signalled = true;
    err(`${sig}: closing the connection`);
    void engine.stop(`Stopped by ${sig}.`);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  await engine.start({ force: args.force });
  await out.flush();
  status?.stop();
  await engine.dispose();
  await mock?.close();
  if (signalled) return EXIT.ok;
  return stoppedCode(engine) ?? EXIT.ok;
}

async function runMock(args: MockArgs): Promise<number> {
  const mock = await MockLiveStreamServer.start({
    port: args.port, rate: args.rate, maxConnections: args.maxConnections, ghostSeconds: args.ghostSeconds,
    replayOnReconnect: args.replay, seed: args.seed, emptyRecordEvery: args.emptyEvery, control: args.control,
    pool: args.pool, flushEveryRecords: args.flushEvery,
  });
  process.stdout.write(`${mock.streamUrl}\n`);
  process.stderr.write(`mock Live Stream on ${mock.origin} (stream ${mock.streamUrl}); Ctrl-C to stop\n`);
  // The token goes to the person who asked for control (stderr), never to stdout or a file.
  if (args.control) process.stderr.write(`control: POST ${mock.controlUrl} with Content-Type: application/json and ${CONTROL_TOKEN_HEADER}: ${mock.controlToken}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await mock.close();
  return EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    // Last resort: one clear line, no stack trace (set LIVESTREAM_DEBUG=1 for one).
    writeErr(`livestream: unexpected error: ${(e as Error)?.message ?? String(e)}`);
    if (process.env.LIVESTREAM_DEBUG) for (const l of String((e as Error)?.stack).split('\n')) writeErr(l);
    process.exitCode = EXIT.internal;
  },
);
