import { describe, expect, it } from 'vitest';
import { AudioLevels, parseLevel, pathOfMeter } from '../../src/media/audio-levels.js';

describe('audio levels', () => {
  it("reads level's RMS as GStreamer prints it: one channel, two, silence", () => {
    expect(parseLevel('< -9.030900 >')).toBeCloseTo(-9.03, 1);
    // Two channels, one silent: half the power, 3 dB below the louder one.
    expect(parseLevel('< -20.0, -inf >')).toBeCloseTo(-23.0, 1);
    expect(parseLevel('< -inf, -inf >')).toBe(-100);
    expect(parseLevel('nonsense')).toBe(-100);
  });

  it('names paths by meter, and a meter that went quiet reads as silence', () => {
    expect(pathOfMeter('mic-level')).toBe('mic');
    expect(pathOfMeter('speaker-level')).toBe('speaker');
    expect(pathOfMeter('students-level')).toBe('source:students');
    expect(pathOfMeter('display')).toBeNull();
    let now = 0;
    const levels = new AudioLevels(() => now);
    levels.record('mic', -30);
    expect(levels.snapshot()).toEqual({ mic: -30 });
    now = 5000;
    expect(levels.snapshot()).toEqual({ mic: -100 });
  });
});
