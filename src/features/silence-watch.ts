import type { Logger } from 'pino';
import type { EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';

/** Below this a path counts as silent: a room's noise floor through a microphone sits around -60 to -50 dBFS. */
export const SILENT_BELOW_DBFS = -65;

export interface SilenceWatchContext {
  bus: EventBus;
  log: Logger;
  silenceS: number;
  /** The paths that should carry sound during a class (`mic`, `speaker`). */
  paths: string[];
  now?: () => number;
  /** Checks on its own timer (tests drive `tick` themselves). */
  autoTick?: boolean;
}

/**
 * During a class, says when the microphone or the incoming lesson has gone quiet for `silenceS`
 * (`audio.silent`, once) and when sound is back (`audio.restored`): a muted microphone or a lesson
 * without sound is found by the centre, not by the class.
 */
export class SilenceWatch implements Part {
  readonly name = 'silence-watch';
  private inClass = false;
  private readonly lastSound = new Map<string, number>();
  private readonly silent = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly ctx: SilenceWatchContext) {
    this.now = ctx.now ?? Date.now;
    ctx.bus.on(this, 'class.started', () => {
      this.inClass = true;
      this.silent.clear();
      for (const p of ctx.paths) this.lastSound.set(p, this.now());
    });
    ctx.bus.on(this, 'class.ended', () => {
      this.inClass = false;
      this.silent.clear();
    });
    ctx.bus.on(this, 'audio.level', ({ path, dbfs }) => {
      if (dbfs < SILENT_BELOW_DBFS || !ctx.paths.includes(path)) return;
      const since = this.lastSound.get(path) ?? this.now();
      this.lastSound.set(path, this.now());
      if (this.silent.delete(path)) this.ctx.bus.emit('audio.restored', { path, silentS: Math.round((this.now() - since) / 1000) });
    });
  }

  async start(): Promise<void> {
    if (this.ctx.paths.length === 0 || this.ctx.autoTick === false) return;
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  tick(): void {
    if (!this.inClass) return;
    for (const path of this.ctx.paths) {
      const last = this.lastSound.get(path) ?? this.now();
      if (this.silent.has(path) || this.now() - last < this.ctx.silenceS * 1000) continue;
      this.silent.add(path);
      this.ctx.log.warn({ part: this.name, path, seconds: this.ctx.silenceS }, 'no sound');
      this.ctx.bus.emit('audio.silent', { path, seconds: this.ctx.silenceS });
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }
}
