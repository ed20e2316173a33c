import type { Logger } from 'pino';
import type { RunningPipeline } from './runner.js';
import { parseSrtStats } from './srt-stats.js';

/** SRT's own default: where a link whose round trip is not known yet starts. */
export const SRT_START_LATENCY_MS = 120;
/**
 * The least latency a measured link is given. On a school LAN or one machine the round trip is under a
 * millisecond, and 20 ms still leaves a lost packet time to be asked for again and resent.
 */
export const SRT_FLOOR_LATENCY_MS = 20;
/** The most a measured link is given (the config's `latencyMs` may ask for more). */
const SRT_CEILING_LATENCY_MS = 2000;
/**
 * What an SRT sender asks of its receivers when its URL names no `latency`: the least. libsrt agrees
 * on the larger of the two sides' figures, so the receiver, which measures its link, decides.
 */
export const SRT_SENDER_LATENCY_MS = SRT_FLOOR_LATENCY_MS;

/** A call is lowered to its link's figure only this soon after it connects (before or just after its first picture). */
const LOWER_WITHIN_MS = 5000;
/** Lowered only by a quarter or more: a round trip that wavers does not call again for a few milliseconds. */
const LOWER_BELOW = 0.75;
/** Raised when the link wants a quarter more or beyond... */
const RAISE_ABOVE = 1.25;
/** ...for this long. */
const RAISE_AFTER_MS = 2000;
/** A loss rate is read from this many packets or more (a 2.5 Mbit/s lesson sends them in about a second). */
const LOSS_SAMPLE_PACKETS = 300;
/** Not lowered again this soon after it had to be raised: a link that wavers stays at its worst. */
const NO_LOWER_AFTER_RAISE_MS = 60_000;

/**
 * The latency an SRT link needs: time for a lost packet to be reported and sent again, more than once
 * where the network loses more (SRT's guidance: four round trips up to 1 % of packets lost, six up to
 * 5 %, eight beyond), never under the floor, in steps of 5 ms.
 */
export function latencyForLink(rttMs: number, lossRate = 0): number {
  const roundTrips = lossRate > 0.05 ? 8 : lossRate > 0.01 ? 6 : 4;
  const wanted = Math.ceil((roundTrips * rttMs) / 5) * 5;
  return Math.min(SRT_CEILING_LATENCY_MS, Math.max(SRT_FLOOR_LATENCY_MS, wanted));
}

/** True where an SRT URL names its own latency (`?latency=`): the user's figure, kept as it is. */
export function namesLatency(url: string): boolean {
  return new URL(url).searchParams.has('latency');
}

/**
 * One SRT receiver's latency, fitted to its link. SRT's default (120 ms) is a guess for links between
 * sites; on a school's LAN it is 100 ms the lesson waits for nothing, once on every hop and once more
 * where the room plays it on the clock. A receiver without `latencyMs` in its config starts at the
 * default, reads the round trip (and, once it has enough packets, the loss) from its element's figures
 * as soon as the call is up, and calls again with what the link needs (`latencyForLink`): its element
 * alone, back in tens of milliseconds (measured on loopback: 30 ms for a caller, 70 ms for a listener
 * and the sender that calls it again by itself). Lowered only early in a call (before or about its
 * first picture), raised whenever the link has wanted a quarter more for 2 s; the figure is kept for
 * the next call and the next build of the pipeline.
 */
export class SrtLatencyTuner {
  /** The latency the receiver calls with now. */
  latencyMs: number;
  private connectedAt: number | undefined;
  private tooLowSince: number | undefined;
  private raisedAt: number | undefined;

  constructor(
    private readonly source: string,
    private readonly element: string,
    private readonly log: Logger,
  ) {
    this.latencyMs = SRT_START_LATENCY_MS;
  }

  /** Called at each check of the receiver's pipeline. */
  watch(p: Pick<RunningPipeline, 'get' | 'set' | 'restartElement'>, now = Date.now()): void {
    const stats = parseSrtStats(p.get(this.element, 'stats'));
    if (!stats || stats.peers === 0 || stats.rttMs === null) {
      this.connectedAt = undefined;
      this.tooLowSince = undefined;
      return;
    }
    this.connectedAt ??= now;
    const wanted = latencyForLink(stats.rttMs, stats.packets >= LOSS_SAMPLE_PACKETS ? stats.packetsLost / stats.packets : 0);
    const raisedLately = this.raisedAt !== undefined && now - this.raisedAt < NO_LOWER_AFTER_RAISE_MS;
    if (wanted <= this.latencyMs * LOWER_BELOW && now - this.connectedAt <= LOWER_WITHIN_MS && !raisedLately)
      return this.retune(p, wanted, stats.rttMs);
    if (wanted <= this.latencyMs * RAISE_ABOVE) {
      this.tooLowSince = undefined;
      return;
    }
    this.tooLowSince ??= now;
    if (now - this.tooLowSince < RAISE_AFTER_MS) return;
    this.raisedAt = now;
    this.retune(p, wanted, stats.rttMs);
  }

  private retune(p: Pick<RunningPipeline, 'set' | 'restartElement'>, latencyMs: number, rttMs: number): void {
    this.log.info({ source: this.source, rttMs, fromMs: this.latencyMs, toMs: latencyMs }, 'SRT latency fitted to the link');
    this.latencyMs = latencyMs;
    this.tooLowSince = undefined;
    p.set(this.element, 'latency', latencyMs);
    p.restartElement(this.element);
  }
}
