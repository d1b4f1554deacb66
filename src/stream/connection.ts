/**
 * One connection attempt and one read: the request (redirects followed by
 * hand, the token re-sent only where it may go) and the response read as
 * records (streaming gunzip, LF splitting, idle timeout). The engine
 * (liveStreamEngine.ts) decides what a result means and when to try again.
 */
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { request, type Dispatcher } from 'undici';
import type { Clock, TimerHandle } from './clock';
import { assertTrustedFor } from './credentialHosts';
import { LiveStreamError, StreamLoss } from './errors';
import type { Logger } from './logger';
import type { RecordPipeline } from './pipeline';
import { MAX_REDIRECTS, nextRedirectUrl } from './redirectPolicy';
import { discardBody, readCapped, type TokenProvider } from './tokens';

/** What a request needs besides the URL; read per attempt (credentials may change between runs). */
export interface OpenOptions {
  /** Where the bearer token comes from; undefined sends no Authorization (the local demo). */
  tokens?: TokenProvider;
  /** Hosts the user allowed to receive the token besides https *.adobe.net. */
  trustedHosts: readonly string[];
  /** Sent as x-api-key when known. */
  clientId?: string;
  dispatcher: Dispatcher;
  /** Time allowed for the response headers. */
  headersTimeoutMs: number;
  log: Logger;
  /** Removes secrets from an error body before it is kept or shown. */
  redact(text: string): string;
}

/**
 * The consumer's back-pressure switch: the engine's pauseReading/resumeReading
 * flip `paused` and call `apply`, which `consume` sets while it reads. The
 * socket is read only while nobody holds it: not the consumer, not gunzip
 * (its input over the mark) and not the pipeline, so one of them letting go
 * never lifts another's hold.
 */
export interface ReadGate {
  paused: boolean;
  apply?: () => void;
}

export interface ConsumeOptions {
  clock: Clock;
  /** Treat this long without a byte as a loss; 0 = off. */
  idleTimeoutMs: number;
  gate: ReadGate;
  /** Where the decompressed bytes go (split, parsed and de-duplicated there, maybe in a worker). */
  pipeline: RecordPipeline;
}

/**
 * Makes the request to `url`, following redirects by hand (re-sending the
 * token only where redirectPolicy.ts allows); returns a 200 response or throws
 * a LiveStreamError (HTTP status, too many redirects) or what the policy threw.
 */
export async function open(url: URL, signal: AbortSignal, o: OpenOptions): Promise<Dispatcher.ResponseData> {
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = {
      'accept-encoding': 'gzip',
      accept: 'application/json',
      'user-agent': 'livestream-inspector',
    };
    if (o.tokens) {
      // Checked on every hop, before the token is even fetched: it never leaves for a host nobody vouched for.
      assertTrustedFor(current, 'token', o.trustedHosts);
      headers.authorization = `Bearer ${await o.tokens.getToken(signal)}`;
    }
    if (o.clientId) headers['x-api-key'] = o.clientId;
    o.log.debug(`GET ${current.origin}${current.pathname}${current.search}`);
    const res = await request(current, {
      method: 'GET',
      headers,
      signal,
      dispatcher: o.dispatcher,
      headersTimeout: o.headersTimeoutMs,
      bodyTimeout: 0, // the stream never ends and may be silent for hours; idle handled by us
    });
    const status = res.statusCode;
    o.log.info(`HTTP ${status} from ${current.host}`);
    if (status === 200) return res;
    if (status === 301 || status === 302 || status === 303 || status === 307 || status === 308) {
      discardBody(res.body);
      if (hop + 1 > MAX_REDIRECTS) throw LiveStreamError.symbolic('too-many-redirects', `More than ${MAX_REDIRECTS} redirects (last from ${current.host}).`);
      const loc = res.headers.location;
      const next = nextRedirectUrl(url, current, Array.isArray(loc) ? loc[0] : loc);
      o.log.info(`Redirect ${status} → ${next.origin}${next.pathname}`);
      current = next;
      continue;
    }
    const body = await readCapped(res.body, 4096);
    throw LiveStreamError.http(status, o.redact(body));
  }
}

/**
 * Reads a 200 response until it ends, fails, goes idle or is aborted: gunzip
 * with back-pressure (from gunzip and from the pipeline), the decompressed
 * bytes handed to the pipeline, an idle timer.
 * Always rejects: a StreamLoss naming why the stream ended, or an AbortError.
 */
/** Longest a compressed chunk waits to be decompressed with the ones after it (Live Stream's own latency is 20 s or more). */
const COALESCE_MS = 20;
const COALESCE_BYTES = 128 * 1024;

