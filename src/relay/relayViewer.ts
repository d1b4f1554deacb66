import Redis from 'ioredis';
import { systemClock, type Clock } from '../stream/clock';
import { DedupeWindow } from '../stream/dedupe';
import { hitKey, parseRecord } from '../shared/losslessJson';
import { shouldLog, type Logger } from '../stream/logger';
import { RateMeter } from '../stream/rateMeter';
import { MAX_HIT_KEY_CHARS } from '../stream/dedupe';
import type { ConnectionState, EngineSnapshot, RelayView, StoredHit } from '../shared/model';
import { relayKeys, type RelayKeys } from './relayKeys';
import { parseRelayStatus, STATUS_INTERVAL_MS, STATUS_STALE_MS, type RelayStatus } from './relayStatus';
import { clientOptions, describeRedisError, isFatalRedisError, type RedisTarget } from './redisTarget';

export interface ViewerOptions {
  target: RedisTarget;
  key: string;
  /** Entries loaded as history before following (the panel's maxHits; 0 = none). */
  history: number;
  /** Read the whole retained stream first instead of the last `history` entries. */
  fromStart?: boolean;
  log: Logger;
  clock?: Clock;
  /** XREAD BLOCK time (default 5 s): how long one read waits for new entries. */
  blockMs?: number;
  /** Largest record accepted from Redis (default 4 MiB); larger entries are counted and skipped. */
  maxRecordBytes?: number;
  ca?: string;
  /**
   * 'full' (default): every record is parsed losslessly (the panel needs the fields) and its hit id
   * recomputed. 'framing': for `tail --relay`, which writes the bytes as they are: the relay already
   * parsed and deduped them, so only what could break the output's framing is checked (one JSON
   * object per line: starts with `{`, ends with `}`, no CR/LF inside) and the entry's id is used for
   * de-duplication. This keeps one consumer from parsing every hit a second time.
   */
  validate?: 'full' | 'framing';
}

type Listener<T> = (v: T) => void;

const RAW = Buffer.from('raw');
const T = Buffer.from('t');
const ID = Buffer.from('id');

/** Whether a field name is `lit` (a few bytes: compared here, cheaper than a call into Buffer.equals per field). */
function named(name: Buffer, lit: Buffer): boolean {
  if (name.length !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) if (name[i] !== lit[i]) return false;
  return true;
}

/** Entries per XREAD / XRANGE page. */
const PAGE = 1000;

/**
 * A viewer of a team relay: a hit source that reads the relay's Redis Stream
 * instead of Adobe (so no Adobe cooldown applies). It first loads the most
 * recent `history` entries (XREVRANGE), then follows with blocking XREAD from
 * the last id it saw, on its own connection. After a disconnect (Redis
 * restarted, the connection killed) ioredis reconnects with back-off and the
 * viewer resumes from that id: nothing lost within the stream's retention,
 * nothing delivered twice (ids only move forward; hit ids are deduped too, for
 * a relay write that was retried after an ambiguous failure).
 *
 * Every entry is untrusted: the record is parsed losslessly, its hit id is
 * recomputed from the record (not taken from the entry), oversized and
 * malformed entries are counted and skipped.
 */
export class RelayViewer {
  readonly keys: RelayKeys;
  private readonly reader: Redis;
  private readonly cmd: Redis;
  private readonly clock: Clock;
  private readonly rate: RateMeter;
  private readonly dedupe = new DedupeWindow(100_000);
  private readonly hitL = new Set<Listener<StoredHit[]>>();
  private readonly stateL = new Set<Listener<EngineSnapshot>>();
  private conn: RelayView['redis'] = 'connecting';
  private connSince: number;
  private attempts = 0;
  private redisError?: string;
  private status?: RelayStatus;
  private stats = { received: 0, duplicates: 0, malformed: 0, oversized: 0, refusedIds: 0 };
  private seq = 0;
  private stopped = false;
  private running?: Promise<void>;
  private statusTimer?: NodeJS.Timeout;
  private readyWaiters: (() => void)[] = [];
  private paused = false;
  private resumeWaiter?: () => void;
  /** The id of the last entry delivered: where a resumed read continues. */
  lastId = '0-0';
  private historyDone = false;

  constructor(private readonly opts: ViewerOptions) {
    this.keys = relayKeys(opts.key);
    this.clock = opts.clock ?? systemClock;
    this.rate = new RateMeter(this.clock);
    this.connSince = this.clock.now();
    const onAttempt = (n: number) => { this.attempts = n; };
    this.reader = new Redis(clientOptions(opts.target, 'livestream-viewer', { ca: opts.ca, onAttempt }));
    this.cmd = new Redis(clientOptions(opts.target, 'livestream-viewer-status', { ca: opts.ca }));
    for (const c of [this.reader, this.cmd]) c.on('error', (e: Error) => this.onError(e));
    this.reader.on('ready', () => { this.attempts = 0; this.setConn('connected'); for (const w of this.readyWaiters.splice(0)) w(); });
    this.reader.on('close', () => { if (!this.stopped && this.conn !== 'failed') this.setConn('reconnecting'); });
  }

