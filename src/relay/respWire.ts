import { Command } from 'ioredis';

/**
 * Hand-encoded Redis commands for the relay's one hot path (publishing).
 *
 * Why not ioredis's own encoding: a batch of 500 XADDs encoded by ioredis is
 * 500 command objects each building its own buffer, then a copy into one
 * write; the fenced Lua script that avoided that made Redis itself 2× slower
 * per entry (every XADD called from Lua copies its arguments twice). Here the
 * whole transaction is written once into one buffer, each record copied once,
 * and ioredis still owns the connection (TLS, AUTH, SELECT, reconnects) and
 * matches each reply to a command.
 */
export class RespWriter {
  private buf: Buffer;
  private pos = 0;

  /** `into`: a buffer to write into (reused across batches), replaced by a larger one when it is too small. */
  constructor(size = 64 * 1024, into?: Buffer) { this.buf = into && into.length >= size ? into : Buffer.allocUnsafe(size); }

  /** `*n`: the start of a command of n arguments (its name counts). */
  array(n: number): this { return this.ascii(`*${n}\r\n`); }

  /** One argument (a bulk string) of exact bytes. */
  bulk(b: Uint8Array): this {
    this.ascii(`$${b.length}\r\n`);
    this.room(b.length + 2);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
    return this;
  }

  /** One argument from a string (UTF-8). */
  text(s: string): this { return this.bulk(Buffer.from(s, 'utf8')); }

  /** A whole command of string arguments (a short one: the transaction's frame). */
  command(...args: string[]): this {
    this.array(args.length);
    for (const a of args) this.text(a);
    return this;
  }

  /** Bytes already encoded elsewhere (a constant prefix). */
  raw(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** What was written, without a copy (the writer must not be used after). */
  finish(): Buffer { return this.buf.subarray(0, this.pos); }

  /** The whole buffer written into (to reuse it for the next batch). */
  get backing(): Buffer { return this.buf; }

  /** Only ASCII (lengths and counts), so one character is one byte. */
  private ascii(s: string): this {
    this.room(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
    return this;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

/**
 * A command whose bytes are already encoded. ioredis matches one reply to each
 * command in order, so a transaction of n commands is n of these: the first
 * carries the whole encoded transaction, the others nothing (they only wait
 * for their replies).
 */
export class WireCommand extends Command {
  constructor(name: string, private readonly wire: Buffer | string = '') {
    super(name, []);
  }

  override toWritable(): Buffer | string { return this.wire; }
}

/** Where the queued commands of one transaction report a refusal (the first one is kept). */
export interface QueueReport { error?: Error }

const SETTLED = Promise.resolve();
function ignore(): void { /* "QUEUED" */ }
function recordRefusal(this: QueuedCommand, e: Error): void { this.report.error ??= e; }

/**
 * A command queued inside MULTI: its reply ("QUEUED", or why Redis refused
 * it) only keeps ioredis's reply matching in step, and EXEC says what
 * happened. A batch has a thousand of them, so none gets a promise of its
 * own: a refusal is recorded in the transaction's report.
 */
export class QueuedCommand extends WireCommand {
  constructor(readonly report: QueueReport, wire: Buffer | string = '') {
    super('queued', wire);
    this.promise = SETTLED;
    this.resolve = ignore;
    this.reject = recordRefusal;
  }
}
// ioredis builds each command's promise in its (internal) initPromise; a queued command has none.
// Should that method change name, the base promise is built as before and ignored: correct, only slower.
Object.defineProperty(QueuedCommand.prototype, 'initPromise', { value: function initPromise(): void { /* see above */ } });
