/**
 * Plays a remote stream a set time after it arrives, whatever the time its frames were stamped with.
 *
 * srtsrc stamps each packet with its arrival less libsrt's estimate of the packet's age, and reports
 * SRT's latency on top for the sinks to wait. The estimate is not steady: 0-15 ms for the packets of a
 * call's first moments (they have waited SRT's latency all the same), 176-189 ms later in the same
 * call, and tsdemux keeps the timing it saw first. So a sink on the clock showed the lesson 170-230 ms
 * after it had arrived and been decoded, a different wait on every call, and no fixed offset could
 * take it back (one that fitted one call made every frame of the next too late to show).
 *
 * The pace measures instead: each encoded frame's timestamp against the pipeline's running time as it
 * leaves the demuxer, and moves the picture's and the sound's running time together (pad offsets,
 * lip sync kept) so that the sinks play every frame `marginMs` after what the elements behind the
 * demuxer say they need (the decoder's and the sinks' own latency). The frame that
 * arrived latest over the last window sets it, so a late frame is shown, not dropped.
 */

/** What a pipeline that plays a stream on its arrival is told (see ArrivalPace). */
export interface PaceSpec {
  /**
   * Appsinks (sync=false) that get the encoded frames as the demuxer lets them go: the picture's and
   * the sound's. Both are judged: the sound of a stream may come later than its picture does.
   */
  probes: string[];
  /** [element, pad]: where the stream's running time is moved, behind the probe (picture and sound). */
  pads: Array<[string, string]>;
}

/**
 * Beyond what the elements behind the probes say they need: the time to decode and compose a frame,
 * which no element reports (at 720p on a 2-core machine a frame reached the display sink 6 ms after
 * srtsrc let it go in the median, 12 ms at the 90th percentile, 49 at most), the measure's own delay
 * (the event loop's), and the picture's own floor: with 60 ms the sound gained more than the picture
 * could, and was heard 95-120 ms before it in the 25 fps two-box test (which CI failed on); with 100 ms,
 * 55 ms before to 10 ms after it there, and 38-51 ms after it at 720p30.
 */
export const PACE_MARGIN_MS = 100;
/** Frames judged together (by arrival): the latest of them sets the window's offset. */
const WINDOW_NS = 1_500_000_000;
/** No frame this long: the stream stopped (a call lost, the sender gone), and what comes next is a new call. */
const GAP_NS = 500_000_000;
/** After a (new) call's first frame, this long before its frames are judged. */
const SETTLE_NS = 2_000_000_000;
/**
 * Windows remembered: the offset is the latest any of them asked for. A key frame takes longer to
 * encode and to send and comes 40-55 ms later than the frames around it (a 1.5 s window holds one or
 * none): judged by each window alone, the offset swung by as much every window and each swing skipped
 * or repeated that much of the lesson.
 */
const WINDOWS_KEPT = 6;
/**
 * Changes smaller than these are not made: each one skips or repeats as much of the lesson. Later at
 * once (a frame that would come too late is not shown); earlier only for a real gain.
 */
const LATER_NS = 10_000_000;
const EARLIER_NS = 40_000_000;

const MS = 1_000_000;

/** The offset's arithmetic alone (ns throughout), fed by whoever reads the frames and the clock. */
export class ArrivalPace {
  /** The most any frame of the window asked for (ns; -Infinity while none did). */
  private need = -Infinity;
  private windowFrom = 0;
  private readonly targets: number[] = [];
  private offset = 0;
  private lastArrived = -1;
  private settledAt = 0;

  constructor(private readonly marginMs = PACE_MARGIN_MS) {}

  /** The offset now applied to the stream's running time (ns). */
  get offsetNs(): number {
    return this.offset;
  }

  /**
   * One frame (picture or sound): its running time as stamped, the running time it arrived at, and what
   * its probe's upstream reports its frames wait (SRT's latency, which the sinks count again; negative
   * while unknown). Returns the new offset when it should change.
   */
  frame(ptsNs: number, arrivedNs: number, upstreamNs: number): number | undefined {
    if (ptsNs < 0 || arrivedNs < 0 || upstreamNs < 0) return undefined;
    // A call's first frames (and a call's again after a gap) come in a burst, SRT handing over what it
    // held while the call was set up: up to 0.8 s later than the stream's own pace, measured. What the
    // stream asks for is judged once it flows.
    // Meanwhile it plays on the timing it came with, which shows every frame, only later: a new call's
    // frames may come later than the last call's offset allows, and would all be too late to show.
    if (this.lastArrived < 0 || arrivedNs - this.lastArrived > GAP_NS) {
      this.lastArrived = arrivedNs;
      this.settledAt = arrivedNs + SETTLE_NS;
      this.windowFrom = this.settledAt;
      this.need = -Infinity;
      this.targets.length = 0;
      if (this.offset === 0) return undefined;
      this.offset = 0;
      return 0;
    }
    this.lastArrived = arrivedNs;
    if (arrivedNs < this.settledAt) return undefined;
    // The offset that plays this frame the margin after its arrival, beyond what the elements behind
    // the probe report: the latest frame of the window sets it (a frame later than the offset allows
    // is not shown, or not heard).
    this.need = Math.max(this.need, -upstreamNs - (ptsNs - arrivedNs));
    if (arrivedNs - this.windowFrom < WINDOW_NS) return undefined;
    this.windowFrom = arrivedNs;
    this.targets.push(this.marginMs * MS + this.need);
    this.need = -Infinity;
    if (this.targets.length > WINDOWS_KEPT) this.targets.shift();
    const target = Math.max(...this.targets);
    if (target - this.offset < LATER_NS && this.offset - target < EARLIER_NS) return undefined;
    this.offset = target;
    return target;
  }
}
