import { constants, PerformanceObserver } from 'node:perf_hooks';
import type { Part } from '../core/lifecycle.js';
import { readProcFigures, type ProcFigures } from '../core/process-figures.js';

export interface ProcessFigures extends ProcFigures {
  /** V8 heap in use right after the last full collection: what the heap holds, without the garbage. */
  heapMB: number;
  externalMB: number;
  /** The longest a timer waited past its time since the previous reading: how long the loop was held. */
  eventLoopLagMs: number;
}

const LAG_PERIOD_MS = 20;
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/**
 * The service's own figures for telemetry, the memory watch and the page. The heap is taken as V8
 * leaves it after a full (mark-sweep) collection, which it runs on its own: a heap read at a random
 * moment is mostly garbage not yet collected, and forcing collections would cost the media thread.
 */
export class ProcessMeter implements Part {
  readonly name = 'process-meter';
  private heapAfterGc: number | undefined;
  private observer: PerformanceObserver | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private maxLagMs = 0;

  async start(): Promise<void> {
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
          this.heapAfterGc = process.memoryUsage().heapUsed;
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
    // A timer of our own: Node 20's loop-delay histogram records a blocked loop as one timer period.
    let due = performance.now() + LAG_PERIOD_MS;
    this.lagTimer = setInterval(() => {
      const now = performance.now();
      this.maxLagMs = Math.max(this.maxLagMs, now - due);
      due = now + LAG_PERIOD_MS;
    }, LAG_PERIOD_MS);
    this.lagTimer.unref();
  }

  figures(): ProcessFigures {
    const m = process.memoryUsage();
    const lagMs = this.maxLagMs;
    this.maxLagMs = 0;
    return {
      ...readProcFigures(),
      heapMB: mb(this.heapAfterGc ?? m.heapUsed),
      externalMB: mb(m.external),
      eventLoopLagMs: Math.round(Math.max(0, lagMs) * 10) / 10,
    };
  }

  async stop(): Promise<void> {
    this.observer?.disconnect();
    clearInterval(this.lagTimer);
  }
}
