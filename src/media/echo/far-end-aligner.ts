/**
 * Pairs each block of the microphone with the block of the far end played just before it. Both come
 * as a stream of samples at one rate; once paired, they advance sample for sample (the canceller's
 * filter is learnt for one offset: moving it by even one sample at 3 kHz turns the phase by a radian).
 * The offset is taken when the far end starts, `leadBlocks` ahead of the newest far-end sample, so the
 * far end is never later than its echo even when its packets come unevenly; the microphone waits for
 * it that long. When the far end stops, or the two drift apart, the pairing is taken again.
 */
export interface AlignerOptions {
  block: number;
  rate: number;
  /** Blocks of far end the microphone waits for (the lead guaranteed). */
  leadBlocks?: number;
  /** A far end silent this long has stopped. */
  staleMs?: number;
  /** A microphone block that waited this long for the far end goes without it. */
  maxWaitMs?: number;
}

export class FarEndAligner {
  private readonly ring: Float64Array;
  private written = 0;
  private readPos: number | null = null;
  private lastFarAt = -Infinity;
  private readonly mic: number[] = [];
  private micReadyAt: number | null = null;
  private readonly silence: Float64Array;
  /** Times the pairing was taken again after it had held. */
  realigned = 0;
  /**
   * Far-end samples read per microphone sample: the two clocks' ratio, set by the drift tracker. A
   * speaker and a microphone on different clocks (HDMI sound and a USB microphone) move the echo
   * against the far end by a sample every few seconds, and a filter cannot follow a moving echo.
   */
  ratio = 1;
  /** Times the far end was paired with the microphone anew (what was learnt of the echo's timing is gone). */
  pairings = 0;

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
    if (this.micReadyAt === null && this.mic.length >= this.o.block) this.micReadyAt = now;
  }

  /** The next pairs ready now: each a microphone block and the far end to cancel from it. */
  /** The far end between samples: 4-point cubic (Catmull-Rom), a few tenths of a dB off at 3.4 kHz. */
  private at(pos: number): number {
    const i = Math.floor(pos);
    const t = pos - i;
    const len = this.ring.length;
    const y0 = this.ring[(i - 1 + len) % len]!;
    const y1 = this.ring[i % len]!;
    const y2 = this.ring[(i + 1) % len]!;
    const y3 = this.ring[(i + 2) % len]!;
    return y1 + 0.5 * t * (y2 - y0 + t * (2 * y0 - 5 * y1 + 4 * y2 - y3 + t * (3 * (y1 - y2) + y3 - y0)));
  }

  *take(now: number): Generator<{ mic: Float64Array; far: Float64Array }> {
    const { block, rate } = this.o;
    const lead = (this.o.leadBlocks ?? 2) * block;
    const stale = ((this.o.staleMs ?? 200) * rate) / 1000;
    const farLive = now - this.lastFarAt < (this.o.staleMs ?? 200);
    while (this.mic.length >= block) {
      let far = this.silence;
      if (!farLive) this.readPos = null;
      else {
        if (this.readPos === null) {
          this.readPos = this.written - block + lead;
          this.pairings++;
        }
        // Far end pulled ahead (a burst, a faster clock) by more than the ring can hold, or by far more than the lead: pair again.
        else if (this.written - this.readPos > Math.min(this.ring.length - block, lead + stale)) {
          this.realigned++;
          this.pairings++;
          this.readPos = this.written - block + lead;
        }
        // The cubic reads one sample past the block's last.
        if (Math.floor(this.readPos + block * this.ratio) + 2 > this.written) {
          // The far end's block is not here yet: wait, unless the microphone has waited too long.
          if (now - (this.micReadyAt ?? now) < (this.o.maxWaitMs ?? 100)) return;
          this.realigned++;
          this.readPos = null;
        } else {
          far = new Float64Array(block);
          for (let i = 0; i < block; i++) far[i] = this.at(this.readPos + i * this.ratio);
          this.readPos += block * this.ratio;
        }
      }
      const mic = Float64Array.from(this.mic.splice(0, block));
      this.micReadyAt = this.mic.length >= block ? now : null;
      yield { mic, far };
    }
  }
}
