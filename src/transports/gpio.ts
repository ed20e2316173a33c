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

/** Labels of the chips behind a Pi's header: BCM2835/2711 (Pi 1-4) and RP1 (Pi 5). */
export const HEADER_CHIP_LABEL = /^pinctrl-(bcm2711|bcm2835|rp1)$/;

/** The header's chip in sysfs: older kernels number its lines from 0, newer ones from a base (512, 571…). */
export function headerChip(sysfs = '/sys/class/gpio'): { label: string; base: number } | null {
  try {
    for (const entry of readdirSync(sysfs)) {
      if (!entry.startsWith('gpiochip')) continue;
      const label = readFileSync(join(sysfs, entry, 'label'), 'utf8').trim();
      if (HEADER_CHIP_LABEL.test(label)) return { label, base: Number(readFileSync(join(sysfs, entry, 'base'), 'utf8').trim()) };
    }
  } catch {
    // No sysfs GPIO here.
  }
  return null;
}

/**
 * The sysfs number of a header line. Older kernels number the Pi's header from 0, newer ones put the
 * chip at a base (512 on recent kernels; the Pi 5's RP1 chip elsewhere again), which is why a plain BCM
 * number gives EINVAL there: find the chip by its label and add its base.
 */
export function sysfsNumber(line: number, sysfs = '/sys/class/gpio'): number {
  return (headerChip(sysfs)?.base ?? 0) + line;
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
