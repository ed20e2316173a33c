import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ClassMode } from '../core/class-session.js';
import type { Devices } from '../devices/devices.js';

/**
 * The room's devices around a class: projectors warmed up ahead of it and switched off a while after
 * it, each camera's first named preset, the on-air light. The classroom says when; this says how.
 */
export class RoomSequence {
  private projectorOff: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: Config,
    private readonly devices: Devices,
    private readonly log: Logger,
  ) {}

  /** Each camera's first named preset: where a class starts when it names none. */
  defaultPresets(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [cam, conf] of Object.entries(this.config.devices.cameras)) {
      const first = Object.keys(conf.presets)[0];
      if (first) out[cam] = first;
    }
    return out;
  }

  /** Power, then the class input once warm; `wanted` says whether the class that asked is still on. */
  async projectorFor(name: string, on: boolean, wanted: () => boolean = () => true): Promise<void> {
    const p = this.devices.projector(name);
    await p.setPower(on, { wait: true });
    const input = this.config.devices.projectors[name]?.classInput;
    if (on && input && wanted()) await p.setInput(input, { wait: true });
  }

  /**
   * Switches the projectors a coming class uses on ahead of it, so that the picture is there when the
   * lesson starts (warm-up takes half a minute or more). Failures are logged; the class reports its own.
   */
  prepare(projectors: Record<string, 'on' | 'off'> | undefined): void {
    this.keepProjectorsOn();
    const wanted = projectors ?? Object.fromEntries([...this.devices.projectors.keys()].map((p) => [p, 'on' as const]));
    for (const [name, power] of Object.entries(wanted)) {
      if (power !== 'on' || !this.devices.projectors.has(name)) continue;
      void this.projectorFor(name, true).catch((err: unknown) =>
        this.log.warn({ projector: name, err }, 'projector not warmed up ahead of the class'),
      );
    }
  }

  /** A class starts (or the service stops): the projectors are not switched off after all. */
  keepProjectorsOn(): void {
    clearTimeout(this.projectorOff);
  }

  /** Projectors off after the configured delay, unless a class starts before. */
  scheduleProjectorsOff(): void {
    const delay = this.config.schedule.projectorOffDelayMinutes * 60_000;
    clearTimeout(this.projectorOff);
    this.projectorOff = setTimeout(() => {
      for (const name of this.devices.projectors.keys()) {
        void this.devices
          .projector(name)
          .setPower(false, { wait: true })
          .catch((err: unknown) => this.log.warn({ projector: name, err }, 'projector not switched off after class'));
      }
    }, delay);
    this.projectorOff.unref?.();
  }

  /**
   * The on-air light: on while live, blinking while recording only, off when idle (`mode` undefined).
   * Each line is switched through `run`, which decides what a failure costs.
   */
  async onAir(mode: ClassMode | undefined, run: (line: string, set: () => unknown) => Promise<void>): Promise<void> {
    const gpio = this.devices.gpio;
    if (!gpio) return;
    for (const [line, conf] of Object.entries(this.config.devices.gpio)) {
      if (conf.shows !== 'on-air') continue;
      await run(line, () => (mode === 'live' ? gpio.set(line, 1) : mode === 'recorded' ? gpio.blink(line, 1000) : gpio.set(line, 0)));
    }
  }
}
