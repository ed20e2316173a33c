import FFT from 'fft.js';

/**
 * Real signals to their spectra and back at one size, in preallocated arrays: the echo canceller runs
 * dozens of these per block, and a block every 8 ms for a whole class.
 * Spectra hold bins 0..size/2 as interleaved re, im.
 */
export class Spectrum {
  readonly bins: number;
  private readonly fft: FFT;
  private readonly full: Float64Array;
  private readonly back: Float64Array;

  constructor(readonly size: number) {
    this.fft = new FFT(size);
    this.bins = size / 2 + 1;
    this.full = new Float64Array(size * 2);
    this.back = new Float64Array(size * 2);
  }

  newSpectrum(): Float64Array {
    return new Float64Array(this.bins * 2);
  }

  /** `out` (bins) from `signal` (size samples). */
  forward(signal: Float64Array, out: Float64Array): void {
    this.fft.realTransform(this.full, signal);
    out.set(this.full.subarray(0, this.bins * 2));
  }

  /** `out` (size samples) from a spectrum of a real signal. */
  inverse(spectrum: Float64Array, out: Float64Array): void {
    const { full, size } = this;
    full.set(spectrum);
    // The upper half is the lower half's mirror, conjugated.
    for (let k = this.bins; k < size; k++) {
      full[2 * k] = spectrum[2 * (size - k)]!;
      full[2 * k + 1] = -spectrum[2 * (size - k) + 1]!;
    }
    this.fft.inverseTransform(this.back, full);
    for (let i = 0; i < size; i++) out[i] = this.back[2 * i]!;
  }
}
