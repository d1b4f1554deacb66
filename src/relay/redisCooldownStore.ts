import type { CooldownRecord, CooldownStore } from '../stream/cooldownStore';
import type { Logger } from '../stream/logger';
import type Redis from 'ioredis';
import type { RelayCommands } from './relayScripts';
import type { RelayKeys } from './relayKeys';

/**
 * The engine's cooldown clock, kept in Redis so every relay on every machine
 * honours it. The engine reads and writes its store synchronously, so this
 * keeps a mirror in memory: `load()` fills it from Redis before the leader's
 * engine starts, and every update is written through (fenced: a deposed
 * leader cannot move the clock).
 *
 * Besides the engine's fields the hash holds `holder`: set while the leader is
 * connected to Adobe and cleared when it records a loss. A new leader that
 * finds `holder` set knows the previous one died holding the connection (kill
 * -9, power loss) without recording its loss, and records one at takeover:
 * so it waits a full cooldown after the old connection can last have lived.
 */
export class RedisCooldownStore implements CooldownStore {
  private mirror = new Map<string, CooldownRecord>();
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly redis: Redis & RelayCommands, private readonly keys: RelayKeys, private readonly token: () => string, private readonly leaseMs: number, private readonly log: Logger) {}

  /**
   * Fills the mirror from Redis. Returns whether a previous leader died while connected (and records that
   * loss now). `assumeLoss`: the previous leader did not hand over cleanly and may have held a connection
   * it could not mark (opened while cut off from Redis): a loss is recorded now too.
   */
  async load(stream: string, now: number, assumeLoss = false): Promise<{ takeoverLoss: boolean }> {
    const h = await this.redis.hgetall(this.keys.cooldown);
    const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
    const rec: CooldownRecord = { stream, lastLossAt: num(h.lastLossAt), notBefore: num(h.notBefore) };
    this.mirror.set(stream, rec);
    const held = !!h.holder && h.holder !== this.token();
    const takeoverLoss = held || assumeLoss;
    if (takeoverLoss) {
      this.log.warn(held
        ? `The previous relay (${h.holder.slice(0, 120)}) held the Adobe connection when it stopped renewing its lease: counting that as a connection loss now, so this relay waits out the cooldown before connecting.`
        : 'The previous relay did not hand over cleanly (its lease expired) and may have held an Adobe connection: counting that as a connection loss now, so this relay waits out the cooldown before connecting.');
      this.update(stream, { lastLossAt: now });
      await this.flush();
    }
    return { takeoverLoss };
  }

  read(stream: string): CooldownRecord { return { ...(this.mirror.get(stream) ?? { stream }) }; }

  update(stream: string, patch: Partial<Omit<CooldownRecord, 'stream'>>): void {
    this.mirror.set(stream, { ...this.read(stream), ...patch, stream });
    const args: string[] = [];
    const del: string[] = [];
    for (const k of ['lastLossAt', 'notBefore'] as const) {
      if (!(k in patch)) continue;
      const v = patch[k];
      if (v === undefined) del.push(k); else args.push(k, String(v));
    }
    // A recorded loss means this relay no longer holds a connection.
    if ('lastLossAt' in patch) del.push('holder');
    this.write(args, del);
  }

  /** Marks that this relay now holds the Adobe connection. */
  markHolding(): void { this.write(['holder', this.token()], []); }

  /** Resolves when every write so far has been answered (or failed). */
  flush(): Promise<unknown> { return this.writes; }

  private write(set: string[], del: string[]): void {
    const token = this.token();
    this.writes = this.writes.then(() => this.redis.relayFencedHset(this.keys.lease, this.keys.cooldown, token, this.leaseMs, ...set, '--del', ...del)).then(
      (r) => { if (r === -1) this.log.warn('Cooldown not written: this relay no longer holds the lease.'); },
      (e: Error) => this.log.warn(`Could not write the shared cooldown to Redis: ${e.message}`),
    );
  }
}
