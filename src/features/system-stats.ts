import { readFileSync, readdirSync } from 'node:fs';
import { megabytesFree } from '../core/disk-free.js';
import { cpus } from 'node:os';

/** CPU busy share since the previous call, from the kernel's per-core counters (no child process). */
export class CpuMeter {
  private last = this.read();

  private read(): { idle: number; total: number } {
    let idle = 0;
    let total = 0;
    for (const c of cpus()) {
      const t = c.times;
      idle += t.idle;
      total += t.user + t.nice + t.sys + t.idle + t.irq;
    }
    return { idle, total };
  }

  /** 0-100, the average over all cores. */
  percent(): number {
    const now = this.read();
    const total = now.total - this.last.total;
    const idle = now.idle - this.last.idle;
    this.last = now;
    return total > 0 ? Math.round((1 - idle / total) * 1000) / 10 : 0;
  }
}

/** Hottest thermal zone in degrees Celsius, or null where the kernel exposes none (most VMs). */
export function temperatureC(root = '/sys/class/thermal'): number | null {
  let max: number | null = null;
  let zones: string[];
  try {
    zones = readdirSync(root).filter((z) => z.startsWith('thermal_zone'));
  } catch {
    return null;
  }
  for (const z of zones) {
    try {
      const milli = Number(readFileSync(`${root}/${z}/temp`, 'utf8').trim());
      if (Number.isFinite(milli)) max = Math.max(max ?? -Infinity, milli / 1000);
    } catch {
      // a zone without a readable sensor
    }
  }
  return max === null ? null : Math.round(max * 10) / 10;
}

/**
 * Raspberry Pi firmware throttling flags, the value `vcgencmd get_throttled` prints, read from the
 * firmware's sysfs node instead of a child process per sample: bit 0 under-voltage now, 1 frequency
 * capped, 2 throttled, 3 soft temperature limit; bits 16-19 the same "has occurred since boot".
 */
export function throttled(
  node = '/sys/devices/platform/soc/soc:firmware/get_throttled',
): { raw: string; underVoltage: boolean; throttledNow: boolean; occurred: boolean } | null {
  try {
    const value = parseInt(readFileSync(node, 'utf8').trim(), 16);
    if (!Number.isFinite(value)) return null;
    return {
      raw: `0x${value.toString(16)}`,
      underVoltage: (value & 0x1) !== 0,
      throttledNow: (value & 0x6) !== 0,
      occurred: (value & 0xf0000) !== 0,
    };
  } catch {
    return null;
  }
}

export function diskFreeMB(path: string): number | null {
  try {
    return megabytesFree(path);
  } catch {
    return null;
  }
}
