import { cubic } from './cubic.js';

/**
 * Pairs each block of the microphone with the far end played at the same time. Both come as a stream
 * of samples at one rate; once paired, they advance sample for sample (the canceller's filter is learnt
 * for one offset: moving it by even one sample at 3 kHz turns the phase by a radian). The offset is
 * taken when the far end starts, `behindMs` behind its newest sample: the far end is sent early enough
 * (FAR_END_EARLY_MS) to lead its echo from there, and its bursts do not make the microphone wait. The
 * microphone never waits more than `maxWaitMs` for it: its sound would be late by that for the class.
 * When the far end stops, or comes ever later, the pairing is taken again.
 */
export interface AlignerOptions {
  block: number;
  rate: number;
  /**
   * How far behind the newest far-end sample the pairing is taken: the far end comes in bursts (a
   * playing pipeline's buffers), and a microphone paired with its newest sample would wait for each.
   */
  behindMs?: number;
  /** A far end silent this long has stopped. */
  staleMs?: number;
  /** A microphone block that waited this long for the far end goes with what there is of it. */
  maxWaitMs?: number;
  /** How long the far end's lead over the pairing is watched before it is judged too long (see `take`). */
  leadWindowMs?: number;
}

export class FarEndAligner {
  private readonly ring: Float64Array;
  private written = 0;
  private readPos: number | null = null;
  private lastFarAt = -Infinity;
  private readonly mic: number[] = [];
  /** Each piece of the microphone that came: the count of samples with it, and when. */
  private readonly arrivals: Array<[number, number]> = [];
  private micReceived = 0;
  private micTaken = 0;
  private readonly silence: Float64Array;
  /** Times the pairing was taken again after it had held. */
  realigned = 0;
  /**
   * Far-end samples read per microphone sample: the two clocks' ratio, set by the drift tracker. A
   * speaker and a microphone on different clocks (HDMI sound and a USB microphone) move the echo
   * against the far end by a sample every few seconds, and a filter cannot follow a moving echo.
   */
  ratio = 1;
  /**
   * Microphone blocks that went out while paired without their whole far end (it came more than
   * `maxWaitMs` late): the echo in them is not cancelled.
   */
  farLate = 0;
  /** Times the far end was paired with the microphone anew (what was learnt of the echo's timing is gone). */
  pairings = 0;
  /**
   * Blocks the pairing moved up by (see keepLead) since the canceller last looked: the echo comes that
   * much later against the far end, and the filter moves what it learnt with it.
   */
  moved = 0;
  /** The far end read over by those moves, oldest first: its echo is still to come (see EchoCanceller.delayBy). */
  skipped: Float64Array[] = [];
  /** The far end's shortest lead over the pairing since `leadSince` (samples). */
  private leastLead = Infinity;
  private leadSince = 0;

  constructor(private readonly o: AlignerOptions) {
    this.ring = new Float64Array(o.rate * 2);
    this.silence = new Float64Array(o.block);
  }

  get paired(): boolean {
    return this.readPos !== null;
  }

  pushFar(samples: ArrayLike<number>, now: number): void {
    for (let i = 0; i < samples.length; i++) this.ring[(this.written + i) % this.ring.length] = samples[i]!;
    this.written += samples.length;
    this.lastFarAt = now;
  }

  pushMic(samples: ArrayLike<number>, now: number): void {
    for (let i = 0; i < samples.length; i++) this.mic.push(samples[i]!);
    this.micReceived += samples.length;
    this.arrivals.push([this.micReceived, now]);
  }

  /** When the oldest sample the microphone holds came. */
  private oldestMicAt(): number {
    while (this.arrivals.length > 1 && this.arrivals[0]![0] <= this.micTaken) this.arrivals.shift();
    return this.arrivals[0]?.[1] ?? Infinity;
  }

  /** The far end between samples: 4-point cubic (Catmull-Rom), a few tenths of a dB off at 3.4 kHz. */
  private at(pos: number): number {
    const i = Math.floor(pos);
    const t = pos - i;
    const len = this.ring.length;
    const y0 = this.ring[(i - 1 + len) % len]!;
    const y1 = this.ring[i % len]!;
    const y2 = this.ring[(i + 1) % len]!;
    const y3 = this.ring[(i + 2) % len]!;
    return cubic(y0, y1, y2, y3, t);
  }

