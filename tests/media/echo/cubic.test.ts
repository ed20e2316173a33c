import { describe, expect, it } from 'vitest';
import { cubic } from '../../../src/media/echo/cubic.js';

describe('cubic (between samples)', () => {
  it('passes through its samples and keeps a straight line straight', () => {
    expect(cubic(4, -1, 3, 8, 0)).toBe(-1);
    expect(cubic(4, -1, 3, 8, 1)).toBe(3);
    expect(cubic(1, 2, 3, 4, 0.25)).toBeCloseTo(2.25, 12);
  });

  it('reads a 3 kHz tone sampled at 16 kHz between its samples within 5 % of its peak (4 % measured)', () => {
    const x = (n: number) => Math.sin((2 * Math.PI * 3000 * n) / 16_000);
    let worst = 0;
    for (let n = 1; n < 40; n++)
      for (const t of [0.1, 0.3, 0.5, 0.7, 0.9]) worst = Math.max(worst, Math.abs(cubic(x(n - 1), x(n), x(n + 1), x(n + 2), t) - x(n + t)));
    expect(worst).toBeLessThan(0.05);
  });
});