export function consume(res: Dispatcher.ResponseData, ac: AbortController, o: ConsumeOptions): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    const enc = String(res.headers['content-encoding'] ?? '').toLowerCase();
    // gunzip off this thread when the pipeline can (inflatePipeline.ts): this thread then only reads the socket.
    const sink = enc.includes('gzip') ? o.pipeline.inflater : undefined;
    // Larger buffers than the 16 KiB default: fewer callbacks, pause/resume round trips and
    // messages to the pipeline's worker per MB (each costs this thread a fixed amount).
    const gunzip = enc.includes('gzip') && !sink ? createGunzip({ chunkSize: 256 * 1024, highWaterMark: 1024 * 1024 } as ZlibOptions) : undefined;
    // The pipeline's back-pressure: when its worker is behind, stop taking
    // decompressed bytes; gunzip's buffer then fills and pauses the socket below.
    let zlibFull = false; // gunzip's input is over its mark: wait for its 'drain'
    let pipelineFull = false; // no gunzip: the pipeline asked us to wait
    const flow = () => {
      if (done) return;
      if (o.gate.paused || zlibFull || pipelineFull) res.body.pause();
      else res.body.resume();
    };
    const onData = (chunk: Buffer) => {
      if (o.pipeline.push(chunk)) return;
      if (gunzip) {
        // gunzip stops emitting; its output then fills, its writes return false and the socket waits too.
        gunzip.pause();
        o.pipeline.onWritable(() => { if (!done) gunzip.resume(); });
      } else {
        pipelineFull = true;
        flow();
        o.pipeline.onWritable(() => { pipelineFull = false; flow(); });
      }
    };
    let lastByteAt = o.clock.now();
    let idleTimer: TimerHandle | undefined;
    let done = false;
    const finish = (err: Error) => {
      if (done) return;
      done = true;
      if (heldTimer) clearTimeout(heldTimer);
      held = [];
      o.gate.apply = undefined;
      o.clock.clearTimeout(idleTimer);
      o.pipeline.endResponse();
      res.body.removeListener('data', onRaw);
      gunzip?.removeListener('data', onData);
      gunzip?.on('error', () => undefined);
      discardBody(res.body);
      gunzip?.destroy();
      reject(err);
    };
    // Compressed chunks are gathered for up to COALESCE_MS (or COALESCE_BYTES) before gunzip sees them:
    // each write to zlib costs this thread a fixed amount (its hand-off to the thread pool and back,
    // then a batch through the stream), and at firehose rates the socket delivers hundreds of small
    // chunks per second. Gathering eight cut zlib's share of the thread about fivefold (30 MB of hits).
    let held: Buffer[] = [];
    let heldBytes = 0;
    let heldTimer: ReturnType<typeof setTimeout> | undefined;
    const release = () => {
      if (heldTimer) { clearTimeout(heldTimer); heldTimer = undefined; }
      if (heldBytes === 0 || done) return;
      if (sink) {
        // Copied into the inflater's shared ring as they are (no concatenation); its back-pressure:
        // compressed bytes waiting for its gunzip.
        const ok = sink.write(held);
        held = [];
        heldBytes = 0;
        if (!ok && !zlibFull) {
          zlibFull = true;
          flow();
          o.pipeline.onWritable(() => { zlibFull = false; flow(); });
        }
        return;
      }
      if (!gunzip) return; // nothing is gathered without one of the two
      const chunk = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
      held = [];
      heldBytes = 0;
      // Respect gunzip's back-pressure, or its input buffer grows without bound
      // whenever the network is faster than decompression + parsing. One 'drain'
      // wait at a time: chunks already gathered may still be written meanwhile.
      if (!gunzip.write(chunk) && !zlibFull) {
        zlibFull = true;
        flow();
        gunzip.once('drain', () => { zlibFull = false; flow(); });
      }
    };
    const onRaw = (chunk: Buffer) => {
      lastByteAt = o.clock.now();
      if (!gunzip && !sink) { onData(chunk); return; }
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes >= COALESCE_BYTES) release();
      // A real timer, not the injected clock: this is a throughput detail of real sockets, never a wait a test steps through.
      else heldTimer ??= setTimeout(release, COALESCE_MS);
    };
    const idleMs = o.idleTimeoutMs;
    if (idleMs > 0) {
      const check = () => {
        const quiet = o.clock.now() - lastByteAt;
        if (quiet >= idleMs) {
          finish(new StreamLoss('idle-timeout', `No data for ${Math.round(quiet / 1000)} s (idle timeout ${Math.round(idleMs / 1000)} s).`));
          ac.abort(); // after finish(): the loss, not the abort, is the reason
        } else {
          idleTimer = o.clock.setTimeout(check, Math.max(idleMs - quiet, 50));
        }
      };
      idleTimer = o.clock.setTimeout(check, idleMs);
    }
    res.body.on('data', onRaw);
    o.gate.apply = flow;
    if (o.gate.paused) res.body.pause();
    res.body.on('end', () => {
      if (sink) { release(); sink.end(); } else if (gunzip) { release(); gunzip.end(); } else finish(new StreamLoss('stream-ended', 'The server closed the stream.'));
    });
    res.body.on('error', (e: Error) => {
      if (e.name === 'AbortError' || ac.signal.aborted) finish(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      else finish(new StreamLoss('network', `Connection error: ${e.message}`));
    });
    sink?.onEnd((err) => {
      if (!err) finish(new StreamLoss('stream-ended', 'The server closed the stream.'));
      else if (err.kind === 'bad-gzip') finish(new StreamLoss('bad-gzip', `The stream's gzip data is corrupt: ${err.message}`));
      else {
        finish(new StreamLoss('network', `${err.message} The connection is read again after the cooldown.`));
        ac.abort(); // after finish(): the loss, not the abort, is the reason
      }
    });
    if (gunzip) {
      gunzip.on('data', onData);
      gunzip.on('end', () => finish(new StreamLoss('stream-ended', 'The server closed the stream.')));
      gunzip.on('error', (e: Error) => finish(new StreamLoss('bad-gzip', `The stream's gzip data is corrupt: ${e.message}`)));
    }
    ac.signal.addEventListener('abort', () => finish(Object.assign(new Error('aborted'), { name: 'AbortError' })), { once: true });
  });
}
