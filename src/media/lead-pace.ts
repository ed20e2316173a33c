/**
 * Plays an SRT lesson earlier by what it has to spare, measured once at the start of each call.
 *
 * GStreamer's `mpegtsmux` writes every PTS a fixed 125 ms ahead of the PCR of its time, and `tsdemux`
 * places the stream's time by its PCR: each frame leaves the receiving room's demuxer stamped well
 * ahead of the room's clock, less what the way took (an anchor box's stream at 720p30 with SRT at 20
 * ms: pictures 112-125 ms ahead; see `muxedAhead` for the sound's), and the sinks, on the clock, wait
 * all of it. A picture needs a few milliseconds of it to be decoded and shown, the speakers a few tens
 * for their ring; the rest is waiting nobody needs.
 *
 * The pace reads how far ahead each frame leaves the demuxer (a picture as it is, a sound frame once
 * decoded, whichever codec it came in), and once the call flows moves the running time of both
 * branches (pad offsets) earlier by what the least of them can spare over a few seconds (measured again
 * until that is worth a move), and the picture's alone up to PICTURE_AHEAD_NS further where it has
 * more to spare than the sound. Once (and once after each move later, see CALM_NS):
 * each move earlier skips that much of the lesson on the speakers while the copy the echo canceller
 * gets of what they play skips nothing, so the canceller finds its echo anew (once, early in the call,
 * it follows as it follows the speakers' own jumps; moved again and again it lost 12-25 dB). Frames
 * that later come with less than their sink needs (at a few moments within two seconds, or for half a
 * second) move it back, later. That costs the canceller as much as a move earlier (the speakers play a
 * gap their copy does not have), so a pause of either box, after which the frames are on time again,
 * is not one (see BURST_GAP_NS).
 */

export type PacedKind = 'picture' | 'sound';

/** What a pipeline that plays a lesson earlier is told (see LeadPace). */
export interface PaceSpec {
  /** Appsinks (sync=false) that get the frames as the demuxer lets them go (the sound decoded), by kind. */
  probes: Record<PacedKind, string>;
  /** The sinks that play each kind: what the elements between a probe and its sink report they need. */
  sinks: Record<PacedKind, string>;
  /** Each kind's margin (ms): PACE_MARGIN_MS, or ECHO_ROOM_MARGIN_MS where the canceller hears the speakers. */
  marginMs: Record<PacedKind, number>;
  /** [element, pad]: where each kind's running time is moved, behind the probes. */
  pads: Record<PacedKind, [string, string]>;
}

/**
 * What each kind keeps of its lead after the move beyond what the elements between its probe and its
 * sink report (a decoder that holds frames says so); the sinks add the pipeline's configured latency
 * (20 ms in the receiving room) on top. A picture: decoding what no element reports (libav's slice
 * threads in a live pipeline, 1-4 ms at 720p on a 2-core machine), converting and showing it, and the
 * measure's own delay (the event loop's). The sound: the speakers' ring (PulseAudio's ALSA plugin
 * played every 10 ms block with 34 ms to spare on an idle machine and lost a third of them with 14).
 * Under two boxes' load (the latency bench, a room without the echo canceller, 720p30) 30 ms was too
 * little: the lesson moved 55-64 ms and its tone was heard in 2 runs of 5 (1 edge of 8, none, 8, 8
 * and a median 290 ms late in the other); with 45, 5 of 5, every edge, 276-307 ms.
 */
export const PACE_MARGIN_MS: Record<PacedKind, number> = { picture: 10, sound: 45 };
/**
 * Where the echo canceller hears the speakers, the sound keeps more. A move later there is a jump the
 * canceller has to find again, and a frame is judged late by what its sink needs (PACE_MARGIN_MS less
 * LATE_MS): 60 ms kept lets the sound come 25 ms later than the measure's least before it moves, 45 only
 * 10. With 45 in such rooms too (2026-12-05: the receiving room's projector 232-249 ms against 228-296,
 * its speakers 230-252 against 256-306 in the latency bench, and twelve rooms of the two-box echo test
 * at 35.5-42.3 dB here), a fresh-clone CI run moved a room 23 ms later while its 30 ms room was heard
 * (17.3 dB). With 30 kept before that, the 30 ms room learnt its echo at no delay after the far end
 * (22.8 dB in one CI run): the copy of what the speakers play, sent as the sound arrives, must also come
 * before its echo, which a device that plays its ring early (PulseAudio's ALSA plugin) brings forward.
 */
