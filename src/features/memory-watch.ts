import type { Logger } from 'pino';
import type { EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import { slopePerHour } from '../core/process-figures.js';

export interface MemoryWatchContext {
  bus: EventBus;
  log: Logger;
  /** Growth over the window above which `memory.growth` is raised; 0: not watched. */
  limitMBPerHour: number;
  /** Anonymous resident memory now, MB (null where it cannot be read). */
  readMB: () => number | null;
  /** Gives free memory back to the system before each sample, so that the trend is of memory in use. */
  trim?: () => Promise<unknown>;
  sampleS?: number;
  windowS?: number;
}

/**
 * Tells the centre when the box's memory keeps growing: anonymous RSS sampled every minute, its trend
 * over the last hour by least squares, rising in both halves of the hour (a class starting is one
 * step, a leak rises all along), `memory.growth` once when the trend passes the limit, and again only
 * after it fell back below half of it.
 */
export class MemoryWatch implements Part {
  readonly name = 'memory-watch';
  private timer: NodeJS.Timeout | undefined;
  private points: Array<{ t: number; y: number }> = [];
  private raised = false;
  private readonly sampleS: number;
  private readonly windowS: number;

  constructor(private readonly ctx: MemoryWatchContext) {
    this.sampleS = ctx.sampleS ?? 60;
    this.windowS = ctx.windowS ?? 3600;
  }

  async start(): Promise<void> {
    if (this.ctx.limitMBPerHour <= 0 && !this.ctx.trim) return;
    this.timer = setInterval(() => void this.sample(), this.sampleS * 1000);
    this.timer.unref();
  }

  private async sample(): Promise<void> {
    await this.ctx.trim?.();
    this.check();
  }

  /** One sample (after the trim); public for tests that drive time themselves. */
  check(t = performance.now() / 1000): void {
    const y = this.ctx.readMB();
    if (y === null) return;
    this.points.push({ t, y });
    this.points = this.points.filter((p) => p.t >= t - this.windowS);
    // A whole window first: the first hour after start (parts loading, the first class) is not a trend.
    if (t - this.points[0]!.t < this.windowS * 0.9) return;
    if (this.ctx.limitMBPerHour <= 0) return;
    const rate = Math.round(slopePerHour(this.points) * 10) / 10;
    // A leak grows all along; a class starting is one step. Both halves of the window must rise.
    const mid = this.points[0]!.t + (t - this.points[0]!.t) / 2;
    const halves = [this.points.filter((p) => p.t < mid), this.points.filter((p) => p.t >= mid)];
    const sustained = halves.every((h) => slopePerHour(h) > this.ctx.limitMBPerHour / 2);
    if (rate > this.ctx.limitMBPerHour && sustained && !this.raised) {
      this.raised = true;
      const payload = {
        rateMBPerHour: rate,
        limitMBPerHour: this.ctx.limitMBPerHour,
        rssAnonMB: y,
        windowMinutes: Math.round(this.windowS / 60),
      };
      this.ctx.log.warn({ part: this.name, ...payload }, 'memory keeps growing');
      this.ctx.bus.emit('memory.growth', payload);
    } else if (rate <= this.ctx.limitMBPerHour / 2) {
      this.raised = false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.points = [];
  }
}
