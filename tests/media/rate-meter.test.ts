import { describe, expect, it } from 'vitest';
import { RateMeter } from '../../src/media/rate-meter.js';

describe('RateMeter', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };
  /** 30 frames a second of 10 kB each (2400 kbit/s), for `seconds`. */
  const feed = (m: RateMeter, c: ReturnType<typeof clock>, seconds: number) => {
    for (let i = 0; i < seconds * 30; i++) {
      c.advance(1000 / 30);
      m.add(10_000);
    }
  };

  it('gives the same figures to every reader, however often they read', () => {
    const c = clock();
    const m = new RateMeter(c.now);
    feed(m, c, 10);
    const first = m.rates();
    expect(first).toEqual({ kbps: 2400, fps: 30 });
    // /metrics reads three times in one scrape; each read used to restart the meter and see ~0 s.
    expect(m.rates()).toEqual(first);
    expect(m.rates()).toEqual(first);
  });

  it('shows the rate from the start before a whole window has passed', () => {
    const c = clock();
    const m = new RateMeter(c.now);
    feed(m, c, 1);
    expect(m.rates().fps).toBeCloseTo(30, 0);
  });

  it('falls to zero when the stream stalls, and follows a change of rate within the window', () => {
    const c = clock();
    const m = new RateMeter(c.now);
    feed(m, c, 10);
    for (let i = 0; i < 12; i++) {
      c.advance(500);
      m.rates();
    }
    expect(m.rates()).toEqual({ kbps: 0, fps: 0 });
    for (let i = 0; i < 15 * 10; i++) {
      c.advance(100);
      m.add(5_000);
    }
    expect(m.rates()).toEqual({ kbps: 400, fps: 10 });
  });
});