export const ECHO_ROOM_MARGIN_MS: Record<PacedKind, number> = { ...PACE_MARGIN_MS, sound: 60 };
/** Less than its sink needs (PACE_MARGIN_MS) less this, and a frame moves the lesson back later. */
const LATE_MS = 10;
/**
 * Frames short of what their sink needs, or dropped as late by it, at this many moments within
 * LATE_WINDOW_NS before the lesson moves later. One alone is one frame lost, moved or not, and every
 * move is a jump the echo canceller has to find: in the two-box echo test a single picture late under
 * the load of two boxes moved the room back 30 ms half a minute into the call, and its echo was 14.6 dB
 * down for the eight seconds after (35 and more in the other runs).
 */
const LATE_FRAMES = 3;
const LATE_WINDOW_NS = 2_000_000_000;
/**
 * Late frames less than BURST_GAP_NS apart are one moment; late without a break for LATE_SPAN_NS is a
 * move later whatever the moments. A box that pauses (a busy core, its recordings starting) hands on
 * what came meanwhile all at once, late by the pause, and what follows is on time again: a move later
 * for it is a jump for the echo canceller and a gap in the lesson for nothing, and the move earlier
 * again that makes it good another. In the two-box echo test one such moment moved a room 52 ms later
 * in the middle of its 30 ms room (16.4 dB down), earlier again 14 s on and later again 3.5 s after
 * that, in its 100 ms room (10.5 dB); 35-44 dB in the rooms of the runs without a move. In the latency
 * bench, two bursts of late sound frames a second apart moved a lesson 34 ms later (the projector 296
 * ms against 253). A route or a link that became slower makes every frame late, and moves it half a
 * second on.
 */
const BURST_GAP_NS = 100_000_000;
const LATE_SPAN_NS = 500_000_000;
/**
 * Frames a sink dropped as late (its QoS messages) move the lesson this much later, at most once in
 * LATE_AGAIN_NS: what the measure did not foresee (a display slower to draw than the margin allows;
 * a video sink drops a frame 5 ms late).
 */
const DROPPED_STEP_NS = 10_000_000;
const LATE_AGAIN_NS = 1_000_000_000;
/** No frame this long: the stream stopped (a call lost, the sender gone), and what comes next is a new call. */
const GAP_NS = 500_000_000;
/**
 * After a call's first frame, this long before its frames are judged: the first ones come in a burst,
 * SRT handing over what it held while the call was set up.
 */
const SETTLE_NS = 2_000_000_000;
/**
 * Frames judged together for the one move earlier: two key frames at the default 2 s interval (they
 * come latest). A measure with too little to spare is followed by another, until one has enough.
 */
const MEASURE_NS = 4_000_000_000;
/**
 * No frame for this long, and for PAUSE_RATIO times the gap before, while a call is measured: a pause
 * (the anchor's event loop held by a full collection as a call starts, 72-126 ms in the latency bench;
 * or this box's own), after which what came meanwhile comes at once, late by the pause. A measure with
 * a pause in it took the pause for what the lesson has to spare, and a call's one move was that much
 * smaller for the whole class (24 ms against 49-86 in the calls around it, the projector 285 ms against
 * 211-252). Measured again, from after the burst, at most MAX_PAUSE_REMEASURES times in a call: a link
 * that pauses that often is measured with its pauses.
 */
const PAUSE_NS = 50_000_000;
const PAUSE_RATIO = 3;
const MAX_PAUSE_REMEASURES = 4;
/**
 * How much further than the sound the picture may be moved, where it has that much more to spare: the
 * sound then plays that much later against the picture than the anchor stamped them. The sound sets
 * the common move in most calls (what it keeps is for the speakers' ring), and the picture had 10-22 ms
 * more to spare in eight calls of nine in the latency bench (33 in the ninth), each of them waited on
 * the display for nothing. As stamped, the sound came 17 ms before to 33 ms after the picture in the
 * calls of that session: 10 ms more keeps them within the +-45 ms of lip sync (15 put one call at +49),
 * on the side a listener forgives (a pupil 10 m from the teacher hears her 30 ms after seeing her).
 */
const PICTURE_AHEAD_NS = 10_000_000;
/** Moves smaller than this are not made: each skips as much of the lesson. */
const LEAST_MOVE_NS = 10_000_000;
/**
 * After a move later, this long without another before the lesson is measured again (four seconds at a
 * time until it has been), to be played earlier again by what it has to spare then, if that is REGAIN_NS
 * more than now. A busy moment of either box (three late frames in two seconds) otherwise left the
 * lesson later for the rest of the call (150 s of the latency bench, 720p30: moved 72 ms earlier at the
 * start and back to 22 eighteen seconds in, the projector 271-305 ms and then 322-356, the speakers
 * 253-284 and then 303-325, to the end). Each move is a jump the echo canceller finds again within a
 * second or two, so only a move later is made good this way, not a first measure that found little to
 * spare: measured again and again, a call could move in the middle of any room of the two-box echo test
 * (a CI run of that design had one room 13.1 dB down after a jump followed; which move it was is not
 * known, such rooms were seen before it too); and the wait doubles after each move later in a call,
 * so that a room whose frames keep coming late now and then is not moved back and forth every few
 * seconds (up to MAX_CALM_NS).
 */
