/** How far back a rate looks: long enough to smooth GOP-sized bursts, short enough to show a stall. */
const WINDOW_MS = 5000;
/** Samples closer together than this add nothing to a 5 s window. */
const SAMPLE_EVERY_MS = 500;

type Sample = { at: number; bytes: number; frames: number };

/**
 * Bytes and frames per second over the last few seconds. Reading does not reset anything, so telemetry,
 * /metrics and the technician page can all read it and see the same figures (a meter that restarted on
 * every read gave each reader only the interval since the previous reader).
 */
export class RateMeter {
  private bytes = 0;
  private count = 0;
  private readonly samples: Sample[];

  constructor(private readonly now: () => number = Date.now) {
    this.samples = [{ at: now(), bytes: 0, frames: 0 }];
  }

  /** Frames (buffers) counted since the meter was made. */
  get frames(): number {
    return this.count;
  }

  add(bytes: number): void {
    this.bytes += bytes;
    this.count++;
    this.sample();
  }

  rates(): { kbps: number; fps: number } {
    this.sample();
    const now = this.now();
    const base = this.baseline(now);
    const s = Math.max(0.001, (now - base.at) / 1000);
    return { kbps: Math.round(((this.bytes - base.bytes) * 8) / 1000 / s), fps: Math.round(((this.count - base.frames) / s) * 10) / 10 };
  }

  /** The newest sample at least a window old (or the oldest there is, early on). */
  private baseline(now: number): Sample {
    let base = this.samples[0]!;
    for (const s of this.samples) {
      if (s.at > now - WINDOW_MS) break;
      base = s;
    }
    return base;
  }

  /** Reads sample too: a stalled stream adds nothing, and its rate must still fall to zero. */
  private sample(): void {
    const now = this.now();
    if (now - this.samples.at(-1)!.at < SAMPLE_EVERY_MS) return;
    this.samples.push({ at: now, bytes: this.bytes, frames: this.count });
    // Keep one sample older than the window as the baseline; drop the ones before it.
    while (this.samples.length > 1 && this.samples[1]!.at <= now - WINDOW_MS) this.samples.shift();
  }
}
