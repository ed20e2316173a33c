// Sounds of a synthetic room, and how much of them is left: a far end like speech (noise in the voice
// band, four syllables a second, a pause every three), a near-end tone above that band, and the energy
// of each in a recording, measured by FFT.
import { writeFileSync } from 'node:fs';
import { Spectrum } from '../../src/media/echo/spectrum.js';

/** Noise shaped like a voice: 200-3,400 Hz, falling above 500 Hz, in syllables; peak about `peak`. */
export function speechLike(rate: number, seconds: number, peak = 0.5, seed = 1): Float64Array {
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32: the same far end every run.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296 - 0.5;
  };
  const n = Math.round(rate * seconds);
  const out = new Float64Array(n);
  const hp = biquad(rate, 200, 'high');
  const lp1 = biquad(rate, 3400, 'low');
  const lp2 = biquad(rate, 3400, 'low');
  const tilt = biquad(rate, 500, 'low');
  let max = 0;
  for (let i = 0; i < n; i++) {
    const white = random();
    const band = lp2(lp1(hp(white)));
    const v = 0.6 * tilt(band) + 0.4 * band;
    const t = i / rate;
    const syllable = Math.sin(2 * Math.PI * 4 * t) > 0 && t % 3 < 2.2 ? 1 : 0;
    out[i] = v * syllable;
    max = Math.max(max, Math.abs(out[i]!));
  }
  for (let i = 0; i < n; i++) out[i] = (out[i]! / max) * peak;
  return out;
}

export function tone(rate: number, seconds: number, hz: number, amplitude: number): Float64Array {
  return Float64Array.from({ length: Math.round(rate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
}

/** RBJ biquad, Q = 0.707. */
function biquad(rate: number, hz: number, kind: 'low' | 'high'): (x: number) => number {
  const w = (2 * Math.PI * hz) / rate;
  const alpha = Math.sin(w) / (2 * Math.SQRT1_2);
  const c = Math.cos(w);
  const b = kind === 'low' ? [(1 - c) / 2, 1 - c, (1 - c) / 2] : [(1 + c) / 2, -(1 + c), (1 + c) / 2];
  const a0 = 1 + alpha;
  const a1 = -2 * c;
  const a2 = 1 - alpha;
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  return (x) => {
    const y = (b[0]! * x + b[1]! * x1 + b[2]! * x2 - a1 * y1 - a2 * y2) / a0;
    x2 = x1;
    x1 = x;
    y2 = y1;
    y1 = y;
    return y;
  };
}

/** Energy in dB of a recording between two frequencies (the largest power-of-two span from its start). */
export function bandDb(samples: ArrayLike<number>, rate: number, fromHz: number, toHz: number): number {
  let size = 1;
  while (size * 2 <= samples.length) size *= 2;
  const fft = new Spectrum(size);
  const signal = Float64Array.from({ length: size }, (_, i) => samples[i]!);
  const spec = fft.newSpectrum();
  fft.forward(signal, spec);
  let energy = 0;
  for (let k = 0; k < fft.bins; k++) {
    const hz = (k * rate) / size;
    if (hz > fromHz && hz < toHz) energy += spec[2 * k]! ** 2 + spec[2 * k + 1]! ** 2;
  }
  return 10 * Math.log10(energy / size + 1e-20);
}

/** The far end's band and the near-end tone's, for ERLE and the near end's loss. */
export const FAR_BAND: [number, number] = [200, 3400];
export const nearBand = (hz: number): [number, number] => [hz - 50, hz + 50];

/** A mono 16-bit WAV file of samples in -1..1. */
export function writeWav(path: string, samples: ArrayLike<number>, rate: number): void {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32767))), 2 * i);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
}

/**
 * How many milliseconds `signal` comes after `reference` (negative: before) over `seconds` from `fromS`,
 * where they correlate best within `maxMs` either way: whether a simulated room's own path moved while
 * it was heard (two such figures from the start and the end of two recordings of it).
 */
export function lagMs(
  reference: ArrayLike<number>,
  signal: ArrayLike<number>,
  rate: number,
  fromS: number,
  seconds: number,
  maxMs: number,
): number {
  const from = Math.round(fromS * rate);
  const n = Math.round(seconds * rate);
  const max = Math.round((maxMs * rate) / 1000);
  let best = 0;
  let bestLag = 0;
  for (let lag = -max; lag <= max; lag++) {
    let sum = 0;
    for (let i = from; i < from + n; i++) {
      const j = i + lag;
      if (j >= 0 && j < signal.length && i < reference.length) sum += reference[i]! * signal[j]!;
    }
    if (sum > best) {
      best = sum;
      bestLag = lag;
    }
  }
  return (bestLag * 1000) / rate;
}
