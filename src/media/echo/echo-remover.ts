import { DriftTracker } from './drift-tracker.js';
import { EchoCanceller } from './echo-canceller.js';
import { FAR_END_EARLY_MS } from './echo-link.js';
import { FarEndAligner } from './far-end-aligner.js';

/**
 * 8 ms at 16 kHz. The microphone waits for a whole block and then for the suppressor's overlap (one
 * block more): 16 ms blocks cost the anchor's sound about 25 ms more (docs/media.md, the canceller).
 */
const BLOCK = 128;
/** The microphone is paired with the far end this far behind its newest sample (see FarEndAligner). */
const BEHIND_MS = 50;
/**
 * How far before its far end the echo is looked for, and how far after it it must come to be cancelled
 * (the filter holds only what comes after its far end, and the resamplers ring a few samples ahead).
 */
const AHEAD_MS = 100;
const LEAST_LAG_MS = 4;
/**
 * What the filter had learnt, kept at each measurement that found the echo where it was (every half
 * second), two seconds back. An echo that jumps is found again 0.5-1.5 s later (the tracker's window is
 * a second): meanwhile the filter has unlearnt the old path and begun the new one, and moving that
 * mixture to the new lag left the echo 13-24 dB down for the next second and a half. What it had learnt
 * 1.5 s before the jump was found, moved, is the room's path at once. Where the echo had not been
 * followed that long (a filter still learning its first path), what it holds is moved as it is.
 */
const SNAPSHOTS_KEPT = 4;
const SNAPSHOT_AGE_S = 1.5;
/**
 * A step of the echo (the speakers resynced their sound by a few samples: a buffer that reached them
 * with their ring nearly empty) is followed as a jump is, from a sample on: the filter took 2.5 s and
 * more to learn a step of 0.8-2.4 samples again (8-27 dB meanwhile). Smaller moves are left to it: in
 * the two-box rooms, following them from a quarter of a sample on also followed the lags' own scatter
 * (the 30 ms room 19-23 dB down in four runs of six, against 32-38).
 */
const LEAST_STEP_FOLLOWED = 1;

/**
 * The whole of what the canceller's process does with sound, without its sockets: the far end paired
 * with the microphone, its clock followed, the echo taken out. Samples in -1..1; `now` in milliseconds.
 */
export class EchoRemover {
  private readonly canceller: EchoCanceller;
  private readonly aligner: FarEndAligner;
  private readonly drift: DriftTracker;
  private pairing = 0;
  /**
   * What the filter had learnt, when (its block) and how far the pairing had moved up by then
   * (`advanced`), oldest first (see SNAPSHOTS_KEPT).
   */
  private snapshots: Array<{ block: number; advanced: number; weights: Float64Array[] }> = [];
  /** Samples the far end's pairing moved up since it was taken (see FarEndAligner.advance). */
  private advanced = 0;
  private finds = 0;
  /** Blocks processed, and the milliseconds they took. */
  blocks = 0;
  busyMs = 0;

  constructor(private readonly rate: number) {
    this.canceller = new EchoCanceller({ rate, block: BLOCK });
    this.aligner = new FarEndAligner({ block: BLOCK, rate, behindMs: BEHIND_MS });
    this.drift = new DriftTracker({
      rate,
      maxLag: Math.round((this.canceller.reachMs * rate) / 1000),
      ahead: Math.round((AHEAD_MS * rate) / 1000),
    });
  }

  pushFar(samples: ArrayLike<number>, now: number): void {
    this.aligner.pushFar(samples, now);
  }

  pushMic(samples: ArrayLike<number>, now: number): void {
    this.aligner.pushMic(samples, now);
  }

