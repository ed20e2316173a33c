import { describe, expect, it } from 'vitest';
import { FarEndAligner } from '../../../src/media/echo/far-end-aligner.js';

const RATE = 16_000;
const BLOCK = 256;
const CHUNK = 160;

describe('the far end paired with the microphone', () => {
  it('counts the blocks the microphone sent on without their far end, which came too late', () => {
    const aligner = new FarEndAligner({ block: BLOCK, rate: RATE, behindMs: 50 });
    const chunk = new Float64Array(CHUNK).fill(0.1);
    let blocks = 0;
    // The far end 100 ms ahead, then held up for 150 ms (a playing pipeline's thread), then all of it at once.
    for (let t = 0; t < 100; t += 10) aligner.pushFar(chunk, t);
    for (let t = 0; t < 2000; t += 10) {
      if (t === 650) for (let k = 0; k < 15; k++) aligner.pushFar(chunk, t);
      if (t < 500 || t > 650) aligner.pushFar(chunk, t);
      aligner.pushMic(chunk, t);
      for (const _ of aligner.take(t)) blocks++;
    }
    expect(blocks).toBeGreaterThan(115);
    expect(aligner.farLate).toBeGreaterThan(0);
    // Only the stall's: at most its length in blocks.
    expect(aligner.farLate).toBeLessThanOrEqual(Math.ceil((150 * RATE) / 1000 / BLOCK) + 1);
  });

  it('counts none while the far end keeps ahead', () => {
    const aligner = new FarEndAligner({ block: BLOCK, rate: RATE, behindMs: 50 });
    const chunk = new Float64Array(CHUNK).fill(0.1);
    for (let t = 0; t < 100; t += 10) aligner.pushFar(chunk, t);
    for (let t = 0; t < 2000; t += 10) {
      aligner.pushFar(chunk, t);
      aligner.pushMic(chunk, t);
      for (const _ of aligner.take(t));
    }
    expect(aligner.farLate).toBe(0);
  });
});
