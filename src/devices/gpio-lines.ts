import type { Logger } from 'pino';
import type { z } from 'zod';
import type { gpioLine as gpioLineSchema } from '../config/devices-schema.js';
import { ClassboxError } from '../core/errors.js';
import type { Bit, GpioChip, GpioLine } from '../transports/gpio.js';

export type GpioConfig = z.output<typeof gpioLineSchema>;

export interface GpioInputEvent {
  name: string;
  value: Bit;
  action: string | undefined;
}

type Open = {
  name: string;
  config: GpioConfig;
  line: GpioLine;
  stable: Bit;
  debounce?: NodeJS.Timeout;
  blink?: NodeJS.Timeout;
  logical: Bit;
};

/**
 * The room's GPIO lines: outputs (on-air light, relays for screen and power) that can be set or made to
 * blink, and inputs whose debounced edges trigger their configured action. Logical levels: 1 = active,
 * whatever the wiring (`activeLow` turns it round for both the real and the simulated chip).
 */
export class GpioLines {
  private readonly open = new Map<string, Open>();
  onInput: (e: GpioInputEvent) => void = () => {};
  /** A line's level as the state snapshot shows it changed (set, blink started, a debounced input). */
  onChange: (name: string) => void = () => {};

  constructor(
    private readonly chip: GpioChip,
    private readonly config: Record<string, GpioConfig>,
    private readonly log: Logger,
  ) {}

  get simulated(): boolean {
    return this.chip.simulated;
  }

  names(): string[] {
    return Object.keys(this.config);
  }

  async start(): Promise<void> {
    for (const [name, config] of Object.entries(this.config)) {
      try {
        const line = await this.chip.open(
          config.line,
          config.direction,
          config.direction === 'in' ? (config.edge === 'none' ? 'none' : 'both') : 'none',
        );
        const raw = await line.read();
        const o: Open = { name, config, line, stable: raw, logical: (raw ^ (config.activeLow ? 1 : 0)) as Bit };
        this.open.set(name, o);
        if (config.direction === 'out') await this.write(o, config.initial ?? 0);
        else if (config.edge !== 'none') line.watch(() => this.edge(o));
      } catch (err) {
        // A line that cannot be opened is reported and left out; the rest of the room goes on.
        this.log.error({ err, gpio: name, line: config.line }, 'GPIO line not available');
      }
    }
  }

  async stop(): Promise<void> {
    for (const o of this.open.values()) {
      clearTimeout(o.debounce);
      clearInterval(o.blink);
      await o.line.close().catch(() => undefined);
    }
    this.open.clear();
  }

  private async write(o: Open, logical: Bit): Promise<void> {
    o.logical = logical;
    await o.line.write((logical ^ (o.config.activeLow ? 1 : 0)) as Bit);
  }

  /** Any raw edge restarts the debounce window; what counts is the level once it has been steady that long. */
  private edge(o: Open): void {
    clearTimeout(o.debounce);
    o.debounce = setTimeout(async () => {
      const raw = await o.line.read().catch(() => o.stable);
      if (raw === o.stable) return;
      o.stable = raw;
      const logical = (raw ^ (o.config.activeLow ? 1 : 0)) as Bit;
      o.logical = logical;
      this.onChange(o.name);
      const wanted =
        o.config.edge === 'both' || (o.config.edge === 'rising' && logical === 1) || (o.config.edge === 'falling' && logical === 0);
      if (wanted) this.onInput({ name: o.name, value: logical, action: o.config.action });
    }, o.config.debounceMs);
  }

  private output(name: string): Open {
    const o = this.open.get(name);
    if (!o) {
      if (name in this.config) throw new ClassboxError('device_unavailable', `GPIO line ${name} could not be opened`);
      throw new ClassboxError('not_found', `no GPIO line "${name}" (configured: ${this.names().join(', ') || 'none'})`);
    }
    if (o.config.direction !== 'out') throw new ClassboxError('invalid_request', `name: GPIO line ${name} is an input`);
    return o;
  }

  /** Sets an output (stops any blinking). */
  async set(name: string, value: Bit): Promise<void> {
    const o = this.output(name);
    clearInterval(o.blink);
    o.blink = undefined;
    await this.write(o, value);
    this.onChange(name);
  }

  /** Blinks an output with the given period (the on-air light while recording only). */
  async blink(name: string, periodMs = 1000): Promise<void> {
    const o = this.output(name);
    clearInterval(o.blink);
    await this.write(o, 1);
    o.blink = setInterval(() => void this.write(o, o.logical === 1 ? 0 : 1), periodMs / 2);
    o.blink.unref?.();
    this.onChange(name);
  }

  /** Logical levels of every open line, for the state snapshot. */
  levels(): Record<string, { direction: 'in' | 'out'; value: Bit; blinking?: boolean }> {
    return Object.fromEntries(
      [...this.open.values()].map((o) => [
        o.name,
        { direction: o.config.direction, value: o.logical, ...(o.blink ? { blinking: true } : {}) },
      ]),
    );
  }
}
