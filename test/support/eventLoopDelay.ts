// Event-loop delay, measured two ways (the bench and the firehose drill report both).
//
// `monitorEventLoopDelay({ resolution: 10 })` times a 10 ms interval timer and records each whole
// interval: a free loop reads ~10 ms, so p99 is "10 ms + the delay". Node 24.x/26.5 added
// `samplePerIteration`, which times each turn of the loop itself (libuv's prepare/check hooks) with
// no timer: the time a new event waits behind the work of the current turn. Node's documentation
// says the two "should not be compared directly"; the goals were set on the first.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface DelayFigures { p50: number; p99: number; max: number }

export interface DelayMonitor {
  disable(): void;
  /** The interval measure, ms (resolution 10 ms, as read). */
  interval(): DelayFigures;
  /** The per-iteration measure, ms; undefined on a Node without it. */
  perIteration(): DelayFigures | undefined;
}

/** Whether this Node has the per-iteration mode: it validates the option (older ones ignore it). */
function hasPerIteration(): boolean {
  try {
    monitorEventLoopDelay({ samplePerIteration: 'probe' } as unknown as { resolution: number });
    return false;
  } catch {
    return true;
  }
}

function figures(h: IntervalHistogram): DelayFigures {
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
}

export function monitorDelay(): DelayMonitor {
  const interval = monitorEventLoopDelay({ resolution: 10 });
  const perIteration = hasPerIteration() ? monitorEventLoopDelay({ samplePerIteration: true } as unknown as { resolution: number }) : undefined;
  interval.enable();
  perIteration?.enable();
  return {
    disable: () => { interval.disable(); perIteration?.disable(); },
    interval: () => figures(interval),
    perIteration: () => (perIteration ? figures(perIteration) : undefined),
  };
}
