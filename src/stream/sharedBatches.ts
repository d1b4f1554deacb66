/**
 * Batches of record bytes in shared memory, within a budget.
 *
 * Why: V8 counts every ArrayBuffer a thread receives as that thread's
 * external memory, and starts a full mark-compact of the thread's whole heap
 * when that memory grows fast. A batch buffer per 50 ms at 20 000 hits/s is
 * ~30 MB/s arriving on the extension host's thread: measured in the host bench,
 * 19–24 full collections of that heap in 10 s, 6–17 ms each, the largest
 * cause of its event-loop delay (in VS Code that heap is every extension's).
 * A SharedArrayBuffer is not counted, so those collections stop.
 *
 * The catch: uncounted memory gives V8 no reason to collect dead batches
 * either, so they could pile up for as long as nothing else starts a full
 * collection. Hence the gauge: shared bytes whose buffer on the receiving
 * thread is still alive (a FinalizationRegistry takes them off when it is
 * collected). The allocating thread uses shared memory only while the gauge is
 * under budget; past it, ordinary (counted) buffers, i.e. exactly the behaviour
 * without this module, until a collection frees the dead ones. Memory therefore
 * stays within the budget plus what V8 would have allowed anyway.
 */

/** Default budget of the shared batches alive or awaiting collection on the receiving thread. */
export const SHARED_BATCH_BUDGET_BYTES = 64 * 1024 * 1024;

/** What the allocating thread gets: the gauge (KiB, shared) and the budget in KiB. */
export interface SharedBatchShare {
  cell: Int32Array;
  budgetKiB: number;
}

const kib = (bytes: number) => Math.ceil(bytes / 1024);

/**
 * A batch buffer of `n` bytes: shared while the gauge has room for it (counted
 * on it at once, so two threads cannot both take the last room), else ordinary.
 */
export function batchBuffer(n: number, share: SharedBatchShare | undefined): Uint8Array {
  if (share && n > 0) {
    const k = kib(n);
    if (Atomics.add(share.cell, 0, k) + k <= share.budgetKiB) return new Uint8Array(new SharedArrayBuffer(n));
    Atomics.sub(share.cell, 0, k);
  }
  return new Uint8Array(n);
}

/** Whether a batch's bytes are shared (not transferable: they travel by reference). */
export function isShared(bytes: Uint8Array): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && bytes.buffer instanceof SharedArrayBuffer;
}

/** The transfer list of a batch message: `others`, and its bytes unless shared (a shared buffer cannot be moved). */
export function transfersOf(bytes: Uint8Array, ...others: ArrayBufferLike[]): ArrayBuffer[] {
  const moved = others as ArrayBuffer[];
  if (!isShared(bytes)) moved.push(bytes.buffer as ArrayBuffer);
  return moved;
}

/** The receiving thread's side: owns the gauge, and takes each shared batch off it when its buffer is collected. */
export class SharedBatchGauge {
  readonly cell = new Int32Array(new SharedArrayBuffer(4));
  private readonly registry = new FinalizationRegistry<number>((k) => { Atomics.sub(this.cell, 0, k); });

  constructor(readonly budgetBytes = SHARED_BATCH_BUDGET_BYTES) {}

  get share(): SharedBatchShare { return { cell: this.cell, budgetKiB: Math.floor(this.budgetBytes / 1024) }; }

  /** Shared bytes counted now: batches alive here, or dead and not yet collected (or in flight). */
  get bytes(): number { return Atomics.load(this.cell, 0) * 1024; }

  /**
   * Every batch that arrives, kept or not: a shared one is counted until its buffer is collected
   * here (the buffer, not the view: hits keep sub-views of it). A batch lost in flight (its thread
   * terminated) stays counted; that only makes later batches ordinary sooner.
   */
  track(bytes: Uint8Array): void {
    if (isShared(bytes)) this.registry.register(bytes.buffer, kib(bytes.buffer.byteLength));
  }
}
