import { describe, expect, it } from 'vitest';
import { ECHO_ROOM_MARGIN_MS, LeadPace, PACE_MARGIN_MS, type PacedKind } from '../../src/media/lead-pace.js';

const MS = 1_000_000;
const FRAME = 33_333_333;
const SOUND = 21_333_333;
const { picture: P, sound: S } = PACE_MARGIN_MS;

/**
 * Feeds a call from `fromNs` for `seconds`: pictures at 30 fps and AAC sound frames (21.3 ms), in the
 * order they leave the demuxer, each stamped `leadMs(kind, i)` ahead of when it leaves. Returns every
 * offset set, with the second it was set at.
 */
function feed(pace: LeadPace, fromNs: number, seconds: number, leadMs: (kind: PacedKind, i: number) => number): Array<[number, number]> {
  const frames: Array<[number, PacedKind, number]> = [];
  for (let i = 0; i * FRAME < seconds * 1e9; i++) frames.push([fromNs + i * FRAME, 'picture', i]);
  for (let i = 0; i * SOUND < seconds * 1e9; i++) frames.push([fromNs + i * SOUND, 'sound', i]);
  frames.sort((a, b) => a[0] - b[0]);
  const set: Array<[number, number]> = [];
  for (const [left, kind, i] of frames) {
    const offset = pace.frame(kind, left + leadMs(kind, i) * MS, left);
    if (offset !== undefined) set.push([Math.round(((left - fromNs) / 1e9) * 10) / 10, offset]);
  }
  return set;
}

/** An anchor's stream as a room's demuxer lets it go: pictures 60-75 ms ahead, sound 100-115. */
const anchor = (kind: PacedKind, i: number) => (kind === 'picture' ? 60 + (i % 16) : 100 + (i % 16));

