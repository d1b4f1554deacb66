import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, TimerHandle } from './clock';

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
 */
export interface HolderInfo {
  holderId: string;
  /** Human-readable name of the window, e.g. the workspace name. */
  label: string;
  pid: number;
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
    const info: HolderInfo = { holderId: this.o.holderId, label: this.o.label, pid: process.pid, since: this.since, heartbeatAt: this.o.clock.now() };
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
      try {
        const h = JSON.parse(readFileSync(file, 'utf8')) as HolderInfo;
        if (typeof h.heartbeatAt !== 'number' || now - h.heartbeatAt > this.ttl) {
          rmSync(file, { force: true }); // a crashed window's lease
          continue;
        }
        out.push(h);
      } catch { /* a file being replaced right now: skip it this time */ }
    }
    return out;
  }
}