  /** The next pairs ready now: each a microphone block and the far end to cancel from it. */
  *take(now: number): Generator<{ mic: Float64Array; far: Float64Array }> {
    const { block, rate } = this.o;
    const behind = Math.round(((this.o.behindMs ?? 50) * rate) / 1000);
    const staleMs = this.o.staleMs ?? 200;
    const farLive = now - this.lastFarAt < staleMs;
    if (!farLive) this.readPos = null;
    else if (
      this.readPos === null ||
      this.written - this.readPos > Math.min(this.ring.length - block, behind + block + (staleMs * rate) / 1000)
    ) {
      // Paired anew (the far end started, or pulled ahead by more than the ring holds): what the
      // microphone holds from before goes out without a far end, so that it never waits behind it.
      if (this.readPos !== null) this.realigned++;
      this.pairings++;
      this.readPos = Math.max(0, this.written - block - behind);
      this.watchLead(now);
      while (this.mic.length >= 2 * block) yield { mic: this.nextMic(), far: this.silence };
    }
    if (this.readPos !== null) this.keepLead(now, behind);
    while (this.mic.length >= block) {
      let far = this.silence;
      if (this.readPos !== null) {
        // The cubic reads one sample past the block's last.
        const missing = Math.floor(this.readPos + block * this.ratio) + 2 - this.written;
        if (missing > 0) {
          // The far end's block is not all here: wait for it, but never longer than maxWaitMs (the
          // microphone's sound is late by what it waits). A far end that keeps coming late is paired
          // again where it is.
          const waitedMs = now - this.oldestMicAt() - (block * 1000) / rate;
          if (waitedMs < (this.o.maxWaitMs ?? 30)) return;
          this.farLate++;
          if (missing > block) {
            this.realigned++;
            this.pairings++;
            this.readPos = Math.max(0, this.written - block - 2);
            this.watchLead(now);
          }
        }
        far = new Float64Array(block);
        for (let i = 0; i < block; i++) {
          const pos = this.readPos + i * this.ratio;
          far[i] = pos >= 1 && pos + 2 < this.written ? this.at(pos) : 0;
        }
        this.readPos += block * this.ratio;
      }
      yield { mic: this.nextMic(), far };
    }
  }

  /**
   * Pairs the microphone with the far end `blocks` blocks newer, if the far end has them (a lead grown too
   * long, see keepLead; an echo found before its far end, see EchoRemover). Returns whether it moved.
   */
  advance(blocks: number): boolean {
    const { block } = this.o;
    if (this.readPos === null || blocks <= 0 || this.written - this.readPos - blocks * block < block + 2) return false;
    const over = new Float64Array(blocks * block);
    for (let i = 0; i < over.length; i++) over[i] = this.readPos + i >= 1 ? this.at(this.readPos + i) : 0;
    this.skipped.push(over);
    this.readPos += blocks * block;
    this.moved += blocks;
    this.realigned++;
    return true;
  }

  private watchLead(now: number): void {
    this.leastLead = Infinity;
    this.leadSince = now;
  }

  /**
   * A pairing taken while the far end came late (a playing pipeline's first buffers behind its clock)
   * holds the microphone to a far end that much older once it catches up: the echo then comes before
   * its far end and nothing of it can be cancelled, for the whole class (seen: 250 ms behind, the
   * echo 1.8 dB down). The lead is watched at its shortest (between bursts) and, when it stayed more
   * than three blocks over `behind` for a whole window, the pairing moves up to `behind`, in whole blocks.
   */
  private keepLead(now: number, behind: number): void {
    const { block } = this.o;
    this.leastLead = Math.min(this.leastLead, this.written - this.readPos!);
    if (now - this.leadSince < (this.o.leadWindowMs ?? 1000)) return;
    if (this.leastLead > behind + 3 * block) {
      // In whole blocks, so that the canceller can move what it learnt by as much (`moved`).
      this.advance(Math.floor((this.leastLead - behind) / block));
    }
    this.watchLead(now);
  }

  private nextMic(): Float64Array {
    this.micTaken += this.o.block;
    return Float64Array.from(this.mic.splice(0, this.o.block));
  }
}
