import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ProcessMeter } from '../../src/features/process-meter.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

describe('ProcessMeter', () => {
  it('reports the heap as the last full collection left it, not the garbage made since', async () => {
    const meter = new ProcessMeter();
    await meter.start();
    const kept: number[][] = [];
    for (let i = 0; i < 200; i++) kept.push(new Array(10_000).fill(i));
    gc();
    await tick(); // the collection is reported to observers after it
    const afterGc = meter.figures().heapMB;
    const usedAfterGc = process.memoryUsage().heapUsed / 1048576;
    expect(Math.abs(afterGc - usedAfterGc)).toBeLessThan(2);
    // Garbage: allocated and dropped, not yet collected in full.
    (() => {
      const garbage: number[][] = [];
      for (let i = 0; i < 300; i++) garbage.push(new Array(10_000).fill(i));
    })();
    expect(process.memoryUsage().heapUsed / 1048576).toBeGreaterThan(afterGc + 10);
    expect(meter.figures().heapMB).toBe(afterGc);
    expect(kept.length).toBe(200);
    await meter.stop();
  });

  it('measures the event loop held up', async () => {
    const meter = new ProcessMeter();
    await meter.start();
    await tick();
    meter.figures();
    const until = Date.now() + 120;
    while (Date.now() < until) {
      // the loop held for 120 ms
    }
    await tick(150);
    expect(meter.figures().eventLoopLagMs).toBeGreaterThan(90);
    await tick(250);
    expect(meter.figures().eventLoopLagMs).toBeLessThan(80);
    await meter.stop();
  });
});
