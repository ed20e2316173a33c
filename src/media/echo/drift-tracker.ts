/**
 * Keeps the room's echo still against the far end the canceller is given. Every half second it finds,
 * by cross-correlation, how many samples after the far end its echo comes (to a twentieth of a sample),
 * and from how that lag moves, the two clocks' ratio: the far end is then read at that ratio (see
 * FarEndAligner.ratio). Measured on a PulseAudio room, the echo moved 0.17 ms a second (170 ppm) against
 * its far end, which turns the phase at 3 kHz by half a turn a second: no adaptive filter follows that.
 */
export class DriftTracker {
  private readonly far: Float64Array;
  private readonly mic: Float64Array;
  private filled = 0;
  private sinceMeasure = 0;
  private lag: number | null = null;
  private target: number | null = null;
  private samples = 0;
  private corrected = 0;
  private points: Array<[number, number]> = [];

  constructor(
    private readonly o: {
      rate: number;
      /** The longest lag looked for (the canceller's reach). */
      maxLag: number;
      /** Samples correlated. */
      window?: number;
      /** Samples between measurements. */
      every?: number;
    },
  ) {
    const w = o.window ?? o.rate;
    this.far = new Float64Array(w + o.maxLag + 8);
    this.mic = new Float64Array(w);
  }

  reset(): void {
    this.filled = 0;
    this.sinceMeasure = 0;
    this.lag = null;
    this.target = null;
    this.points = [];
  }

  /**
   * The newest block of both (as given to the canceller) and the ratio the far end is read at now;
   * returns the ratio to read it at from here.
   */
  push(far: Float64Array, mic: Float64Array, ratio: number): number {
    roll(this.far, far);
    roll(this.mic, mic);
    this.filled += mic.length;
    this.sinceMeasure += mic.length;
    this.samples += mic.length;
    // What reading at this ratio has moved the far end by, so far: taken out of each lag measured, the
    // rest is the clocks' own drift, measured without the tracker's own hand in it.
    this.corrected += (ratio - 1) * mic.length;
    if (this.filled < this.far.length || this.sinceMeasure < (this.o.every ?? this.o.rate / 2)) return ratio;
    this.sinceMeasure = 0;
    const found = this.measure();
    if (!found) return ratio;
    const previous = this.lag;
    this.lag = found.lag;
    // A jump (the room changed, a packet lost) is a new path: the filter learns it; the clocks have not changed.
    if (previous === null || this.target === null || Math.abs(found.lag - previous) > 4) {
      this.target = found.lag;
      this.points = [];
    }
    this.points.push([this.samples, found.lag - this.corrected]);
    if (this.points.length > 12) this.points.shift();
    if (this.points.length < 4) return ratio;
    // The drift: the slope of the uncorrected lag over the last few seconds (least squares); and a
    // gentle pull back to where the echo was first found, over about three seconds.
    const slope = leastSquaresSlope(this.points);
    const pull = (found.lag - this.target) / (3 * this.o.rate);
    return Math.min(1.002, Math.max(0.998, 1 - slope - pull));
  }

  /** The lag with the strongest correlation: coarse (every fourth sample) where none is known, then to a fraction. */
  private measure(): { lag: number; correlation: number } | null {
    const { maxLag } = this.o;
    // Nothing played (a mix with nobody in it), or nothing heard: nothing to find, and a search over
    // the whole reach costs tens of milliseconds that the microphone would wait.
    if (energy(this.far) < 1e-6 * this.far.length || energy(this.mic) < 1e-8 * this.mic.length) return null;
    let best = -1;
    let bestR = 0;
    const around = this.lag === null ? null : Math.round(this.lag);
    const from = around === null ? 0 : Math.max(1, around - 8);
    const to = around === null ? maxLag : Math.min(maxLag - 1, around + 8);
    const step = around === null ? 4 : 1;
    for (let lag = from; lag <= to; lag += around === null ? 2 : 1) {
      const r = this.correlation(lag, step);
      if (r > bestR) [best, bestR] = [lag, r];
    }
    if (best < 0 || bestR < 0.3) return null;
    if (step > 1)
      for (let lag = Math.max(1, best - 4); lag <= Math.min(maxLag - 1, best + 4); lag++) {
        const r = this.correlation(lag, 1);
        if (r > bestR) [best, bestR] = [lag, r];
      }
    if (best < 1 || best >= maxLag - 1) return { lag: best, correlation: bestR };
    // A parabola through the peak and its neighbours places it between samples.
    const a = this.correlation(best - 1, 1);
    const c = this.correlation(best + 1, 1);
    const denom = a - 2 * bestR + c;
    const shift = denom < 0 ? (0.5 * (a - c)) / denom : 0;
    return { lag: best + Math.max(-0.5, Math.min(0.5, shift)), correlation: bestR };
  }

  /** Normalised correlation of the microphone with the far end `lag` samples before it (every `step`-th sample). */
  private correlation(lag: number, step: number): number {
    const { far, mic } = this;
    const offset = far.length - mic.length - lag;
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < mic.length; i += step) {
      const x = far[offset + i]!;
      const y = mic[i]!;
      xy += x * y;
      xx += x * x;
      yy += y * y;
    }
    return xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
  }
}

function energy(x: Float64Array): number {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += x[i]! * x[i]!;
  return e;
}

function leastSquaresSlope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

/** The newest samples in at the end, the oldest out at the start. */
function roll(history: Float64Array, newest: Float64Array): void {
  history.copyWithin(0, newest.length);
  history.set(newest, history.length - newest.length);
}