const CALM_NS = 10_000_000_000;
const MAX_CALM_NS = 80_000_000_000;
const REGAIN_NS = 20_000_000;

const MS = 1_000_000;

/** Whether frames late lately (when each came, in order, within LATE_WINDOW_NS) say the lesson has become later, not paused. */
function lateForLong(at: number[]): boolean {
  if (at.length < LATE_FRAMES) return false;
  let moments = 1;
  let from = at[0]!;
  for (let i = 1; i < at.length; i++) {
    if (at[i]! - at[i - 1]! >= BURST_GAP_NS) {
      moments++;
      from = at[i]!;
    } else if (at[i]! - from >= LATE_SPAN_NS) return true;
  }
  return moments >= LATE_FRAMES;
}

/** The offset's arithmetic alone (ns throughout), fed by whoever reads the frames and the clock. */
export class LeadPace {
  /** How much earlier the lesson plays now (ns, >= 0). */
  private earlier = 0;
  /** How much earlier again its picture plays (ns, 0 to PICTURE_AHEAD_NS). */
  private ahead = 0;
  private lastArrived = -1;
  /** The gap before the last frame (ns): what a pause is told from. */
  private lastGap = 0;
  private pauseRemeasures = 0;
  private callFrom = 0;
  private measureFrom = 0;
  /**
   * Each kind's least spare (its lead less its margin) in the measure being taken, and in the one that
   * decided the last move (ns).
   */
  private kindLeast: Partial<Record<PacedKind, number>> = {};
  private decided: Partial<Record<PacedKind, number>> = {};
  private moved = false;
  private droppedAt = -Infinity;
  /** Frames short of their sink's need lately: when they left the demuxer, and what they could spare. */
  private late: Array<[number, number]> = [];
  /** When a sink dropped a frame as late, lately. */
  private drops: number[] = [];
  /** After a move later: when the measure for a move earlier again starts. */
  private regainFrom = Infinity;
  private calm = CALM_NS;

  constructor(private readonly marginMs: Record<PacedKind, number> = PACE_MARGIN_MS) {}

  /** What each kind could spare in the measure that decided the last move earlier (ms): which of them set it. */
  get spareMs(): Partial<Record<PacedKind, number>> {
    return Object.fromEntries(Object.entries(this.decided).map(([k, v]) => [k, Math.round(v / MS)]));
  }

  /** The offset now applied to the stream's running time (ns; negative: earlier): its sound's. */
  get offsetNs(): number {
    return this.earlier === 0 ? 0 : -this.earlier;
  }

  /** The offset now applied to the picture's running time (ns): the sound's, or up to PICTURE_AHEAD_NS earlier. */
  get pictureOffsetNs(): number {
    return this.offsetNs - this.ahead;
  }

  /** How much earlier than the sound the picture plays now (ms). */
  get pictureAheadMs(): number {
    return Math.round(this.ahead / MS);
  }

  /** The offset of a kind (ns). */
  offsetOf(kind: PacedKind): number {
    return kind === 'picture' ? this.pictureOffsetNs : this.offsetNs;
  }

