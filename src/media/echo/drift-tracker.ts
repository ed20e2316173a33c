import { Spectrum } from './spectrum.js';

/** Lags measured before the drift is read from them, and at most kept (half a second apart). */
const POINTS_NEEDED = 8;
const POINTS_KEPT = 40;
/**
 * Measurements in a row that did not find the echo near its lag before it is looked for everywhere. A
 * speaker slaved to another clock corrects its skew in jumps of 20-50 ms (GStreamer's audio sinks):
 * each half second the echo is not followed costs its cancelling, and what the filter learns of the
 * new lag meanwhile is lost when what it learnt is moved there.
 */
const LOST_AFTER = 2;
/** The pull back to where the echo was found takes about this long (s). */
const PULL_S = 10;
/**
 * A lag that moves from one measurement to the next by more than this many times the usual move (and
 * a tenth of a sample at least) has stepped: the room's path, not the clocks. The usual move is the drift's
 * own (1.2 samples a measurement at 150 ppm) and the lags' scatter (hundredths of a sample in a still
 * room).
 */
const STEP_TIMES = 3;
const LEAST_STEP = 0.1;

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
  private misses = 0;
  private readonly ahead: number;
  /** How well the echo correlates with its far end where it is found, lately. */
  private typical = 0;
  /** Where the echo was last found, kept while it is looked for anew (null after a reset). */
  private lastFound: number | null = null;
  /** How far the echo moved since it was last taken (see `takeJump`), samples. */
  private jump = 0;
  /** Jumps of the echo found since the tracker was made (resets do not clear it). */
  jumps = 0;
  /** Measurements that found the echo, since the tracker was made. */
  finds = 0;
  /** The steps of the echo so far (samples), taken out of the lags the drift is read from. */
  private stepped = 0;
  /** The steps since they were last taken (see `takeStep`), samples. */
  private step = 0;
  /** How far the lag moved at each of the last measurements (samples). */
  private moves: number[] = [];
  /** What the search over the whole reach works in, made at its first use. */
  private transform:
    | { spectrum: Spectrum; a: Float64Array; b: Float64Array; farSpec: Float64Array; micSpec: Float64Array; energy: Float64Array }
    | undefined;

  constructor(
    private readonly o: {
      rate: number;
      /** The longest lag looked for (the canceller's reach). */
      maxLag: number;
      /** Samples correlated. */
      window?: number;
      /** Samples between measurements. */
      every?: number;
      /**
       * How far before its far end an echo is looked for (samples). The microphone correlated is that
       * much older than its newest.
       */
      ahead?: number;
    },
  ) {
    const w = o.window ?? o.rate;
    this.ahead = o.ahead ?? 0;
    this.far = new Float64Array(w + this.ahead + o.maxLag + 8);
    this.mic = new Float64Array(w + this.ahead);
  }

  /** How many samples after the far end the echo was last found (null while it is not known). */
  get lagSamples(): number | null {
    return this.lag;
  }

  /**
   * How many samples later the echo comes than where it was found before, since this was last asked (0
   * where it has not moved): the speakers' timing jumped while the clocks stayed as they were.
   */
  takeJump(): number {
    const jump = this.jump;
    this.jump = 0;
    return jump;
  }

  /**
   * How many samples later the echo comes, by steps of less than a jump, since this was last asked: the
   * speakers resynced their sound by a few samples (a buffer that came with their ring nearly empty).
   */
  takeStep(): number {
    const step = this.step;
    this.step = 0;
    return step;
  }

  /**
   * The far end is given newer from here (its pairing moved up over `skipped`): the echo comes that
   * much later against it. What was read over joins the far end held, and where the echo was found
   * moves with it, so that a jump of the speakers not yet found is still found as one.
   */
  skipFar(skipped: Float64Array): void {
    if (skipped.length === 0) return;
    roll(this.far, skipped.length > this.far.length ? skipped.subarray(skipped.length - this.far.length) : skipped);
    if (this.lastFound !== null) this.lastFound += skipped.length;
    if (this.lag !== null) this.lag += skipped.length;
    if (this.target !== null) this.target += skipped.length;
    this.stepped += skipped.length;
  }

  reset(): void {
    this.lastFound = null;
    this.jump = 0;
    this.step = 0;
    this.typical = 0;
    this.filled = 0;
    this.sinceMeasure = 0;
    this.lag = null;
    this.target = null;
    this.points = [];
    this.misses = 0;
    this.moves = [];
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
    let found = this.measure();
    // Not near its lag: looked for everywhere at once, and taken where it correlates about as well as
    // the echo has lately (a jump of the speakers' timing is followed within a second).
    if (found === 'lost') {
      const anywhere = this.measure(true);
      if (anywhere && anywhere !== 'lost' && anywhere.correlation >= 0.8 * this.typical) found = anywhere;
    }
    if (!found) return ratio;
    if (found === 'lost') {
      // Not where it was, though both sides had sound: the room changed by more than the search
      // around the last lag covers (a microphone moved, another room's path). Looked for over the
      // whole reach again; the clocks have not changed, so the ratio stays.
      if (++this.misses >= LOST_AFTER) this.lag = null;
      return ratio;
    }
    this.misses = 0;
    this.finds++;
    const previous = this.lastFound;
    this.lag = this.lastFound = found.lag;
    this.typical = this.typical === 0 ? found.correlation : 0.8 * this.typical + 0.2 * found.correlation;
    // A jump (the room changed, the speakers' timing jumped) is a new path: what the filter learnt moves
    // there (see takeJump); the clocks have not changed. Found again where it was (after a pause in the
    // far end), the drift read so far stands.
    const jumped = previous !== null && Math.abs(found.lag - previous) > 4;
    if (jumped) {
      this.jump += found.lag - previous;
      this.jumps++;
    }
    if (previous === null || this.target === null || jumped) {
      this.target = found.lag;
      this.points = [];
      this.moves = [];
    } else this.absorbStep(found.lag - previous);
    this.points.push([this.samples, found.lag - this.corrected - this.stepped]);
    if (this.points.length > POINTS_KEPT) this.points.shift();
    if (this.points.length < POINTS_NEEDED) return ratio;
    // The drift: the slope of the uncorrected lag over the last seconds (least squares), taken only
    // where it stands out of the lags' own scatter; and a gentle pull back to where the echo was first
    // found, beyond a sample.
    const slope = significantSlope(this.points);
    const off = found.lag - this.target;
    const pull = Math.abs(off) > 1 ? (off - Math.sign(off)) / (PULL_S * this.o.rate) : 0;
    return Math.min(1.002, Math.max(0.998, 1 - slope - pull));
  }

  /**
   * A move of the lag far beyond its usual ones is a step of the room's path (PulseAudio's rooms moved
   * theirs by a fraction of a sample to a few samples now and then): read as the slope of the lags it
   * was taken for 4-45 ppm of drift, which then moved the far end against an echo that stood still.
   * It is taken out of the lags the drift is read from, and the echo is kept where it now is.
   */
  private absorbStep(move: number): void {
    const usual = this.moves.length >= 4 ? median(this.moves.map(Math.abs)) : Infinity;
    this.moves.push(move);
    if (this.moves.length > POINTS_NEEDED) this.moves.shift();
    if (Math.abs(move) <= Math.max(LEAST_STEP, STEP_TIMES * usual)) return;
    this.stepped += move;
    this.target! += move;
    this.step += move;
  }

  /**
   * The lag with the strongest correlation: coarse (every fourth sample) where none is known, then to a
   * fraction. `lost`: both sides had sound, and the echo was not near the lag known.
   */
  private measure(everywhere = false): { lag: number; correlation: number } | 'lost' | null {
    const { maxLag } = this.o;
    // Nothing played (a mix with nobody in it), or nothing heard: nothing to find, and a search over
    // the whole reach costs tens of milliseconds that the microphone would wait.
    if (energy(this.far) < 1e-6 * this.far.length || energy(this.mic) < 1e-8 * this.mic.length) return null;
    let best = -Infinity;
    let bestR = 0;
    const around = this.lag === null || everywhere ? null : Math.round(this.lag);
    const least = 1 - this.ahead;
    const whole = around === null ? this.wholeReach() : undefined;
    const r = (lag: number) => (whole ? whole(lag) : this.correlation(lag));
    const from = around === null ? least : Math.max(least, around - 8);
    const to = around === null ? maxLag : Math.min(maxLag - 1, around + 8);
    for (let lag = from; lag <= to; lag++) {
      const rl = r(lag);
      if (rl > bestR) [best, bestR] = [lag, rl];
    }
    if (bestR < 0.3) return around === null ? null : 'lost';
    if (best <= least || best >= maxLag - 1) return { lag: best, correlation: bestR };
    // A parabola through the peak and its neighbours places it between samples.
    const a = r(best - 1);
    const c = r(best + 1);
    const denom = a - 2 * bestR + c;
    const shift = denom < 0 ? (0.5 * (a - c)) / denom : 0;
    return { lag: best + Math.max(-0.5, Math.min(0.5, shift)), correlation: bestR };
  }

  /**
   * The normalised correlation at every lag of the reach at once, by transforms. Lag by lag, the search
   * ran every half second wherever the echo was not found (a room whose microphone does not hear its
   * speakers, a headset): the remover then worked 92 ms a second of sound on the development machine,
   * 27 with this.
   */
  private wholeReach(): (lag: number) => number {
    const { far, mic } = this;
    const length = mic.length - this.ahead;
    const size = 2 ** Math.ceil(Math.log2(far.length));
    if (!this.transform) {
      const spectrum = new Spectrum(size);
      this.transform = {
        spectrum,
        a: new Float64Array(size),
        b: new Float64Array(size),
        farSpec: spectrum.newSpectrum(),
        micSpec: spectrum.newSpectrum(),
        energy: new Float64Array(far.length + 1),
      };
    }
    const { spectrum, a, b, farSpec, micSpec, energy: sums } = this.transform;
    a.fill(0).set(far);
    spectrum.forward(a, farSpec);
    b.fill(0).set(mic.subarray(0, length));
    spectrum.forward(b, micSpec);
    // far times the microphone's conjugate: at k, the sum of far[k + i] * mic[i].
    for (let k = 0; k < farSpec.length; k += 2) {
      const [re, im] = [farSpec[k]!, farSpec[k + 1]!];
      farSpec[k] = re * micSpec[k]! + im * micSpec[k + 1]!;
      farSpec[k + 1] = im * micSpec[k]! - re * micSpec[k + 1]!;
    }
    spectrum.inverse(farSpec, a);
    for (let i = 0; i < far.length; i++) sums[i + 1] = sums[i]! + far[i]! * far[i]!;
    let yy = 0;
    for (let i = 0; i < length; i++) yy += mic[i]! * mic[i]!;
    return (lag) => {
      const offset = far.length - mic.length - lag;
      const xx = sums[offset + length]! - sums[offset]!;
      return xx > 0 && yy > 0 ? a[offset]! / Math.sqrt(xx * yy) : 0;
    };
  }

  /** Normalised correlation of the microphone with the far end `lag` samples before it. */
  private correlation(lag: number): number {
    const { far, mic } = this;
    const offset = far.length - mic.length - lag;
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < mic.length - this.ahead; i++) {
      const x = far[offset + i]!;
      const y = mic[i]!;
      xy += x * y;
      xx += x * x;
      yy += y * y;
    }
    return xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function energy(x: Float64Array): number {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += x[i]! * x[i]!;
  return e;
}

/**
 * The least-squares slope of the points, or 0 where it is within three of its own standard errors of
 * none: each lag is found to a fraction of a sample that wanders (resamplers, buffers), and a slope read
 * from that scatter alone moved the far end against an echo that stood still.
 */
function significantSlope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  if (sxx <= 0) return 0;
  const slope = sxy / sxx;
  let residual = 0;
  for (const [x, y] of points) residual += (y - my - slope * (x - mx)) ** 2;
  const stderr = Math.sqrt(residual / (n - 2) / sxx);
  return Math.abs(slope) > 3 * stderr ? slope : 0;
}

/** The newest samples in at the end, the oldest out at the start. */
function roll(history: Float64Array, newest: Float64Array): void {
  history.copyWithin(0, newest.length);
  history.set(newest, history.length - newest.length);
}
