import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/events.js';
import { MemoryWatch } from '../../src/features/memory-watch.js';
import { createLogger } from '../../src/core/log.js';

function watch(limit: number, readings: () => number | null) {
  const bus = new EventBus();
  const raised: unknown[] = [];
  bus.on({}, 'memory.growth', (p) => raised.push(p));
  const w = new MemoryWatch({
    bus,
    log: createLogger({ level: 'silent' }),
    limitMBPerHour: limit,
    readMB: readings,
    sampleS: 60,
    windowS: 3600,
  });
  return { w, raised };
}

/** Feeds `minutes` of one-a-minute samples, `mb(minute)` each. */
function feed(w: MemoryWatch, from: number, minutes: number, mb: (m: number) => number, set: (v: number) => void): void {
  for (let m = from; m < from + minutes; m++) {
    set(mb(m));
    w.check(m * 60);
  }
}

describe('MemoryWatch', () => {
  it("raises memory.growth once when the hour's trend passes the limit, not before a whole hour", () => {
    let v = 200;
    const { w, raised } = watch(30, () => v);
    // 1 MB a minute with noise: 60 MB/hour.
    feed(
      w,
      0,
      50,
      (m) => 200 + m + (m % 3) * 2,
      (x) => (v = x),
    );
    expect(raised).toEqual([]);
    feed(
      w,
      50,
      60,
      (m) => 200 + m + (m % 3) * 2,
      (x) => (v = x),
    );
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ limitMBPerHour: 30, windowMinutes: 60 });
    expect((raised[0] as { rateMBPerHour: number }).rateMBPerHour).toBeGreaterThan(55);
    expect((raised[0] as { rateMBPerHour: number }).rateMBPerHour).toBeLessThan(65);
  });

  it('stays quiet for a box whose memory jumps once (a class starting) and then holds', () => {
    let v = 200;
    const { w, raised } = watch(30, () => v);
    // 60 MB at once, at every place in the window the step can be.
    feed(
      w,
      0,
      360,
      (m) => (m < 70 ? 200 : m < 200 ? 260 : 300) + (m % 5),
      (x) => (v = x),
    );
    expect(raised).toEqual([]);
  });

  it('raises again only after the trend fell back below half the limit', () => {
    let v = 200;
    const { w, raised } = watch(30, () => v);
    feed(
      w,
      0,
      120,
      (m) => 200 + m,
      (x) => (v = x),
    );
    expect(raised).toHaveLength(1);
    feed(
      w,
      120,
      120,
      () => 320,
      (x) => (v = x),
    );
    expect(raised).toHaveLength(1);
    feed(
      w,
      240,
      120,
      (m) => 320 + (m - 240),
      (x) => (v = x),
    );
    expect(raised).toHaveLength(2);
  });

  it('is off at 0 and skips readings it cannot take', async () => {
    const off = watch(0, () => 1);
    await off.w.start();
    await off.w.stop();
    let v: number | null = null;
    const { w, raised } = watch(30, () => v);
    for (let m = 0; m < 120; m++) w.check(m * 60);
    expect(raised).toEqual([]);
    v = 1;
    w.check(121 * 60);
    expect(raised).toEqual([]);
  });

  it('gives free memory back before each sample, so that the trend is of memory in use', async () => {
    const order: string[] = [];
    const w = new MemoryWatch({
      bus: new EventBus(),
      log: createLogger({ level: 'silent' }),
      limitMBPerHour: 30,
      readMB: () => (order.push('read'), 100),
      trim: async () => void order.push('trim'),
      sampleS: 0.05,
    });
    await w.start();
    await new Promise((r) => setTimeout(r, 130));
    await w.stop();
    expect(order.slice(0, 4)).toEqual(['trim', 'read', 'trim', 'read']);
  });
});