  /**
   * One frame: its kind, its running time as stamped, the running time it left the demuxer at,
   * and what the elements between there and its sink report they need (ns). Returns the new offset
   * (the sound's; the picture's is pictureOffsetNs) when either should change.
   */
  frame(kind: PacedKind, ptsNs: number, arrivedNs: number, reportedNs = 0): number | undefined {
    if (ptsNs < 0 || arrivedNs < 0) return undefined;
    if (this.lastArrived < 0 || arrivedNs - this.lastArrived > GAP_NS) {
      // A new call: played on the timing it comes with until it has been measured (its frames may have
      // less to spare than the last call's).
      this.lastArrived = arrivedNs;
      this.callFrom = arrivedNs;
      this.measureFrom = arrivedNs + SETTLE_NS;
      this.kindLeast = {};
      this.moved = false;
      this.late = [];
      this.drops = [];
      this.regainFrom = Infinity;
      this.calm = CALM_NS;
      this.lastGap = 0;
      this.pauseRemeasures = 0;
      return this.set(0, 0);
    }
    const gap = arrivedNs - this.lastArrived;
    const paused = gap > PAUSE_NS && gap > PAUSE_RATIO * this.lastGap;
    this.lastGap = gap;
    this.lastArrived = arrivedNs;
    const lead = ptsNs - arrivedNs - reportedNs;
    const spare = lead - this.marginMs[kind] * MS;
    if (arrivedNs - this.callFrom < SETTLE_NS) return undefined;
    if (!this.moved) {
      if (arrivedNs < this.measureFrom) return undefined;
      if (paused && this.pauseRemeasures < MAX_PAUSE_REMEASURES) {
        this.pauseRemeasures++;
        this.measureFrom = arrivedNs + BURST_GAP_NS;
        this.kindLeast = {};
        return undefined;
      }
      this.kindLeast[kind] = Math.min(this.kindLeast[kind] ?? Infinity, spare);
      if (arrivedNs - this.measureFrom < MEASURE_NS) return undefined;
      // Too little to spare (a box still starting its own pipelines, a busy moment): measured again.
      const least = this.measuredLeast();
      if (least < LEAST_MOVE_NS) {
        this.measureFrom = arrivedNs;
        this.kindLeast = {};
        return undefined;
      }
      this.moved = true;
      this.decided = { ...this.kindLeast };
      // The frames already queued behind the move are late for their sinks and some are dropped: what
      // they say is the move's, not the lesson's.
      this.droppedAt = arrivedNs;
      return this.set(least, this.pictureAheadOf(least));
    }
    // Frames that came with less than their sink needs: later, to give the least of them its whole
    // margin again.
    if (arrivedNs >= this.regainFrom) this.kindLeast[kind] = Math.min(this.kindLeast[kind] ?? Infinity, spare);
    const overNeed = lead - PACE_MARGIN_MS[kind] * MS;
    const earlier = this.earlier + (kind === 'picture' ? this.ahead : 0);
    if (earlier === 0 || overNeed - earlier >= -LATE_MS * MS) return this.regain(arrivedNs);
    this.late = [...this.late.filter(([at]) => arrivedNs - at < LATE_WINDOW_NS), [arrivedNs, spare]];
    if (!lateForLong(this.late.map(([at]) => at))) return undefined;
    const least = Math.min(...this.late.map(([, s]) => s));
    this.late = [];
    return this.later(arrivedNs, Math.max(0, least));
  }

  /** Moved later: measured again once it has been calm for a while, longer after each. */
  private later(nowNs: number, earlier: number): number | undefined {
    this.watchFrom(nowNs + this.calm);
    this.calm = Math.min(2 * this.calm, MAX_CALM_NS);
    this.decided = {};
    // Picture and sound together again: a late picture was one the move had left too little.
    return this.set(earlier, 0);
  }

  private watchFrom(fromNs: number): void {
    this.regainFrom = fromNs;
    this.kindLeast = {};
  }

  /** Each whole measure after the calm that follows a move later: REGAIN_NS more to spare plays it earlier again. */
  private regain(arrivedNs: number): number | undefined {
    if (arrivedNs - this.regainFrom < MEASURE_NS) return undefined;
    const least = this.measuredLeast();
    if (least - this.earlier < REGAIN_NS) {
      this.watchFrom(arrivedNs);
      return undefined;
    }
    // The frames queued behind the move are late for their sinks: theirs, not the lesson's (as at the first move).
    this.droppedAt = arrivedNs;
    this.regainFrom = Infinity;
    this.decided = { ...this.kindLeast };
    return this.set(least, this.pictureAheadOf(least));
  }

  /** How much further the picture can go than the common move `least` (what it spares beyond it, at most PICTURE_AHEAD_NS). */
  private pictureAheadOf(least: number): number {
    const picture = this.kindLeast.picture;
    return picture === undefined ? 0 : Math.max(0, Math.min(PICTURE_AHEAD_NS, picture - least));
  }

  /**
   * A sink dropped a frame as late (at running time `nowNs`): later by a step once LATE_FRAMES have been.
   * Returns the new offset when it changes.
   */
  dropped(nowNs: number): number | undefined {
    if (this.earlier + this.ahead === 0 || nowNs - this.droppedAt < LATE_AGAIN_NS) return undefined;
    this.drops = [...this.drops.filter((at) => nowNs - at < LATE_WINDOW_NS), nowNs];
    if (!lateForLong(this.drops)) return undefined;
    this.drops = [];
    this.droppedAt = nowNs;
    // The pictures are what a video sink drops: what they play ahead of the sound goes first.
    if (this.ahead > 0) return this.set(this.earlier, Math.max(0, this.ahead - DROPPED_STEP_NS));
    return this.later(nowNs, Math.max(0, this.earlier - DROPPED_STEP_NS));
  }

  /** The least that any frame of the measure being taken could spare. */
  private measuredLeast(): number {
    return Math.min(...Object.values(this.kindLeast));
  }

  private set(earlier: number, ahead: number): number | undefined {
    if (earlier === this.earlier && ahead === this.ahead) return undefined;
    this.earlier = earlier;
    this.ahead = ahead;
    return this.offsetNs;
  }
}
