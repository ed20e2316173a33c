import { describe, expect, it } from 'vitest';
import { EchoCanceller } from '../../../src/media/echo/echo-canceller.js';
import { bandDb, FAR_BAND, nearBand, speechLike, tone } from '../../helpers/room-sound.js';

const RATE = 16_000;
const SECONDS = 16;
const NEAR_HZ = 5000;

/** A room: the far end `delayMs` later, 6 dB down, with a reverberant tail, a near-end tone and a little noise. */
function room(far: Float64Array, delayMs: number): Float64Array {
  const d = Math.round((RATE * delayMs) / 1000);
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  const tail = Float64Array.from({ length: 800 }, (_, k) => (k === 0 ? 0.5 : 0.15 * random() * Math.exp(-k / (RATE * 0.03))));
  const near = tone(RATE, SECONDS, NEAR_HZ, 0.1);
  const mic = new Float64Array(far.length);
  for (let i = 0; i < mic.length; i++) {
    let echo = 0;
    for (let k = 0; k < tail.length; k++) if (i - d - k >= 0) echo += far[i - d - k]! * tail[k]!;
    mic[i] = echo + near[i]! + 0.0005 * random();
  }
  return mic;
}

function cancel(far: Float64Array, mic: Float64Array, aec = new EchoCanceller({ rate: RATE })): Float64Array {
  const out = new Float64Array(mic.length);
  for (let i = 0; i + aec.block <= mic.length; i += aec.block)
    out.set(aec.process(far.subarray(i, i + aec.block), mic.subarray(i, i + aec.block)), i);
  return out;
}

/** The last half of both, the output taken one block later (the suppressor's overlap). */
function measure(mic: Float64Array, out: Float64Array) {
  const from = mic.length / 2;
  const m = mic.subarray(from, mic.length - 256);
  const o = out.subarray(from + 256);
  return {
    echoDownDb: bandDb(m, RATE, ...FAR_BAND) - bandDb(o, RATE, ...FAR_BAND),
    nearDownDb: bandDb(m, RATE, ...nearBand(NEAR_HZ)) - bandDb(o, RATE, ...nearBand(NEAR_HZ)),
  };
}

