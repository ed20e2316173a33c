import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuMeter, temperatureC, throttled } from '../../src/features/system-stats.js';
import { tempDir } from '../helpers/temp-config.js';

describe('system stats read from the kernel', () => {
  it('takes the hottest thermal zone, in degrees', () => {
    const root = tempDir();
    for (const [zone, milli] of [
      ['thermal_zone0', '48312'],
      ['thermal_zone1', '61500'],
    ] as const) {
      mkdirSync(join(root, zone));
      writeFileSync(join(root, zone, 'temp'), `${milli}\n`);
    }
    expect(temperatureC(root)).toBe(61.5);
    expect(temperatureC(join(root, 'none'))).toBeNull();
  });

  it('decodes the Pi firmware throttling flags', () => {
    const node = join(tempDir(), 'get_throttled');
    writeFileSync(node, '50005\n');
    expect(throttled(node)).toEqual({ raw: '0x50005', underVoltage: true, throttledNow: true, occurred: true });
    writeFileSync(node, '0\n');
    expect(throttled(node)).toEqual({ raw: '0x0', underVoltage: false, throttledNow: false, occurred: false });
    expect(throttled(join(tempDir(), 'missing'))).toBeNull();
  });

  it('measures CPU between two calls as a share of all cores', () => {
    const m = new CpuMeter();
    const until = Date.now() + 200;
    while (Date.now() < until) Math.sqrt(Math.random());
    const p = m.percent();
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThanOrEqual(100);
  });
});