  /** The microphone's blocks ready now, cleaned. */
  *take(now: number): Generator<Float64Array> {
    const { aligner } = this;
    for (const pair of aligner.take(now)) {
      const t = performance.now();
      if (!aligner.paired || aligner.pairings !== this.pairing) {
        this.drift.reset();
        this.pairing = aligner.pairings;
        this.snapshots = [];
        this.advanced = 0;
      }
      if (aligner.moved > 0) {
        // The echo is that much later against the far end now. The tracker and what the filter learnt
        // move with it: a move up after a jump of the speakers and before the jump is found (the two come
        // together when a lesson is played earlier) lost the jump, and the filter learnt the room again
        // from nothing (the echo 12.7-19.8 dB down in the two-box test's next eight seconds, against 30).
        const skipped = concat(aligner.skipped);
        this.canceller.delayBy(aligner.moved, skipped);
        this.drift.skipFar(skipped);
        this.advanced += skipped.length;
        aligner.moved = 0;
        aligner.skipped = [];
      }
      if (aligner.paired) {
        aligner.ratio = this.drift.push(pair.far, pair.mic, aligner.ratio);
        const step = this.drift.takeStep();
        this.followJump(this.drift.takeJump() + (Math.abs(step) >= LEAST_STEP_FOLLOWED ? step : 0));
        this.keepEchoAfterFarEnd();
      }
      const clean = this.canceller.process(pair.far, pair.mic);
      this.busyMs += performance.now() - t;
      this.blocks++;
      yield clean;
    }
  }

  /**
   * The speakers' own timing jumped (a skew corrected, a late buffer skipped, a resync's step of a
   * sample or more) or the room's path changed: what the filter had learnt before it moves with the
   * echo. Otherwise it is kept now and then.
   */
  private followJump(jump: number): void {
    if (jump !== 0) {
      const oldest = this.blocks - (SNAPSHOT_AGE_S * this.rate) / BLOCK;
      const before = this.snapshots.filter((s) => s.block <= oldest).at(-1);
      if (before) this.canceller.restore(before.weights);
      this.canceller.shiftBy(jump + (before ? this.advanced - before.advanced : 0));
      this.snapshots = [];
      this.finds = this.drift.finds;
      return;
    }
    if (this.drift.finds === this.finds) return;
    this.finds = this.drift.finds;
    this.snapshots.push({ block: this.blocks, advanced: this.advanced, weights: this.canceller.snapshot() });
    if (this.snapshots.length > SNAPSHOTS_KEPT) this.snapshots.shift();
  }

  /**
   * An echo found before its far end, or too near it, cannot be cancelled (a pairing taken while the
   * far end came in a burst, a device that plays ahead of its pipeline's clock): the far end is paired
   * that many blocks newer, where the aligner has it, and what the filter learnt moves with it.
   */
  private keepEchoAfterFarEnd(): void {
    const lag = this.drift.lagSamples;
    const least = (LEAST_LAG_MS * this.rate) / 1000;
    if (lag === null || lag >= least) return;
    if (this.aligner.advance(Math.ceil((least - lag) / BLOCK))) this.echoBeforeFarEnd++;
  }

  /** Times the echo was found before its far end, and the far end paired newer for it. */
  echoBeforeFarEnd = 0;

  get paired(): boolean {
    return this.aligner.paired;
  }

  /** Microphone blocks that went out without their whole far end (it came too late): echo not cancelled. */
  get farLate(): number {
    return this.aligner.farLate;
  }

  /** Times the echo jumped against its far end (the speakers' timing, the room) and was followed. */
  get jumps(): number {
    return this.drift.jumps;
  }

  get realigned(): number {
    return this.aligner.realigned;
  }

  /** How far behind the far end, as the canceller is given it, the echo was last found (ms; null while not). */
  get lagFoundMs(): number | null {
    const lag = this.drift.lagSamples;
    return lag === null ? null : (lag * 1000) / this.rate;
  }

  get driftPpm(): number {
    return Math.round((this.aligner.ratio - 1) * 1e6);
  }

  /**
   * How long after the speakers played it the room gives the sound back: the filter's delay less the
   * far end's lead (sent early, paired behind its newest). It includes the speakers' and the
   * microphone's own buffers.
   */
  get echoDelayMs(): number | null {
    const filter = this.paired ? this.canceller.echoDelayMs : null;
    return filter === null ? null : Math.max(0, filter - FAR_END_EARLY_MS + BEHIND_MS);
  }
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
