import { cubic } from './cubic.js';
import { Spectrum } from './spectrum.js';

export interface EchoCancellerOptions {
  /** Samples a second of both signals. */
  rate: number;
  /** Samples per block (a power of two). */
  block?: number;
  /** How far behind the far end the echo may come: the room's path, the speakers' and the microphone's buffers. */
  filterMs?: number;
  /**
   * Adaptation step of the linear filter (0-1). On a room measured after its echo path changed: 0.6
   * reaches 20 dB in 4 s, 0.25 in 8 s; above 0.6 nothing is gained.
   */
  step?: number;
  /** The suppressor's deepest cut, where the far end plays and the near end does not (0-1 of amplitude). */
  suppressFloor?: number;
  /** How many times the residual echo the suppressor assumes (more takes more of the echo, and of a voice over it). */
  overdrive?: number;
}

/**
 * The room's echo taken out of the microphone: what the speakers played (the far end) is known, and the
 * way it comes back (the room, the speakers', the microphone's buffers) is learnt by a linear filter
 * that adapts in the frequency domain, one step per bin (a partitioned-block frequency-domain filter).
 * Each bin's step is scaled by the far end's power in that bin over the filter's length, with a floor
 * from its long-term power: bins the far end does not play in are not adapted, so a voice or a tone in
 * the room is never learnt as echo. The filter only subtracts; what it leaves (the last 15-20 dB of a
 * moving room) is taken by a suppressor that lowers a bin only by the share of it the filter's echo
 * estimate explains, so sound where the far end is silent passes whole.
 *
 * The far end must not arrive later than its echo; anything up to `filterMs` earlier is found.
 * Output is one block late (the suppressor's overlap).
 */
export class EchoCanceller {
  readonly block: number;
  private readonly rate: number;
  private readonly n: number;
  private readonly parts: number;
  private readonly step: number;
  private readonly floor: number;
  private readonly overdrive: number;

  private readonly fft: Spectrum;
  private readonly weights: Float64Array[];
  private readonly history: Float64Array[];
  private head = 0;
  /** The partition whose weights are constrained next (see adapt). */
  private constrainNext = 0;
  private longTerm = 0;
  private leakNum = 0;
  private leakDen = 0;
  private readonly window: Float64Array;
  // Scratch, kept between blocks.
  private readonly prevFar: Float64Array;
  private readonly prevErr: Float64Array;
  private readonly prevEcho: Float64Array;
  private readonly prevMic: Float64Array;
  private readonly overlap: Float64Array;
  private readonly frame: Float64Array;
  private readonly timeBuf: Float64Array;
  private readonly estimate: Float64Array;
  private readonly errSpec: Float64Array;
  private readonly grad: Float64Array;
  private readonly norm: Float64Array;
  private readonly errPower: Float64Array;
  private readonly micSpec: Float64Array;
  private readonly echoSpec: Float64Array;
  private readonly heardSpec: Float64Array;

  constructor(options: EchoCancellerOptions) {
    const n = options.block ?? 256;
    if (n < 16 || (n & (n - 1)) !== 0) throw new RangeError(`block ${n} is not a power of two of at least 16`);
    this.block = this.n = n;
    this.rate = options.rate;
    this.parts = Math.max(1, Math.ceil((((options.filterMs ?? 400) / 1000) * options.rate) / n));
    this.step = options.step ?? 0.6;
    this.floor = options.suppressFloor ?? 0.03;
    this.overdrive = options.overdrive ?? 4;
    this.fft = new Spectrum(2 * n);
    this.weights = Array.from({ length: this.parts }, () => this.fft.newSpectrum());
    this.history = Array.from({ length: this.parts }, () => this.fft.newSpectrum());
    // sqrt-Hann: analysis and synthesis together sum to one at 50 % overlap.
    this.window = Float64Array.from({ length: 2 * n }, (_, i) => Math.sin((Math.PI * i) / (2 * n)));
    this.prevFar = new Float64Array(n);
    this.prevErr = new Float64Array(n);
    this.prevEcho = new Float64Array(n);
    this.prevMic = new Float64Array(n);
    this.overlap = new Float64Array(n);
    this.frame = new Float64Array(2 * n);
    this.timeBuf = new Float64Array(2 * n);
    this.estimate = this.fft.newSpectrum();
    this.errSpec = this.fft.newSpectrum();
    this.grad = this.fft.newSpectrum();
    this.norm = new Float64Array(this.fft.bins);
    this.errPower = new Float64Array(this.fft.bins);
    this.micSpec = this.fft.newSpectrum();
    this.echoSpec = this.fft.newSpectrum();
    this.heardSpec = this.fft.newSpectrum();
  }