describe('the echo canceller', () => {
  for (const delayMs of [30, 100, 150, 250]) {
    it(`takes a room's echo ${delayMs} ms late at least 20 dB down and leaves the near end whole`, () => {
      const far = speechLike(RATE, SECONDS);
      const aec = new EchoCanceller({ rate: RATE });
      const { echoDownDb, nearDownDb } = measure(room(far, delayMs), cancel(far, room(far, delayMs), aec));
      expect(echoDownDb).toBeGreaterThanOrEqual(20);
      expect(Math.abs(nearDownDb)).toBeLessThan(0.5);
      // Where it learnt the echo: to the block.
      expect(Math.abs(aec.echoDelayMs! - delayMs)).toBeLessThanOrEqual(16);
    });
  }

  it('does not learn the near end from a far end that is faint where the near end is loud (a coded far end)', () => {
    // A far end as a codec delivers it: the voice, and faint noise across the whole band (-50 dB).
    const far = speechLike(RATE, SECONDS);
    let seed = 3;
    for (let i = 0; i < far.length; i++) far[i] = far[i]! + 0.003 * ((seed = (seed * 69069 + 1) % 4294967296) / 4294967296 - 0.5);
    const mic = room(far, 100);
    // The near end 10 dB louder than in the room above: it outweighs the far end's faint share of its band.
    const loud = tone(RATE, SECONDS, NEAR_HZ, 0.3);
    for (let i = 0; i < mic.length; i++) mic[i] = mic[i]! + loud[i]!;
    const out = cancel(far, mic);
    const { echoDownDb, nearDownDb } = measure(mic, out);
    expect(echoDownDb).toBeGreaterThanOrEqual(20);
    expect(Math.abs(nearDownDb)).toBeLessThan(0.5);
    // Never louder than what came in, anywhere along the way (a filter that learnt the tone blew up).
    for (let s = 0; s + RATE <= mic.length; s += RATE)
      expect(bandDb(out.subarray(s, s + RATE), RATE, 0, 8000)).toBeLessThan(bandDb(mic.subarray(s, s + RATE), RATE, 0, 8000) + 1);
  });

  it('keeps what it learnt when the far end is read two blocks later: the echo still 20 dB down in the second after its next pause', () => {
    const far = speechLike(RATE, SECONDS + 1);
    const mic = room(far, 100);
    const half = (SECONDS / 2) * RATE;
    const shift = 512;
    const after = (moved: boolean) => {
      const aec = new EchoCanceller({ rate: RATE });
      const out = new Float64Array(mic.length);
      for (let i = 0; i + aec.block + shift <= mic.length; i += aec.block) {
        if (i === half && moved) aec.delayBy(shift / aec.block);
        const f = i < half ? far.subarray(i, i + aec.block) : far.subarray(i + shift, i + shift + aec.block);
        out.set(aec.process(f, mic.subarray(i, i + aec.block)), i);
      }
      // The speech-like far end pauses just after the move; the second after that.
      const m = mic.subarray(half + RATE, half + 2 * RATE);
      const o = out.subarray(half + RATE + 256, half + 2 * RATE + 256);
      return bandDb(m, RATE, ...FAR_BAND) - bandDb(o, RATE, ...FAR_BAND);
    };
    const kept = after(true);
    const relearnt = after(false);
    expect(kept).toBeGreaterThanOrEqual(20);
    expect(kept).toBeGreaterThan(relearnt + 6);
  });

  it('never adds what the speakers skipped: the far end told here played, 20 ms of it not heard', () => {
    // A buffer late at the speakers is skipped there (silence played instead) while the far end told
    // here has it: the filter's estimate of its echo, subtracted from a microphone without it, came out
    // as loud as the echo (4-15 dB of a syllable's echo cancelled where it happened in the two-box test).
    const far = speechLike(RATE, SECONDS);
    const played = Float64Array.from(far);
    const skips: number[] = [];
    for (let s = 9 * RATE; s < SECONDS * RATE - RATE; s += RATE) {
      // Where a syllable plays: 20 ms of it skipped.
      let at = s;
      while (Math.abs(far[at]!) < 0.05) at++;
      played.fill(0, at + 800, at + 1120);
      skips.push(at + 800);
    }
    const mic = room(played, 100);
    const out = cancel(far, mic);
    for (const at of skips) {
      // From 50 ms before where its echo would have come (100 ms later) to 150 ms after.
      const from = at + 1600 - 800;
      const m = mic.subarray(from, from + 3200);
      const o = out.subarray(from + 256, from + 3456);
      // 9.7-15.6 dB over the 200 ms around each skip before, 14.9-19.7 since (48-51 without the skip).
      expect(bandDb(m, RATE, ...FAR_BAND) - bandDb(o, RATE, ...FAR_BAND)).toBeGreaterThanOrEqual(14);
    }
  });

  it('moves what it learnt with the echo, to the sample: 20 dB down in the second after a 20 ms jump', () => {
    const far = speechLike(RATE, SECONDS);
    const half = (SECONDS / 2) * RATE;
    const mic = Float64Array.from(room(far, 100));
    mic.set(room(far, 80).subarray(half), half);
    const down = (shifted: boolean) => {
      const aec = new EchoCanceller({ rate: RATE });
      const out = new Float64Array(mic.length);
      for (let i = 0; i + aec.block <= mic.length; i += aec.block) {
        if (i === half && shifted) aec.shiftBy(-320);
        out.set(aec.process(far.subarray(i, i + aec.block), mic.subarray(i, i + aec.block)), i);
      }
      const m = mic.subarray(half, half + RATE);
      return bandDb(m, RATE, ...FAR_BAND) - bandDb(out.subarray(half + 256, half + RATE + 256), RATE, ...FAR_BAND);
    };
    expect(down(true)).toBeGreaterThanOrEqual(20);
    expect(down(true)).toBeGreaterThan(down(false) + 6);
  });

  it('passes the microphone through, one block late, when nothing plays', () => {
    const silent = new Float64Array(RATE * 4);
    const mic = tone(RATE, 4, 1000, 0.2);
    const out = cancel(silent, mic);
    for (let i = 1024; i < mic.length - 256; i += 97) expect(out[i + 256]).toBeCloseTo(mic[i]!, 6);
  });

  it('forgets what it learnt rather than keep a NaN that came in', () => {
    const aec = new EchoCanceller({ rate: RATE });
    const far = speechLike(RATE, 2);
    const mic = room(far, 30).subarray(0, far.length);
    const bad = new Float64Array(aec.block).fill(Number.NaN);
    const first = aec.process(bad, mic.subarray(0, aec.block));
    expect(first.every(Number.isFinite)).toBe(true);
    for (let i = aec.block; i + aec.block <= mic.length; i += aec.block)
      expect(aec.process(far.subarray(i, i + aec.block), mic.subarray(i, i + aec.block)).every(Number.isFinite)).toBe(true);
  });

  it('refuses blocks of another length', () => {
    const aec = new EchoCanceller({ rate: RATE });
    expect(() => aec.process(new Float64Array(100), new Float64Array(100))).toThrow(/256/);
    expect(() => new EchoCanceller({ rate: RATE, block: 100 })).toThrow(/power of two/);
  });
});
