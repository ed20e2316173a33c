import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export type Bit = 0 | 1;
export type Edge = 'none' | 'rising' | 'falling' | 'both';

/** One GPIO line, as wired: raw levels (active-low is applied above this, the same for real and simulated lines). */
export interface GpioLine {
  read(): Promise<Bit>;
  write(value: Bit): Promise<void>;
  /** Raw edges as the kernel reports them; debouncing happens above this. */
  watch(fn: (value: Bit) => void): void;
  close(): Promise<void>;
}

export interface GpioChip {
  readonly simulated: boolean;
  open(line: number, direction: 'in' | 'out', edge: Edge): Promise<GpioLine>;
}

/**
 * The sysfs number of a header line. Older kernels number the Pi's header from 0, newer ones put the
 * chip at a base (512 on recent kernels; the Pi 5's RP1 chip elsewhere again), which is why a plain BCM
 * number gives EINVAL there: find the chip by its label and add its base.
 */
export function sysfsNumber(line: number, sysfs = '/sys/class/gpio'): number {
  try {
    for (const entry of readdirSync(sysfs)) {
      if (!entry.startsWith('gpiochip')) continue;
      const dir = join(sysfs, entry);
      const label = readFileSync(join(dir, 'label'), 'utf8').trim();
      if (/^pinctrl-(bcm2711|bcm2835|rp1)$/.test(label)) return Number(readFileSync(join(dir, 'base'), 'utf8').trim()) + line;
    }
  } catch {
    // No sysfs GPIO here: the number stands as configured.
  }
  return line;
}

/** The board's real lines through onoff (sysfs). Only used where `Gpio.accessible` is true. */
export class OnoffChip implements GpioChip {
  readonly simulated = false;

  async open(line: number, direction: 'in' | 'out', edge: Edge): Promise<GpioLine> {
    const { Gpio } = await import('onoff');
    const gpio = new Gpio(sysfsNumber(line), direction, direction === 'in' ? edge : 'none');
    return {
      read: () => gpio.read(),
      write: (v) => gpio.write(v),
      watch: (fn) =>
        gpio.watch((err, value) => {
          if (!err) fn(value);
        }),
      close: async () => {
        gpio.unwatchAll();
        gpio.unexport();
      },
    };
  }
}

/** True on a board whose GPIO sysfs this process may use. */
export async function gpioAccessible(): Promise<boolean> {
  try {
    const { Gpio } = await import('onoff');
    return Gpio.accessible;
  } catch {
    return false;
  }
}
