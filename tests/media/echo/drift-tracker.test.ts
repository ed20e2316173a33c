import { describe, expect, it } from 'vitest';
import { DriftTracker } from '../../../src/media/echo/drift-tracker.js';

const RATE = 16_000;
const BLOCK = 128;

/** The tracker fed a far end of noise and a microphone that hears it `lag` samples later (6 dB down, over noise of its own). */
function found(lag: number): number | null {
  const tracker = new DriftTracker({ rate: RATE, maxLag: 6400, ahead: 1600 });
  let seed = 11;
  const noise = () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  const far = Float64Array.from({ length: 4 * RATE }, noise);
  for (let at = 8000; at + BLOCK <= far.length; at += BLOCK) {
    const mic = Float64Array.from({ length: BLOCK }, (_, i) => 0.5 * (far[at + i - lag] ?? 0) + 0.2 * noise());
    tracker.push(far.subarray(at, at + BLOCK), mic, 1);
  }
  return tracker.lagSamples;
}

describe('the drift tracker', () => {
  it('finds the echo anywhere in its reach, to the sample: 2 ms, 150 ms and 390 ms after its far end, and 60 ms before it', () => {
    for (const lag of [32, 2400, 6240, -960]) expect(found(lag)).toBeCloseTo(lag, 1);
  });
});
