// Full collections (mark-compact) of this thread's heap while watched: each pauses the thread, and in
// VS Code's extension host that heap is every extension's. Used by the host bench and the firehose drill.
import { constants, PerformanceObserver } from 'node:perf_hooks';

export interface FullGcWatch {
  /** Stops watching: how many full collections there were, and their pauses in total (ms). */
  stop(): { count: number; ms: number };
}

export function watchFullGcs(): FullGcWatch {
  let count = 0;
  let ms = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) { count++; ms += e.duration; }
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return { stop: () => { obs.disconnect(); return { count, ms }; } };
}