  /** The filter's reach: how late an echo can come and still be cancelled. */
  get reachMs(): number {
    return Math.round((this.parts * this.n * 1000) / this.rate);
  }

  /**
   * Where the filter holds most of the echo: how much later than the far end the room gives it back,
   * to a block (`null` before it has learnt anything).
   */
  get echoDelayMs(): number | null {
    let best = -1;
    let energy = 0;
    this.weights.forEach((w, p) => {
      let e = 0;
      for (let k = 0; k < w.length; k++) e += w[k]! ** 2;
      if (e > energy) [best, energy] = [p, e];
    });
    return energy > 1e-9 ? Math.round((best * this.n * 1000) / this.rate) : null;
  }

  /** One block of the far end and of the microphone (same length, same instant); the cleaned microphone, one block late. */
  process(far: ArrayLike<number>, mic: ArrayLike<number>): Float64Array {
    const { n, fft, timeBuf } = this;
    if (far.length !== n || mic.length !== n) throw new RangeError(`blocks are ${n} samples`);
    this.pushFar(far);

    // Echo estimate: the sum over partitions of weights times the far end's past spectra.
    const est = this.estimate;
    est.fill(0);
    for (let p = 0; p < this.parts; p++) {
      const w = this.weights[p]!;
      const h = this.history[(this.head - p + this.parts) % this.parts]!;
      for (let k = 0; k < est.length; k += 2) {
        est[k] = est[k]! + w[k]! * h[k]! - w[k + 1]! * h[k + 1]!;
        est[k + 1] = est[k + 1]! + w[k]! * h[k + 1]! + w[k + 1]! * h[k]!;
      }
    }
    fft.inverse(est, timeBuf);
    const echo = new Float64Array(n);
    const err = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      echo[i] = timeBuf[n + i]!;
      err[i] = mic[i]! - echo[i]!;
    }
    this.adapt(err);
    const out = this.suppress(err, echo, mic);
    // Whatever came in, the filter must not hold a NaN for the rest of the class: start again from nothing.
    if (!Number.isFinite(out[0]!) || !Number.isFinite(out[n - 1]!)) {
      this.reset();
      return Float64Array.from(mic, (v) => (Number.isFinite(v) ? v : 0));
    }
    return out;
  }

  /**
   * The far end is now read `blocks` blocks later than before (its pairing with the microphone moved
   * up): the same room's echo comes that many blocks later against it, and what was learnt moves with
   * it rather than be learnt again. The far end held moves too: it is that many blocks older than its
   * place said. `skipped`, the far end read over (`blocks` blocks of it), joins it where it was played:
   * its echo is still to come. Without it, taken as silence, that echo went out whole (a tenth of a
   * second) and what the filter learnt from it left the echo 29-35 dB down for two seconds after.
   */
  delayBy(blocks: number, skipped?: Float64Array): void {
    if (blocks <= 0) return;
    this.shiftBy(blocks * this.n);
    if (skipped?.length === blocks * this.n) {
      for (let b = 0; b < blocks; b++) this.pushFar(skipped.subarray(b * this.n, (b + 1) * this.n));
      return;
    }
    for (let i = 0; i < Math.min(blocks, this.parts); i++) {
      this.head = (this.head + 1) % this.parts;
      this.history[this.head]!.fill(0);
    }
    this.prevFar.fill(0);
  }

  /** A block of the far end into the history of spectra (with the block before it). */
  private pushFar(far: ArrayLike<number>): void {
    const { n, frame } = this;
    this.head = (this.head + 1) % this.parts;
    const x = this.history[this.head]!;
    frame.set(this.prevFar);
    for (let i = 0; i < n; i++) frame[n + i] = far[i]!;
    this.prevFar.set(frame.subarray(n));
    this.fft.forward(frame, x);
  }

  /**
   * The room's echo now comes `samples` later against the far end (earlier where negative): the
   * speakers skipped or repeated what the far end told here did not. What was learnt moves with it, to
   * the sample, rather than be learnt again (4 s to 20 dB).
   */
  shiftBy(samples: number): void {
    if (Math.abs(samples) < 0.01) return;
    const { n, parts, fft, timeBuf } = this;
    const taps = new Float64Array(parts * n);
    this.weights.forEach((w, p) => {
      fft.inverse(w, timeBuf);
      taps.set(timeBuf.subarray(0, n), p * n);
    });
    // Between samples by a 4-point cubic (the echo's path is band-limited well below half the rate):
    // a step of the speakers' sound is a fraction of a sample here as often as not.
    const tap = (i: number) => (i >= 0 && i < taps.length ? taps[i]! : 0);
    const moved = new Float64Array(taps.length);
    for (let i = 0; i < taps.length; i++) {
      const pos = i - samples;
      const k = Math.floor(pos);
      moved[i] = cubic(tap(k - 1), tap(k), tap(k + 1), tap(k + 2), pos - k);
    }
    this.weights.forEach((w, p) => {
      timeBuf.fill(0);
      timeBuf.set(moved.subarray(p * n, (p + 1) * n));
      fft.forward(timeBuf, w);
    });
  }

  /** A copy of what the filter has learnt, for `restore`. */
  snapshot(): Float64Array[] {
    return this.weights.map((w) => Float64Array.from(w));
  }

  /** What the filter had learnt when the snapshot was taken, back in place of what it holds now. */
  restore(weights: readonly Float64Array[]): void {
    this.weights.forEach((w, p) => w.set(weights[p]!));
  }

  /** Everything learnt forgotten. */
  reset(): void {
    for (const a of [
      ...this.weights,
      ...this.history,
      this.prevFar,
      this.prevErr,
      this.prevEcho,
      this.prevMic,
      this.overlap,
      this.errPower,
    ])
      a.fill(0);
    this.longTerm = this.leakNum = this.leakDen = 0;
  }

  /** One step of every partition's weights towards the error's correlation with the far end. */
  private adapt(err: Float64Array): void {
    const { n, fft, frame, timeBuf, norm, grad } = this;
    frame.fill(0, 0, n);
    frame.set(err, n);
    fft.forward(frame, this.errSpec);
    const e = this.errSpec;
    norm.fill(0);
    for (const h of this.history) for (let k = 0; k < norm.length; k++) norm[k] = norm[k]! + h[2 * k]! ** 2 + h[2 * k + 1]! ** 2;
    let mean = 0;
    for (let k = 0; k < norm.length; k++) mean += norm[k]!;
    mean /= norm.length;
    this.longTerm = Math.max(0.995 * this.longTerm, mean);
    const bias = 0.01 * this.longTerm + 1e-6;
    // The error's own power, per bin, joins the normalisation: where the room's own sound (a voice, a
    // tone, noise) outweighs the far end, the filter hardly moves. Without it a bin the far end barely
    // plays in learnt the near end as echo from the far end's faint noise there, and blew up.
    const errPower = this.errPower;
    for (let k = 0; k < norm.length; k++) errPower[k] = 0.9 * errPower[k]! + 0.1 * (e[2 * k]! ** 2 + e[2 * k + 1]! ** 2);
    for (let p = 0; p < this.parts; p++) {
      const h = this.history[(this.head - p + this.parts) % this.parts]!;
      for (let k = 0; k < norm.length; k++) {
        const g = this.step / (norm[k]! + bias + this.parts * errPower[k]!);
        // conj(X) * E
        grad[2 * k] = g * (h[2 * k]! * e[2 * k]! + h[2 * k + 1]! * e[2 * k + 1]!);
        grad[2 * k + 1] = g * (h[2 * k]! * e[2 * k + 1]! - h[2 * k + 1]! * e[2 * k]!);
      }
      const w = this.weights[p]!;
      for (let k = 0; k < w.length; k++) w[k] = w[k]! + grad[k]!;
    }
    // The circular wrap (each partition's second half in time) is taken out of one partition per
    // block, in turn, rather than out of every gradient: two transforms a block instead of two per
    // partition, which made the filter's work grow with the square of its blocks' rate (a 128-sample
    // block cost 2.4 times a 256-sample one). What wraps in the others meanwhile is a few blocks' worth
    // of small steps, cleared on their turn.
    const w = this.weights[this.constrainNext]!;
    fft.inverse(w, timeBuf);
    timeBuf.fill(0, n);
    fft.forward(timeBuf, w);
    this.constrainNext = (this.constrainNext + 1) % this.parts;
  }

  /** The spectrum of the last two blocks under the sqrt-Hann window (50 % overlap). */
  private windowed(prev: ArrayLike<number>, cur: ArrayLike<number>, out: Float64Array): void {
    const { n, frame, window } = this;
    for (let i = 0; i < n; i++) {
      frame[i] = prev[i]! * window[i]!;
      frame[n + i] = cur[i]! * window[n + i]!;
    }
    this.fft.forward(frame, out);
  }

  /**
   * Per bin, lowers what the filter's own echo estimate explains of the remainder. How much of the
   * estimate is left in the remainder (the leak) is learnt from the two's powers over the last second.
   */
  private suppress(err: Float64Array, echo: Float64Array, mic: ArrayLike<number>): Float64Array {
    const { n, fft, frame, window, micSpec: s, echoSpec: y, heardSpec: m } = this;
    this.windowed(this.prevErr, err, s);
    this.windowed(this.prevEcho, echo, y);
    this.windowed(this.prevMic, mic, m);
    this.prevErr.set(err);
    this.prevEcho.set(echo);
    this.prevMic.set(mic);

    let num = 0;
    let den = 0;
    for (let k = 0; k < s.length; k += 2) {
      const ps = s[k]! ** 2 + s[k + 1]! ** 2;
      const py = y[k]! ** 2 + y[k + 1]! ** 2;
      num += ps * py;
      den += py * py;
    }
    this.leakNum = 0.95 * this.leakNum + 0.05 * num;
    this.leakDen = 0.95 * this.leakDen + 0.05 * den;
    const leak = this.leakDen > 1e-20 ? Math.min(1, this.leakNum / this.leakDen) : 0;
    for (let k = 0; k < s.length; k += 2) {
      const pm = m[k]! ** 2 + m[k + 1]! ** 2;
      const py = y[k]! ** 2 + y[k + 1]! ** 2;
      let residual = this.overdrive * leak * py;
      // The filter only ever takes away. Where what it left is louder than the microphone, its estimate
      // is not in the microphone (the speakers skipped what came to them too late and played silence,
      // while the far end told here had it): subtracting it added its opposite, as loud as the echo.
      // That bin goes on as heard. Where the filter took less than half of a bin its estimate says is
      // mostly echo, the whole estimate is taken for echo left in it.
      const pe = s[k]! ** 2 + s[k + 1]! ** 2;
      if (pe > pm) {
        s[k] = m[k]!;
        s[k + 1] = m[k + 1]!;
      }
      if (pe > 0.5 * pm && py > 0.5 * pm) residual = Math.max(residual, py);
      const ps = s[k]! ** 2 + s[k + 1]! ** 2;
      const gain = ps > 1e-20 ? Math.min(1, Math.max(this.floor, 1 - residual / ps)) : 1;
      s[k] = s[k]! * gain;
      s[k + 1] = s[k + 1]! * gain;
    }
    fft.inverse(s, frame);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.overlap[i]! + frame[i]! * window[i]!;
      this.overlap[i] = frame[n + i]! * window[n + i]!;
    }
    return out;
  }
}
