import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Clock, TimerHandle } from '../stream/clock';
import type { Logger } from '../stream/logger';

/**
 * At most `maxConnections` holders (VS Code windows) per stream, coordinated
 * through files in a folder all windows of the profile share (global storage).
 * Every VS Code window runs its own extension host; without this, two windows
 * connecting to one stream exceed maxConnections and produce exactly the 409s
 * this product exists to prevent.
 *
 * Each holder keeps a heartbeat file; a crashed holder's file expires after
 * `ttlMs`. A window can ask a holder to hand over: it writes a takeover
 * request that the holder notices on its next heartbeat.
 *
 * The files are not trusted: a heartbeat further in the future than one TTL
 * (which would never expire) or a timestamp that is not a finite number is
 * damage, and the file is removed with a warning. A holder on this machine
 * whose process no longer exists has crashed: its lease is released at once
 * instead of after the TTL.
 */
export interface HolderInfo {
  holderId: string;
  /** Human-readable name of the window, e.g. the workspace name. */
  label: string;
  pid: number;
  /** The machine the holder runs on: its pid means something only there (absent in files of older versions). */
  hostname?: string;
  /** When this holder acquired the lease (ms). */
  since: number;
  heartbeatAt: number;
}

export type AcquireResult = { ok: true } | { ok: false; holders: HolderInfo[] };

export interface LeaseOptions {
  /** The shared folder (global storage). */
  dir: string;
  stream: string;
  holderId: string;
  label: string;
  clock: Clock;
  /** Heartbeat expiry (default 15 s); heartbeats every third of it. */
  ttlMs?: number;
  /** Called when another window asks this holder to hand over the connection. */
  onTakeoverRequested?: (by: string) => void;
  /** Where corrupt lease files and crashed holders are reported. */
  log?: Logger;
  /** Whether a process of this machine exists (default: `process.kill(pid, 0)` does not fail with ESRCH). */
  isAlive?: (pid: number) => boolean;
}

/** True unless the OS says there is no such process (EPERM means it exists but is not ours). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export class ConnectionLease {
  private readonly folder: string;
  private readonly ttl: number;
  private timer?: TimerHandle;
  private since = 0;
  private held = false;

  constructor(private readonly o: LeaseOptions) {
    const h = createHash('sha256').update(o.stream).digest('hex').slice(0, 24);
    this.folder = join(o.dir, 'leases', h);
    this.ttl = o.ttlMs ?? 15_000;
    if (!/^[A-Za-z0-9_-]+$/.test(o.holderId)) throw new Error('holderId must be a simple file-name-safe id');
  }

  get isHeld(): boolean { return this.held; }
  /** The stream this lease is for (origin + path). */
  get stream(): string { return this.o.stream; }

  /** Live holders other than this one (expired files are removed on the way). */
  others(): HolderInfo[] {
    return this.live().filter((h) => h.holderId !== this.o.holderId);
  }

  /** Takes a slot if fewer than `max` other live holders exist. */
  acquire(max: number): AcquireResult {
    if (this.held) return { ok: true };
    const others = this.others();
    if (others.length >= max) return { ok: false, holders: others };
    this.since = this.o.clock.now();
    this.write();
    // Two windows may have written at once: the earliest `max` (by since, then id) keep the slot.
    const all = this.live().sort((a, b) => a.since - b.since || a.holderId.localeCompare(b.holderId));
    if (all.findIndex((h) => h.holderId === this.o.holderId) >= max) {
      this.remove();
      return { ok: false, holders: this.others() };
    }
    this.held = true;
    this.schedule();
    return { ok: true };
  }

  /** Gives the slot back (on disconnect or deactivation). */
  release(): void {
    this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.held) this.remove();
    this.held = false;
  }

  /** Asks `holderId` to hand over its connection. */
  requestTakeover(holderId: string): void {
    mkdirSync(this.folder, { recursive: true });
    writeFileSync(join(this.folder, `${holderId}.takeover`), JSON.stringify({ by: this.o.label, at: this.o.clock.now() }));
  }

  /** One heartbeat: refresh the file and look for a takeover request. Runs on a timer while held. */
  beat(): void {
    if (!this.held) return;
    this.write();
    const req = join(this.folder, `${this.o.holderId}.takeover`);
    if (existsSync(req)) {
      let by = 'another window';
      try { by = String((JSON.parse(readFileSync(req, 'utf8')) as { by?: unknown }).by ?? by); } catch { /* keep the generic label */ }
      rmSync(req, { force: true });
      this.o.onTakeoverRequested?.(by);
    }
  }

  private schedule(): void {
    this.timer = this.o.clock.setTimeout(() => { this.beat(); if (this.held) this.schedule(); }, Math.floor(this.ttl / 3));
  }

  private write(): void {
    mkdirSync(this.folder, { recursive: true });
    const info: HolderInfo = { holderId: this.o.holderId, label: this.o.label, pid: process.pid, hostname: hostname(), since: this.since, heartbeatAt: this.o.clock.now() };
    const file = join(this.folder, `${this.o.holderId}.json`);
    const tmp = `${file}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, JSON.stringify(info));
    renameSync(tmp, file);
  }

  private remove(): void {
    rmSync(join(this.folder, `${this.o.holderId}.json`), { force: true });
  }

  private live(): HolderInfo[] {
    let names: string[];
    try { names = readdirSync(this.folder); } catch { return []; }
    const now = this.o.clock.now();
    const out: HolderInfo[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      const file = join(this.folder, n);
      let h: HolderInfo;
      try {
        h = JSON.parse(readFileSync(file, 'utf8')) as HolderInfo;
      } catch { continue; /* a file being replaced right now: skip it this time */ }
      const verdict = this.judge(h, now);
      if (verdict === 'live') { out.push(h); continue; }
      rmSync(file, { force: true });
      if (verdict !== 'expired') {
        const who = typeof h?.label === 'string' ? h.label : n;
        if (verdict === 'dead') this.o.log?.info(`Lease: ${who} (pid ${h.pid}) is no longer running; its connection slot is free.`);
        else this.o.log?.warn(`Lease file of ${who} is corrupt (${verdict}): removed.`);
      }
    }
    return out;
  }

  /** 'live', 'expired' (no heartbeat within the TTL), 'dead' (its process is gone) or what is corrupt about it. */
  private judge(h: HolderInfo, now: number): string {
    if (typeof h !== 'object' || h === null) return 'not an object';
    const { heartbeatAt, since, pid } = h;
    if (typeof heartbeatAt !== 'number' || !Number.isFinite(heartbeatAt)) return `heartbeat ${JSON.stringify(heartbeatAt)}`;
    // A heartbeat is the writer's "now": one further ahead than a TTL would never expire.
    if (heartbeatAt > now + this.ttl) return `heartbeat ${Math.round((heartbeatAt - now) / 1000)} s in the future`;
    if (now - heartbeatAt > this.ttl) return 'expired'; // a crashed window's lease
    if (typeof since !== 'number' || !Number.isFinite(since) || since > now + this.ttl) return `start time ${JSON.stringify(since)}`;
    if (h.hostname !== undefined && h.hostname === hostname() && Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid) {
      if (!(this.o.isAlive ?? processExists)(pid)) return 'dead';
    }
    return 'live';
  }
}