  onHits(l: Listener<StoredHit[]>): () => void { this.hitL.add(l); return () => this.hitL.delete(l); }
  onState(l: Listener<EngineSnapshot>): () => void { this.stateL.add(l); return () => this.stateL.delete(l); }

  snapshot(): EngineSnapshot {
    const now = this.clock.now();
    const st = this.status;
    const stale = st && now - st.heartbeat > STATUS_STALE_MS && st.state !== 'released';
    const relay: RelayView = {
      redisUrl: this.opts.target.display,
      key: this.opts.key,
      redis: this.conn,
      redisError: this.redisError,
      relayState: !st ? 'none' : stale ? 'silent' : st.state,
      relayUntil: st?.until,
      relayLastErrorCode: st?.lastErrorCode,
      relayLastErrorDescription: st?.lastErrorDescription,
      relayHitsPerSecond: st?.hitsPerSecond,
      relayDropped: st?.dropped,
      leader: st?.leader,
    };
    let state: ConnectionState;
    if (this.conn === 'failed') state = { kind: 'stopped', since: this.connSince, code: 'redis', reason: this.redisError ?? 'Redis refused the connection.' };
    else if (this.stopped) state = { kind: 'stopped', since: this.connSince, code: 'user', reason: 'Disconnected by you.' };
    else if (this.conn === 'connected') state = { kind: 'connected', since: this.connSince };
    else state = { kind: 'connecting', since: this.connSince, attempt: this.attempts + 1 };
    return { streamUrl: `${this.opts.target.display} ${this.opts.key}`, state, stats: { ...this.stats, hitsPerSecond: this.conn === 'connected' ? this.rate.perSecond() : 0 }, relay };
  }

