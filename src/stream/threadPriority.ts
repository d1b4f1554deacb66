/**
 * Lowers the scheduling priority of the calling thread only (Node only; never
 * imported by the webview). The extension host's main thread is what every
 * other extension in the window waits on; the threads we add beside it (the
 * stream worker, the demo server) must yield to it when the cores are busy.
 * On Linux each thread has its own nice value: `setpriority` on the thread's
 * id (read from /proc/thread-self) changes that thread alone. Elsewhere this
 * is a no-op. Raising nice needs no privilege; it is never lowered again.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

export function lowerThisThreadPriority(nice: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
