/**
 * Remembers the last hit keys (exact hitIdHigh:hitIdLow) so replays after a
 * reconnect and overlaps between connections are delivered once. Memory is
 * bounded twice: by count (`capacity` keys) and by bytes (`maxBytes` of
 * estimated key memory); the oldest key is evicted first.
 */
export const DEFAULT_DEDUPE_WINDOW = 100_000;

/**
 * Default byte budget of the window: 16 MiB of estimated key memory. A real
 * key (two 64-bit decimals and ':', ≤ 41 characters) costs about 105 bytes, so
 * 100 000 real keys take ~10 MiB and the count limit is what binds; the byte
 * budget only bites for a larger configured window or keys near the length
 * limit, and caps the window at ~16 MiB whatever the stream sends.
 */
export const DEFAULT_DEDUPE_BYTES = 16 * 1024 * 1024;

/**
 * Longest hit key accepted. Real keys are two 64-bit decimals joined by ':'
 * (at most 20 + 1 + 20 = 41 characters); a longer "id" is not a Live Stream
 * id, and remembering 64 KiB "ids" by the thousand is how a hostile stream
 * would fill memory. The engine refuses such records (counted, logged) before
 * they reach the window.
 */
export const MAX_HIT_KEY_CHARS = 64;

/** Estimated heap per remembered key besides its characters: string header, Set entry, ring slot (measured ≈ 60 bytes). */
const KEY_OVERHEAD_BYTES = 64;

export class DedupeWindow {
  private readonly seen = new Set<string>();
  private readonly ring: string[];
  /** Index of the oldest key in `ring`. */
  private head = 0;
  private count = 0;
  private used = 0;

  constructor(private readonly capacity = DEFAULT_DEDUPE_WINDOW, private readonly maxBytes = DEFAULT_DEDUPE_BYTES) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('dedupe window must be a positive integer');
    if (!(maxBytes > 0)) throw new RangeError('dedupe byte budget must be positive');
    this.ring = new Array(capacity);
  }

  get size(): number { return this.seen.size; }
  /** Estimated memory of the remembered keys (what `maxBytes` bounds). */
  get bytes(): number { return this.used; }

  /**
   * True when `key` is new (and remembers it); false for a duplicate. Empty
   * keys are never duplicates. Keys longer than MAX_HIT_KEY_CHARS are not
   * remembered (callers refuse such records first; see the engine).
   * `owned`: the caller made `key` itself (decoded from bytes), so it holds no
   * larger string alive and needs no copy.
   */
  add(key: string, owned = false): boolean {
    if (key === '') return true;
    if (this.seen.has(key)) return false;
    if (key.length > MAX_HIT_KEY_CHARS) return true;
    const cost = keyCost(key);
    while (this.count > 0 && (this.count === this.capacity || this.used + cost > this.maxBytes)) this.evictOldest();
    const own = owned ? key : detach(key);
    this.ring[(this.head + this.count) % this.capacity] = own;
    this.count++;
    this.used += cost;
    this.seen.add(own);
    return true;
  }

  private evictOldest(): void {
    const old = this.ring[this.head]!;
    this.ring[this.head] = undefined as unknown as string;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    this.used -= keyCost(old);
    this.seen.delete(old);
  }
}

/** Estimated heap bytes of one remembered key: one byte per character, two beyond Latin-1 (V8 two-byte strings). */
function keyCost(key: string): number {
  // eslint-disable-next-line no-control-regex -- any character beyond Latin-1 makes the string two-byte
  return KEY_OVERHEAD_BYTES + (/[^\u0000-\u00ff]/.test(key) ? key.length * 2 : key.length);
}

/**
 * A fresh copy of a string. V8 substrings (regex matches, slices) point into
 * their parent: a key cut from a 2 KB record would keep the whole record alive
 * for as long as the window remembers it (measured: ~1.9 KB per key instead of ~0.1).
 */
function detach(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}