  /** Reads until stop() or a Redis error no retry can fix (wrong password). */
  start(): Promise<void> {
    this.stopped = false;
    if (this.conn === 'failed') { this.conn = 'connecting'; this.redisError = undefined; }
    this.running ??= this.loop().finally(() => { this.running = undefined; });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.statusTimer);
    this.resumeWaiter?.();
    for (const w of this.readyWaiters.splice(0)) w();
    // disconnect() ends a blocked XREAD at once (the pending command rejects).
    this.reader.disconnect();
    this.cmd.disconnect();
    await this.running?.catch(() => undefined);
    this.emitState();
  }

  dispose(): Promise<void> { return this.stop(); }

  /** Back-pressure from a slow consumer (the CLI's stdout): no new reads until resumed. */
  pauseReading(): void { this.paused = true; }
  resumeReading(): void { this.paused = false; this.resumeWaiter?.(); }

  private async loop(): Promise<void> {
    this.setConn('connecting');
    await Promise.all([this.reader.connect().catch((e: Error) => this.onError(e)), this.cmd.connect().catch((e: Error) => this.onError(e))]);
    if (this.conn === 'failed' || this.stopped) return;
    this.statusTimer = setInterval(() => void this.pollStatus(), STATUS_INTERVAL_MS);
    void this.pollStatus();
    try { await this.follow(); } finally { clearInterval(this.statusTimer); }
  }

  private async follow(): Promise<void> {
    while (!this.stopped && this.conn !== 'failed') {
      if (this.reader.status !== 'ready') { await this.readyOrStop(); continue; }
      if (this.paused) { await new Promise<void>((r) => { this.resumeWaiter = r; }); this.resumeWaiter = undefined; continue; }
      try {
        if (!this.historyDone) { await this.loadHistory(); this.historyDone = true; continue; }
        const res = await this.reader.xreadBuffer('COUNT', PAGE, 'BLOCK', this.opts.blockMs ?? 5_000, 'STREAMS', this.keys.stream, this.lastId);
        if (res) for (const [, entries] of res) this.deliver(entries);
      } catch (e) {
        if (this.stopped) break;
        this.onError(e as Error);
        // The connection is gone: ioredis reconnects with back-off; we resume from lastId once it is ready.
        if (this.reader.status === 'ready') await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private async loadHistory(): Promise<void> {
    if (this.opts.fromStart) {
      // Page through everything retained, oldest first.
      let from = '-';
      for (;;) {
        const page = await this.reader.xrangeBuffer(this.keys.stream, from, '+', 'COUNT', PAGE);
        this.deliver(page);
        if (page.length < PAGE) return;
        from = `(${this.lastId}`;
      }
    }
    if (this.opts.history <= 0) {
      // Only new entries: start after the newest one there is now.
      const last = await this.reader.xrevrangeBuffer(this.keys.stream, '+', '-', 'COUNT', 1);
      if (last.length) this.lastId = last[0][0].toString();
      return;
    }
    const recent = await this.reader.xrevrangeBuffer(this.keys.stream, '+', '-', 'COUNT', this.opts.history);
    this.deliver(recent.reverse());
  }

  private deliver(entries: [Buffer, Buffer[]][]): void {
    const out: StoredHit[] = [];
    const max = this.opts.maxRecordBytes ?? 4 * 1024 * 1024;
    for (const [idBuf, fields] of entries) {
      const id = idBuf.toString();
      if (!newer(id, this.lastId)) continue; // never twice, whatever Redis returns
      this.lastId = id;
      let raw: Buffer | undefined;
      let t: number | undefined;
      let hitId: string | undefined;
      for (let j = 0; j + 1 < fields.length; j += 2) {
        const name = fields[j];
        if (named(name, RAW)) raw = fields[j + 1];
        else if (named(name, T)) t = Number(fields[j + 1].toString('latin1', 0, 32));
        else if (named(name, ID)) hitId = fields[j + 1].toString('utf8', 0, MAX_HIT_KEY_CHARS + 1);
      }
      if (!raw) { this.count('malformed', `entry ${id} has no record`); continue; }
      if (raw.length > max) { this.count('oversized', `entry ${id} is ${raw.length} bytes (limit ${max})`); continue; }
      if (this.opts.validate === 'framing') {
        if (raw[0] !== 0x7b || raw[raw.length - 1] !== 0x7d || raw.includes(0x0a) || raw.includes(0x0d)) { this.count('malformed', `entry ${id} is not one JSON object on one line`); continue; }
        const key = hitId ?? '';
        if (key.length > MAX_HIT_KEY_CHARS) { this.count('refusedIds', `entry ${id} has an invalid hit id`); continue; }
        // The id was decoded from its own bytes: a string of its own, nothing to detach.
        if (key && !this.dedupe.add(key, true)) { this.stats.duplicates++; continue; }
        out.push({ seq: ++this.seq, key, receivedAt: this.receivedAt(t), data: {}, raw: '', rawBytes: raw });
        continue;
      }
      const text = raw.toString('utf8');
      let data: Record<string, unknown>;
      try { data = parseRecord(text); } catch (e) { this.count('malformed', `entry ${id}: ${(e as Error).message.slice(0, 200)}`); continue; }
      const key = hitKey(data);
      if (key.length > MAX_HIT_KEY_CHARS) { this.count('refusedIds', `entry ${id} has an invalid hit id`); continue; }
      if (key && !this.dedupe.add(key)) { this.stats.duplicates++; continue; }
      out.push({ seq: ++this.seq, key, receivedAt: this.receivedAt(t), data, raw: text, rawBytes: raw });
    }
    if (!out.length) return;
    this.stats.received += out.length;
    this.rate.add(out.length);
    for (const l of this.hitL) {
      try { l(out); } catch (e) { this.opts.log.error(`Hit listener failed: ${(e as Error).message}`); }
    }
  }

  /** The relay's receive time when it is a sane one, else now. */
  private receivedAt(t: number | undefined): number {
    return t !== undefined && Number.isFinite(t) && t > 0 && t < 8.64e15 ? t : this.clock.now();
  }

  private count(kind: 'malformed' | 'oversized' | 'refusedIds', what: string): void {
    this.stats[kind]++;
    if (shouldLog(this.stats[kind])) this.opts.log.warn(`Relay stream: skipped ${what} (${kind} #${this.stats[kind]}).`);
  }

  private async pollStatus(): Promise<void> {
    if (this.cmd.status !== 'ready') return;
    try {
      const before = JSON.stringify(this.status);
      this.status = parseRelayStatus(await this.cmd.hgetall(this.keys.status));
      if (JSON.stringify(this.status) !== before) this.emitState();
    } catch (e) {
      this.onError(e as Error);
    }
  }

  private readyOrStop(): Promise<void> {
    if (this.stopped || this.reader.status === 'ready') return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  private onError(e: Error): void {
    if (this.stopped || this.conn === 'failed') return;
    const text = describeRedisError(e, this.opts.target);
    if (isFatalRedisError(e)) {
      this.redisError = text;
      this.opts.log.error(`Relay viewer: ${text}`);
      this.setConn('failed');
      this.reader.disconnect();
      this.cmd.disconnect();
      for (const w of this.readyWaiters.splice(0)) w();
      return;
    }
    if (text !== this.redisError) this.opts.log.warn(`Relay viewer: ${text}`);
    this.redisError = text;
  }

  private setConn(c: RelayView['redis']): void {
    if (this.conn === c) return;
    if (this.conn === 'failed' && !this.stopped) return;
    this.conn = c;
    this.connSince = this.clock.now();
    if (c === 'connected') this.redisError = undefined;
    this.emitState();
  }

  private emitState(): void {
    const s = this.snapshot();
    for (const l of this.stateL) {
      try { l(s); } catch (e) { this.opts.log.error(`State listener failed: ${(e as Error).message}`); }
    }
  }
}

/** Whether stream id `a` (`ms-seq`, decimal) is after `b`: numerically, by length then digits (no BigInt: once per entry). */
export function newer(a: string, b: string): boolean {
  const ad = a.indexOf('-');
  const bd = b.indexOf('-');
  const am = ad < 0 ? a : a.slice(0, ad);
  const bm = bd < 0 ? b : b.slice(0, bd);
  if (am.length !== bm.length) return am.length > bm.length;
  if (am !== bm) return am > bm;
  const as = ad < 0 ? '0' : a.slice(ad + 1);
  const bs = bd < 0 ? '0' : b.slice(bd + 1);
  if (as.length !== bs.length) return as.length > bs.length;
  return as > bs;
}
