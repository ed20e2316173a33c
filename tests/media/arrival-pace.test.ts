import { describe, expect, it } from 'vitest';
import { ArrivalPace, PACE_MARGIN_MS } from '../../src/media/arrival-pace.js';

const MS = 1_000_000;
const FRAME = 33_333_333;
// A long route's SRT latency: what the pace takes back is well clear of its thresholds.
const SRT_LATENCY = 300 * MS;

/**
 * Feeds frames at 30 fps from `fromNs` (arrival time) for `seconds`; each frame's timestamp is its
 * arrival plus `slackMs(i)` (positive: stamped later than it arrived). Returns every offset set.
 */
function feed(pace: ArrivalPace, fromNs: number, seconds: number, slackMs: (i: number) => number, upstream = SRT_LATENCY): number[] {
  const set: number[] = [];
  for (let i = 0; i < seconds * 30; i++) {
    const arrived = fromNs + i * FRAME;
    const offset = pace.frame(arrived + slackMs(i) * MS, arrived, upstream);
    if (offset !== undefined) set.push(offset);
  }
  return set;
}

describe('ArrivalPace', () => {
  it('plays a stream stamped as it arrived the margin after its arrival, not SRT latency again', () => {
    const pace = new ArrivalPace();
    // srtsrc's estimate at a call's start: packets stamped as if they had not waited at all.
    const set = feed(pace, 0, 6, () => 0);
    expect(set).toHaveLength(1);
    // Played at timestamp + SRT latency (what the sinks wait) + offset = arrival + margin.
    expect(set[0]).toBe(PACE_MARGIN_MS * MS - SRT_LATENCY);
  });

  it('leaves a stream stamped with its true age nearly as GStreamer plays it (the margin only)', () => {
    const pace = new ArrivalPace();
    // Stamped SRT's latency before arrival: the sinks' wait of SRT latency is exactly right.
    expect(feed(pace, 0, 6, () => -300)).toEqual([PACE_MARGIN_MS * MS]);
  });

  it('is set by the latest frame of a window, so that late frames are still shown', () => {
    const pace = new ArrivalPace();
    // Every 60th frame (a key frame) comes 50 ms later than the others.
    feed(pace, 0, 10, (i) => (i % 60 === 0 ? -50 : 0));
    expect(pace.offsetNs).toBe(PACE_MARGIN_MS * MS - SRT_LATENCY + 50 * MS);
  });

  it('is set by the sound as well as the picture: each by what its own probe reports waiting', () => {
    const pace = new ArrivalPace();
    for (let i = 0; i < 6 * 30; i++) {
      const arrived = i * FRAME;
      // The picture's probe reports a frame more (h264parse) and its frames come as stamped; the
      // sound's frames come 30 ms later than stamped.
      pace.frame(arrived, arrived, SRT_LATENCY + FRAME);
      pace.frame(arrived - 30 * MS, arrived, SRT_LATENCY);
    }
    expect(pace.offsetNs).toBe(PACE_MARGIN_MS * MS - SRT_LATENCY + 30 * MS);
  });

  it('does not swing between windows with and without a late key frame', () => {
    const pace = new ArrivalPace();
    // One late frame every 2 s: 1.5 s windows hold one or none.
    const set = feed(pace, 0, 30, (i) => (i % 60 === 30 ? -50 : 0));
    expect(set).toEqual([PACE_MARGIN_MS * MS - SRT_LATENCY + 50 * MS]);
  });

  it('moves later at once, earlier only once no recent window asked for more, and only by 40 ms or more', () => {
    const pace = new ArrivalPace();
    feed(pace, 0, 5, () => 0);
    const first = pace.offsetNs;
    // The stream now comes 30 ms later: a later offset at the next window.
    expect(feed(pace, 5e9, 2, () => -30)).toEqual([first + 30 * MS]);
    // 20 ms earlier again: not worth a skip.
    expect(feed(pace, 7e9, 15, () => -10)).toEqual([]);
    // 60 ms earlier than that: taken, once the late windows are out of memory (six windows, 9 s).
    expect(feed(pace, 22e9, 15, () => 30)).toEqual([first - 30 * MS]);
  });

  it("judges nothing in a call's first two seconds (the burst SRT hands over at the start)", () => {
    const pace = new ArrivalPace();
    // The first second comes 800 ms late, as measured at a call's start; then the stream flows.
    expect(feed(pace, 0, 6, (i) => (i < 30 ? -800 : 0))).toEqual([PACE_MARGIN_MS * MS - SRT_LATENCY]);
  });

  it('plays a new call on its own timing until it is judged: a gap puts the offset back to zero', () => {
    const pace = new ArrivalPace();
    feed(pace, 0, 5, () => 0);
    expect(pace.offsetNs).not.toBe(0);
    // The sender gone for 3 s; the new call's frames are stamped 200 ms earlier than the last call's.
    const set = feed(pace, 8e9, 6, () => -200);
    expect(set[0]).toBe(0);
    expect(set.at(-1)).toBe(PACE_MARGIN_MS * MS - SRT_LATENCY + 200 * MS);
  });

  it('waits while the latency upstream is not known yet, and ignores untimed frames', () => {
    const pace = new ArrivalPace();
    expect(feed(pace, 0, 6, () => 0, -1)).toEqual([]);
    expect(pace.frame(-1, 1e9, SRT_LATENCY)).toBeUndefined();
    expect(pace.frame(1e9, -1, SRT_LATENCY)).toBeUndefined();
  });
});
