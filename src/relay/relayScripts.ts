import type Redis from 'ioredis';

/**
 * The Lua scripts that make fencing atomic: every write a leader makes checks,
 * inside Redis, that the lease still holds its token (publishing does the same
 * with WATCH/MULTI: publisher.ts). A leader that was paused
 * (GC, a stopped VM, a partition) past its lease and wakes up finds another
 * token there and writes nothing: the fence.
 */

/**
 * The fence check every leader write starts with (ARGV[1] token, ARGV[2] lease ms).
 * A lease that is gone (expired while Redis was unreachable, or lost in a
 * restart) is taken back: no other relay took it, and a standby waits longer
 * than the leader's outage bound before taking a free lease (outageFence.ts), so
 * the leader keeps its Adobe connection through a short Redis outage instead of
 * dropping it (which would cost a cooldown).
 */
const FENCE = `
local cur = redis.call('GET', KEYS[1])
if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
elseif cur ~= ARGV[1] then return -1 end
`;

/** KEYS: lease, hash. ARGV: token, lease ms, then field/value pairs, then '--del', fields to delete. Returns 1, or -1 when fenced off. */
const FENCED_HSET = `${FENCE}
local i = 3
local set = {}
while i <= #ARGV and ARGV[i] ~= '--del' do
  set[#set + 1] = ARGV[i]; set[#set + 1] = ARGV[i + 1]; i = i + 2
end
if #set > 0 then redis.call('HSET', KEYS[2], unpack(set)) end
for j = i + 1, #ARGV do redis.call('HDEL', KEYS[2], ARGV[j]) end
return 1`;

/** Redis's own clock in ms, so every relay's registration is timed by one clock. Needs Redis 5+ (effects replication; streams need 5 anyway). */
const REDIS_NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** The given key must be a ZSET: anything else written there is garbage under our name, removed rather than failing every renewal. */
const ZSET_ONLY = (k: number) => `
local ty = redis.call('TYPE', KEYS[${k}]).ok
if ty ~= 'zset' and ty ~= 'none' then redis.call('DEL', KEYS[${k}]) end
`;

/**
 * KEYS: lease, standbys. ARGV: token, ttl ms, our relay id. Renews our lease; takes it
 * back if it is gone (Redis restarted without the key: we still hold the Adobe
 * connection, and a standby must not open a second one). Also prunes expired
 * standby registrations (and our own, left from when we stood by) and counts the rest, so the leader knows at
 * each renewal whether a standby could take over if Redis became unreachable to it.
 * Returns {result, standbys}: result 1 renewed, 2 re-taken, 0 someone else holds it.
 */
const RENEW = `${REDIS_NOW}${ZSET_ONLY(2)}redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREM', KEYS[2], ARGV[3])
local n = redis.call('ZCARD', KEYS[2])
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return {1, n} end
if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return {2, n} end
return {0, n}`;

/**
 * KEYS: standbys. ARGV: our relay id, ttl ms. Registers (or refreshes) us as a standby until
 * Redis time + ttl. The set itself expires with its longest registration, so it does not
 * outlive every relay.
 */
const REGISTER = `${REDIS_NOW}${ZSET_ONLY(1)}local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`;

export type RenewResult = 0 | 1 | 2;

/** The RENEW script's reply, checked (a reply of another shape counts as a failed renewal). */
export function parseRenewReply(reply: unknown): { result: RenewResult; standbys: number } | undefined {
  if (!Array.isArray(reply) || reply.length !== 2) return undefined;
  const [r, n] = reply.map(Number);
  if ((r !== 0 && r !== 1 && r !== 2) || !Number.isInteger(n) || n < 0) return undefined;
  return { result: r, standbys: n };
}

/** KEYS: lease. ARGV: token. Deletes the lease only if it is ours. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RelayCommands {
  relayFencedHset(lease: string, hash: string, token: string, leaseMs: number, ...args: string[]): Promise<number>;
  relayRenew(lease: string, standbys: string, token: string, ttlMs: number, id: string): Promise<unknown>;
  relayRegister(standbys: string, id: string, ttlMs: number): Promise<number>;
  relayRelease(lease: string, token: string): Promise<number>;
}

/** Registers the scripts on a client (EVALSHA, falling back to EVAL once per connection). */
export function withRelayCommands(r: Redis): Redis & RelayCommands {
  r.defineCommand('relayFencedHset', { numberOfKeys: 2, lua: FENCED_HSET });
  r.defineCommand('relayRenew', { numberOfKeys: 2, lua: RENEW });
  r.defineCommand('relayRegister', { numberOfKeys: 1, lua: REGISTER });
  r.defineCommand('relayRelease', { numberOfKeys: 1, lua: RELEASE });
  return r as Redis & RelayCommands;
}