describe('LeadPace', () => {
  it('moves a call once, a few seconds in, by what its least frame can spare, and no more while it flows', () => {
    const pace = new LeadPace();
    const set = feed(pace, 5e9, 30, anchor);
    expect(set).toHaveLength(1);
    const [at, offset] = set[0]!;
    expect(at).toBeGreaterThanOrEqual(5.9);
    expect(at).toBeLessThan(6.5);
    // The pictures have less to spare than the sound: they set it.
    expect(offset).toBe(-(60 - P) * MS);
    expect(pace.offsetNs).toBe(offset);
  });

  it('the sound sets it when it has less to spare, for its ring', () => {
    const pace = new LeadPace();
    const set = feed(pace, 0, 10, (kind) => (kind === 'picture' ? 100 : 60));
    expect(set).toEqual([[6, -(60 - S) * MS]]);
    // Which kind set the move, for the log: each kind's least spare in the measure that decided it.
    expect(pace.spareMs).toEqual({ picture: 100 - P, sound: 60 - S });
  });

  it('the picture goes up to 10 ms further than the sound where it has that much more to spare', () => {
    // 30 ms more to spare: 10 of it taken; the sound then plays 10 ms later against the picture.
    const far = new LeadPace();
    expect(feed(far, 0, 10, (kind) => (kind === 'picture' ? 100 : 60 + P + 20))).toEqual([[6, -(60 + P + 20 - S) * MS]]);
    expect(far.pictureOffsetNs).toBe(far.offsetNs - 10 * MS);
    expect(far.offsetOf('picture')).toBe(far.pictureOffsetNs);
    expect(far.offsetOf('sound')).toBe(far.offsetNs);
    expect(far.pictureAheadMs).toBe(10);
    // 6 ms more: all of it.
    const near = new LeadPace();
    feed(near, 0, 10, (kind) => (kind === 'picture' ? 100 : 100 - P + S - 6));
    expect(near.pictureOffsetNs - near.offsetNs).toBe(-6 * MS);
    // Less than the sound: together, as the anchor stamped them (the sound never goes ahead).
    const behind = new LeadPace();
    feed(behind, 0, 10, anchor);
    expect(behind.pictureOffsetNs).toBe(behind.offsetNs);
  });

  it('a picture late for what it was moved ahead brings picture and sound back together, later', () => {
    const pace = new LeadPace();
    // Moved at 6 s: the sound 45 ms earlier (90 - 45), the picture 10 more (it spares 80 - 10 = 70).
    const set = feed(pace, 0, 20, (kind, i) => (kind === 'picture' ? (i > 300 && i < 400 ? 52 : 80) : 90));
    expect(set[0]).toEqual([6, -45 * MS]);
    // From 10 s the pictures spare 42: 13 short of the 55 they were moved, for over half a second.
    expect(set).toHaveLength(2);
    expect(set[1]![0]).toBeGreaterThan(10);
    expect(set[1]![0]).toBeLessThan(11);
    expect(set[1]![1]).toBe(-42 * MS);
    expect(pace.pictureOffsetNs).toBe(pace.offsetNs);
  });

  it('frames a display drops as late take back what the picture was moved ahead first, the sound left where it is', () => {
    const pace = new LeadPace();
    feed(pace, 0, 10, (kind) => (kind === 'picture' ? 100 : 90));
    expect(pace.offsetNs).toBe(-45 * MS);
    expect(pace.pictureAheadMs).toBe(10);
    for (const at of [11e9, 11.2e9]) expect(pace.dropped(at)).toBeUndefined();
    expect(pace.dropped(11.4e9)).toBe(-45 * MS);
    expect(pace.pictureAheadMs).toBe(0);
    for (const at of [12.5e9, 12.7e9]) expect(pace.dropped(at)).toBeUndefined();
    expect(pace.dropped(12.9e9)).toBe(-35 * MS);
    expect(pace.pictureOffsetNs).toBe(pace.offsetNs);
  });

  it("keeps 45 ms of the sound's lead for the speakers' ring", () => {
    // With 30 kept, two boxes' load in the latency bench lost the lesson's tone in 3 runs of 5 (PulseAudio's plugin).
    expect(feed(new LeadPace(), 0, 10, (kind) => (kind === 'picture' ? 200 : 70))).toEqual([[6, -25 * MS]]);
  });

  it('where the echo canceller hears the speakers, the sound keeps more', () => {
    const lead = () => 100;
    expect(feed(new LeadPace(), 0, 10, lead)).toEqual([[6, -(100 - S) * MS]]);
    expect(feed(new LeadPace(ECHO_ROOM_MARGIN_MS), 0, 10, lead)).toEqual([[6, -(100 - ECHO_ROOM_MARGIN_MS.sound) * MS]]);
  });

  it('the key frames that come latest set it', () => {
    // A key frame every 2 s, 40 ms later than the pictures around it.
    const set = feed(new LeadPace(), 0, 10, (kind, i) => (kind === 'sound' ? 110 : i % 60 === 0 ? 35 : 75));
    expect(set).toEqual([[6, -(35 - P) * MS]]);
  });

  it('does not move a lesson with little to spare, nor one whose frames come late', () => {
    expect(feed(new LeadPace(), 0, 12, (kind) => (kind === 'picture' ? P + 5 : 110))).toEqual([]);
    expect(feed(new LeadPace(), 0, 12, () => -20)).toEqual([]);
  });

  it('measures again while the lesson has too little to spare, and moves once it has', () => {
    // The room busy starting its own pipelines for the call's first 8 s: its pictures come late.
    const set = feed(new LeadPace(), 0, 20, (kind, i) => (kind === 'sound' ? 110 : i < 240 ? 15 : 70));
    // Windows of 4 s from the 2nd second: the first two saw late pictures, the third moves it.
    expect(set).toEqual([[14, -(70 - P) * MS]]);
  });

  it('judges nothing in the burst a call starts with', () => {
    // SRT hands over what it held while the call was set up: the first second's frames come late.
    const set = feed(new LeadPace(), 1e9, 10, (kind, i) => (kind === 'sound' ? 110 : i < 30 ? -300 : 70));
    expect(set).toEqual([[6, -(70 - P) * MS]]);
  });

  it('moves back later when frames come with less to spare than their sink needs, earlier again only after ten calm seconds and a measure', () => {
    const pace = new LeadPace();
    // From the 10th second on, the pictures 25 ms less ahead (a route that became slower, a busy box), then as before.
    const set = feed(pace, 0, 40, (kind, i) => (kind === 'sound' ? 110 : i < 300 ? 70 : i < 450 ? 45 : 70));
    expect(set.map(([, o]) => o)).toEqual([-(70 - P) * MS, -(45 - P) * MS, -(70 - P) * MS]);
    // Once they have come late for half a second; earlier again ten seconds after that move and a four-second measure on.
    expect(set[1]![0]).toBe(10.5);
    expect(set[2]![0]).toBe(24.6);
    // Still slower after the ten seconds: measured, not moved.
    expect(feed(new LeadPace(), 0, 40, (kind, i) => (kind === 'sound' ? 110 : i < 300 ? 70 : 45))).toHaveLength(2);
    // Back by less than 20 ms: not worth a jump for the echo canceller.
    expect(feed(new LeadPace(), 0, 40, (kind, i) => (kind === 'sound' ? 110 : i < 300 ? 70 : i < 450 ? 45 : 60))).toHaveLength(2);
    // 10 ms less than its margin allows is not yet a move.
    expect(feed(new LeadPace(), 0, 20, (kind, i) => (kind === 'sound' ? 110 : i < 300 ? 70 : 61))).toHaveLength(1);
  });

  it('a call first measured with little to spare keeps that move: each move is a jump for the echo canceller', () => {
    const set = feed(new LeadPace(), 0, 30, (kind, i) => (kind === 'sound' ? 110 : i < 240 ? 25 : 70));
    expect(set).toEqual([[6, -(25 - P) * MS]]);
  });

  it('a room whose frames come late again and again waits twice as long each time before it is played earlier again', () => {
    // A second of pictures 30 ms less ahead now and then (a busy neighbour on the box).
    const busy = [10, 26, 78];
    const set = feed(new LeadPace(), 0, 130, (kind, i) =>
      kind === 'sound' ? 110 : busy.some((b) => i >= b * 30 && i < (b + 1) * 30) ? 40 : 70,
    );
    const earlier = set.filter(([, o]) => o === -(70 - P) * MS).map(([at]) => at);
    const later = set.filter(([, o]) => o === -(40 - P) * MS).map(([at]) => at);
    expect(later).toEqual([10.5, 26.5, 78.5]);
    // Earlier again 10 + 4 seconds after the first move later, 20 + 4 after the second, 40 + 4 after the third.
    expect(earlier).toEqual([6, 24.6, 50.5, 122.5]);
  });

  it("moves back later when the sound comes with less than the speakers' ring needs, to give it its margin again", () => {
    // Sound 110 ms ahead, then from the 10th second 8 ms less: within what a frame may lack.
    const lead = (drop: number) => (kind: PacedKind, i: number) => (kind === 'picture' ? 150 : i < 470 ? 110 : 110 - drop);
    expect(feed(new LeadPace(), 0, 20, lead(8))).toEqual([[6, -(110 - S) * MS]]);
    // 45 ms less: 65 ahead, 65 of it played earlier, nothing left for a ring that needs 45: moved later,
    // to what keeps the ring's margin.
    const later = feed(new LeadPace(), 0, 20, lead(45));
    expect(later.map(([, o]) => o)).toEqual([-(110 - S) * MS, -(65 - S) * MS]);
  });

  it('where the echo canceller hears the speakers, moves back later only for what the speakers need, to the margin it keeps', () => {
    const E = ECHO_ROOM_MARGIN_MS.sound;
    // Sound 110 ms ahead, then from the 10th second 20 ms less: still more than the ring needs.
    const lead = (drop: number) => (kind: PacedKind, i: number) => (kind === 'picture' ? 150 : i < 470 ? 110 : 110 - drop);
    const kept = feed(new LeadPace(ECHO_ROOM_MARGIN_MS), 0, 20, lead(20));
    expect(kept).toEqual([[6, -(110 - E) * MS]]);
    // 45 ms less: 65 ahead, 50 of it played earlier, 15 left for a ring that needs 45: moved later, to
    // what keeps the echo room's margin.
    const later = feed(new LeadPace(ECHO_ROOM_MARGIN_MS), 0, 20, lead(45));
    expect(later.map(([, o]) => o)).toEqual([-(110 - E) * MS, -(65 - E) * MS]);
  });

  it('a late frame now and then is not a move: each is a jump for the echo canceller', () => {
    // A picture 40 ms late every 1.5 s (a busy moment): never three within two seconds.
    const lead = (kind: PacedKind, i: number) => (kind === 'sound' ? 110 : i > 180 && i % 45 === 0 ? 30 : 70);
    expect(feed(new LeadPace(), 0, 30, lead)).toEqual([[6, -(70 - P) * MS]]);
    // Every second: three within two seconds, later to what the least of them could spare.
    const often = (kind: PacedKind, i: number) => (kind === 'sound' ? 110 : i > 180 && i % 30 === 0 ? 30 + (i % 60 ? 5 : 0) : 70);
    const set = feed(new LeadPace(), 0, 30, often);
    expect(set.map(([, o]) => o)).toEqual([-(70 - P) * MS, -(30 - P) * MS]);
  });

  it('a pause of either box is not a move: what came meanwhile comes late at once, and then on time', () => {
    // Everything that left the demuxer in 150 ms at the 15th second came 50 ms late (a box held 50 ms):
    // five pictures and eight sound frames short of their need, and then as before.
    const paused = (kind: PacedKind, i: number) => {
      const at = i * (kind === 'picture' ? FRAME : SOUND);
      const late = at >= 15e9 && at < 15.15e9 ? 50 : 0;
      return (kind === 'picture' ? 70 : 110) - late;
    };
    expect(feed(new LeadPace(), 0, 30, paused)).toEqual([[6, -(70 - P) * MS]]);
    // Two such moments a second apart: the same.
    const twice = (kind: PacedKind, i: number) => {
      const at = i * (kind === 'picture' ? FRAME : SOUND);
      const late = (at >= 15e9 && at < 15.15e9) || (at >= 16e9 && at < 16.05e9) ? 50 : 0;
      return (kind === 'picture' ? 70 : 110) - late;
    };
    expect(feed(new LeadPace(), 0, 30, twice)).toEqual([[6, -(70 - P) * MS]]);
    // Late for half a second: a move later.
    const slower = (kind: PacedKind, i: number) => {
      const at = i * (kind === 'picture' ? FRAME : SOUND);
      return (kind === 'picture' ? 70 : 110) - (at >= 15e9 && at < 15.6e9 ? 50 : 0);
    };
    expect(feed(new LeadPace(), 0, 25, slower).map(([, o]) => o)).toEqual([-(70 - P) * MS, -(20 - P) * MS]);
  });

  it('a pause while a call is measured is not what it has to spare: measured again from after the burst that follows', () => {
    // The anchor held `ms` at each of `at` (seconds into the call): nothing leaves the room's demuxer
    // meanwhile, and then everything made meanwhile at once, its lead short by how long it waited.
    const pausedAt = (at: number[], ms: number) => {
      const frames: Array<[number, PacedKind, number]> = [];
      for (let i = 0; i * FRAME < 30e9; i++) frames.push([i * FRAME, 'picture', 100]);
      for (let i = 0; i * SOUND < 30e9; i++) frames.push([i * SOUND, 'sound', 140]);
      const pace = new LeadPace();
      const set: Array<[number, number]> = [];
      const arrivals = frames
        .map(([made, kind, lead]) => {
          const pause = at.find((s) => made >= s * 1e9 && made < s * 1e9 + ms * MS);
          return [pause === undefined ? made : pause * 1e9 + ms * MS, kind, made + lead * MS] as const;
        })
        .sort((a, b) => a[0] - b[0]);
      for (const [left, kind, pts] of arrivals) {
        const offset = pace.frame(kind, pts, left);
        if (offset !== undefined) set.push([Math.round((left / 1e9) * 10) / 10, offset]);
      }
      return set;
    };
    // 60 ms at 3 s (in the first measure, 2-6 s): what it has to spare without the pause, a measure later
    // (before: moved at 6 s by 60 ms less, for the class).
    const once = pausedAt([3], 60);
    expect(once).toHaveLength(1);
    expect(once[0]![1]).toBe(-(100 - P) * MS);
    expect(once[0]![0]).toBeGreaterThan(7);
    // A pause before the measure or after the move changes nothing.
    expect(pausedAt([1, 20], 60)).toEqual([[6, -(100 - P) * MS]]);
    // A pause in every measure: measured with its pauses after four more tries (less to spare than a calm call).
    const always = pausedAt([3, 6.5, 10.5, 14.5, 18.5, 22.5, 26.5], 60);
    expect(always).toHaveLength(1);
    expect(always[0]![0]).toBeGreaterThan(18);
    expect(always[0]![1]).toBeGreaterThan(-(100 - P - 30) * MS);
    // Pictures alone at 2 fps are half a second apart, and that is no pause.
    const slow = new LeadPace();
    const set: number[] = [];
    for (let i = 0; i < 30; i++) {
      const offset = slow.frame('picture', i * 500 * MS + 70 * MS, i * 500 * MS);
      if (offset !== undefined) set.push(i);
    }
    expect(set).toEqual([12]);
  });

  it('a new call after a gap plays on its own timing until it is measured', () => {
    const pace = new LeadPace();
    expect(feed(pace, 0, 10, anchor)).toHaveLength(1);
    // The anchor gone for a second, then back with a stream that has less to spare.
    const second = feed(pace, 11e9, 10, (kind) => (kind === 'picture' ? 40 : 100));
    expect(second).toEqual([
      [0, 0],
      [6, -(40 - P) * MS],
    ]);
  });

  it('keeps what the elements before a sink report they need beyond the margin', () => {
    const pace = new LeadPace();
    // A decoder that holds a frame (33 ms) says so; the pictures then have that much less to spare.
    let set: Array<[number, number]> = [];
    for (let i = 0; i < 300; i++) {
      const left = i * FRAME;
      const offset = pace.frame(i % 2 ? 'picture' : 'sound', left + (i % 2 ? 90 : 120) * MS, left, i % 2 ? 33 * MS : 0);
      if (offset !== undefined) set = [...set, [i, offset]];
    }
    expect(set.map(([, o]) => o)).toEqual([-(90 - 33 - P) * MS]);
  });

  it('frames a sink dropped as late move it later by a step, at three moments within two seconds, once a second at most, never past its stamps', () => {
    const pace = new LeadPace();
    expect(pace.dropped(1e9)).toBeUndefined();
    // Picture and sound with as much to spare: moved together.
    feed(pace, 0, 10, (kind) => (kind === 'picture' ? 55 - S + P : 55));
    expect(pace.offsetNs).toBe(-(55 - S) * MS);
    expect(pace.pictureOffsetNs).toBe(pace.offsetNs);
    // The frames dropped as the move is made are the move's.
    expect(pace.dropped(6.5e9)).toBeUndefined();
    // Three in one burst (a pause of the box): not yet.
    for (const at of [11e9, 11.02e9, 11.04e9]) expect(pace.dropped(at)).toBeUndefined();
    // A second moment, and a third.
    expect(pace.dropped(11.3e9)).toBeUndefined();
    expect(pace.dropped(11.5e9)).toBe(0);
    const again = new LeadPace();
    feed(again, 0, 10, (kind) => (kind === 'picture' ? 70 : 110));
    // One drop now and then: no move.
    for (const at of [11e9, 14e9, 17e9]) expect(again.dropped(at)).toBeUndefined();
    expect(again.dropped(17.5e9)).toBeUndefined();
    expect(again.dropped(18e9)).toBe(-(70 - P - 10) * MS);
    // Once a second at most.
    for (const at of [18.2e9, 18.4e9, 18.6e9]) expect(again.dropped(at)).toBeUndefined();
    expect(again.dropped(19.1e9)).toBeUndefined();
    expect(again.dropped(19.2e9)).toBeUndefined();
    expect(again.dropped(19.3e9)).toBe(-(70 - P - 20) * MS);
  });

  it('ignores frames without a time', () => {
    const pace = new LeadPace();
    expect(pace.frame('picture', -1, 5e9)).toBeUndefined();
    expect(pace.frame('sound', 5e9, -1)).toBeUndefined();
    expect(pace.offsetNs).toBe(0);
  });
});
