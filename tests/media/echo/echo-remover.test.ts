import { describe, expect, it } from 'vitest';
import { EchoRemover } from '../../../src/media/echo/echo-remover.js';
import { FAR_END_EARLY_MS } from '../../../src/media/echo/echo-link.js';
import { bandDb, FAR_BAND, nearBand, speechLike, tone } from '../../helpers/room-sound.js';

const RATE = 16_000;
const CHUNK = 160; // 10 ms, as ALSA's periods come

/** `x` read at fractional position `pos` (windowed sinc, 32 taps): a second clock's view of the same sound. */
function sincAt(x: Float64Array, pos: number): number {
  const i = Math.floor(pos);
  let sum = 0;
  for (let k = i - 15; k <= i + 16; k++) {
    if (k < 0 || k >= x.length) continue;
    const t = pos - k;
    const w = 0.5 + 0.5 * Math.cos((Math.PI * t) / 16);
    sum += x[k]! * (t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t)) * w;
  }
  return sum;
}

/**
 * The room: how far its echo wanders (samples, each half second anew: the resamplers and buffers between
 * speakers and microphone), and a moment its path changes from 50 ms to another.
 */
interface Room {
  wander?: number;
  moved?: { s: number; ms: number };
  /** From `s` on, the far end comes `ms` earlier still (what held it on the speakers' clock let go). */
  farSooner?: { s: number; ms: number };
}

/**
 * Two boxes' worth of timing in one: the far end and the microphone arrive 10 ms at a time; the
 * microphone's clock runs `ppm` faster than the speakers' (a USB microphone beside HDMI sound), the room
 * gives the far end back 50 ms later, 6 dB down, over a near-end tone.
 */
function run(
  ppm: number,
  seconds: number,
  farGone?: [number, number],
  farEvery = 1,
  lateFirst?: { s: number; ms: number },
  room: Room = {},
) {
  const far = speechLike(RATE, seconds + 1);
  const near = tone(RATE, seconds, 5000, 0.1);
  let seed = 7;
  const wander = Array.from(
    { length: 2 * seconds + 1 },
    () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2 * (room.wander ?? 0),
  );
  const mic = Float64Array.from({ length: RATE * seconds }, (_, n) => {
    const pathMs = room.moved && n >= room.moved.s * RATE ? room.moved.ms : 50;
    const pos = n * (1 - ppm * 1e-6) - (pathMs / 1000) * RATE - wander[Math.floor((2 * n) / RATE)]!;
    return (pos > 16 ? 0.5 * sincAt(far, pos) : 0) + near[n]!;
  });
  const remover = new EchoRemover(RATE);
  const out: number[] = [];
  let paired = 0;
  let held = 0;
  let farSent = 0;
  for (let c = 0; (c + 1) * CHUNK <= mic.length; c++) {
    const now = c * 10;
    const gone = farGone && now >= farGone[0] * 1000 && now < farGone[1] * 1000;
    // Sent FAR_END_EARLY_MS before the speakers play it, as the box's pipelines send it.
    // At its start a playing pipeline can send late (its first buffers behind the clock), then catch up.
    const sooner = room.farSooner && now >= room.farSooner.s * 1000 ? room.farSooner.ms / 10 : 0;
    const early = lateFirst && now < lateFirst.s * 1000 ? -lateFirst.ms / 10 : FAR_END_EARLY_MS / 10 + sooner;
    // The far end in bursts of `farEvery` chunks (a playing pipeline's thread that is late, then catches up).
    if (!gone && c % farEvery === farEvery - 1 && c + early + 1 > farSent) {
      remover.pushFar(far.subarray(farSent * CHUNK, (c + early + 1) * CHUNK), now);
      farSent = c + early + 1;
    } else if (gone) farSent = c + early + 1;
    remover.pushMic(mic.subarray(c * CHUNK, (c + 1) * CHUNK), now);
    for (const block of remover.take(now)) for (const s of block) out.push(s);
    if (remover.paired) paired++;
    held = Math.max(held, (c + 1) * CHUNK - out.length);
  }
  return { mic, out: Float64Array.from(out), remover, paired, heldMs: (held * 1000) / RATE };
}

/**
 * The microphone through a remover whose far end is silence from its first packet on (a mix with nobody
 * in it), 10 ms at a time: what comes out, and the most samples it held back at any moment.
 */
function besideSilence(mic: Float64Array) {
  const remover = new EchoRemover(RATE);
  const out: number[] = [];
  let held = 0;
  for (let c = 0; (c + 1) * CHUNK <= mic.length; c++) {
    remover.pushFar(new Float64Array(CHUNK), c * 10);
    remover.pushMic(mic.subarray(c * CHUNK, (c + 1) * CHUNK), c * 10);
    for (const block of remover.take(c * 10)) out.push(...block);
    held = Math.max(held, (c + 1) * CHUNK - out.length);
  }
  return { remover, out, held };
}

/** The echo down over `seconds` from `fromS` (the output is a block and the aligner's lead behind the microphone). */
function echoDownFrom(mic: Float64Array, out: Float64Array, fromS: number, seconds: number): number {
  const from = Math.round(fromS * RATE);
  const m = mic.subarray(from - 512, from + seconds * RATE - 512);
  const o = out.subarray(from, from + seconds * RATE);
  return bandDb(m, RATE, ...FAR_BAND) - bandDb(o, RATE, ...FAR_BAND);
}

/** Echo and near end down, over the last `seconds` (the output is a block and the aligner's lead behind). */
function lastSeconds(mic: Float64Array, out: Float64Array, seconds: number) {
  const n = seconds * RATE;
  const m = mic.subarray(out.length - n - 512, out.length - 512);
  const o = out.subarray(out.length - n);
  return {
    echoDownDb: bandDb(m, RATE, ...FAR_BAND) - bandDb(o, RATE, ...FAR_BAND),
    nearDownDb: bandDb(m, RATE, ...nearBand(5000)) - bandDb(o, RATE, ...nearBand(5000)),
  };
}

describe('the echo remover (the canceller process without its sockets)', () => {
  it('follows a microphone whose clock runs 150 ppm fast: the echo 20 dB down, the drift found', () => {
    const { mic, out, remover } = run(150, 24);
    const { echoDownDb, nearDownDb } = lastSeconds(mic, out, 6);
    expect(echoDownDb).toBeGreaterThanOrEqual(20);
    expect(Math.abs(nearDownDb)).toBeLessThan(0.5);
    expect(remover.driftPpm).toBeGreaterThan(-200);
    expect(remover.driftPpm).toBeLessThan(-100);
    expect(remover.farLate).toBe(0);
    // The room's 50 ms, to a block and the far end's 10 ms pieces.
    expect(Math.abs(remover.echoDelayMs! - 50)).toBeLessThanOrEqual(26);
  }, 60_000);

  it("reads the far end at the microphone's own rate where the clocks agree and the echo wanders by half a sample", () => {
    // Each lag found is off by a fraction of a sample that wanders: a drift read from a few of them was
    // 7 ppm here and 8-25 ppm in the two-box test where there was none, and the echo, sliding against
    // what the filter had learnt, was only 13-24 dB down there (33-39 when the drift was read as none).
    const { remover } = run(0, 30, undefined, 1, undefined, { wander: 0.5 });
    expect(Math.abs(remover.driftPpm)).toBeLessThanOrEqual(2);
  }, 60_000);

  it("finds the echo again when the room's path changes (50 ms, then 120), and follows the clocks on", () => {
    // Once found, the echo was looked for only within half a millisecond of where it was: after a
    // change of the room it was never found again, and the drift last read stayed for the class.
    const { mic, out, remover } = run(150, 40, undefined, 1, undefined, { moved: { s: 16, ms: 120 } });
    expect(remover.driftPpm).toBeGreaterThan(-200);
    expect(remover.driftPpm).toBeLessThan(-100);
    expect(lastSeconds(mic, out, 6).echoDownDb).toBeGreaterThanOrEqual(20);
    expect(remover.lagFoundMs).not.toBeNull();
    expect(Math.abs(remover.lagFoundMs! - (120 + FAR_END_EARLY_MS - 50))).toBeLessThanOrEqual(20);
  }, 60_000);

  it("follows the speakers' timing when it jumps 20 ms with the clocks unchanged: the echo 20 dB down from 2 s after", () => {
    // A speaker slaved to another clock corrects its skew in jumps (GStreamer's audio sinks: 20-50 ms
    // at a time, measured through PulseAudio's ALSA plugin), which the far end told here does not
    // make. The echo was looked for anew only after 2 s, then learnt again from nothing: 4 s more.
    const { mic, out, remover } = run(0, 20, undefined, 1, undefined, { moved: { s: 12, ms: 30 } });
    expect(remover.jumps).toBe(1);
    expect(echoDownFrom(mic, out, 14, 2)).toBeGreaterThanOrEqual(20);
  }, 60_000);

  it('cancels a room whose path moved 70 ms as well as before it, from the second after the move is found', () => {
    // The echo is found again 0.75 s after its path moved (the tracker's window is a second). What the
    // filter held then, half unlearnt and half the new path, moved to the new lag left the echo 13-24 dB
    // down for the next second and a half; what it had learnt before the move, moved, 58-66.
    const { mic, out, remover } = run(0, 16, undefined, 1, undefined, { moved: { s: 12, ms: 120 } });
    expect(remover.jumps).toBe(1);
    expect(echoDownFrom(mic, out, 13, 1)).toBeGreaterThanOrEqual(35);
  }, 60_000);

  it('follows a jump of the speakers found after the far end was paired newer: the echo 20 dB down from 2 s after', () => {
    // A lesson played 40 ms earlier: the speakers skip 40 ms of it, and the copy sent here, let go by the
    // clock that held it, comes 60 ms sooner, for which the far end is paired newer. Paired newer
    // before the jump was found, the tracker forgot where the echo had been, and the filter learnt the
    // room from nothing (8 s and more below 20 dB).
    const { mic, out, remover } = run(0, 16, undefined, 1, undefined, { moved: { s: 9.6, ms: 10 }, farSooner: { s: 8.8, ms: 60 } });
    expect(remover.realigned).toBeGreaterThan(0);
    expect(remover.jumps).toBe(1);
    expect(echoDownFrom(mic, out, 12, 2)).toBeGreaterThanOrEqual(20);
  }, 60_000);

  it('pairs the far end newer without letting an echo through: 35 dB down over the two seconds after', () => {
    // The far end comes 60 ms sooner from 10.3 s on (what held it on the speakers' clock let go): its
    // pairing moves up a second or two later. What it read over was taken as silence, and its echo,
    // still to come, went out whole: 2.7 dB down in the half second after, 29-35 for two seconds more.
    const { mic, out, remover } = run(0, 16, undefined, 1, undefined, { farSooner: { s: 10.3, ms: 60 } });
    expect(remover.realigned).toBe(1);
    expect(echoDownFrom(mic, out, 11.5, 2)).toBeGreaterThanOrEqual(35);
  }, 60_000);

  it('takes a small step of the echo for what it is, not for drift: the clocks read as one, the echo 30 dB down after', () => {
    // PulseAudio's rooms moved their echo by a fraction of a sample to a few samples now and then. Read
    // as the slope of the lags, such a step was taken for 4-45 ppm of drift, which then moved the far
    // end against an echo that stood still: 8-23 dB left in the two-box test.
    for (const stepMs of [0.05, 0.2]) {
      const { mic, out, remover } = run(0, 30, undefined, 1, undefined, { moved: { s: 14, ms: 50 + stepMs } });
      expect(Math.abs(remover.driftPpm)).toBeLessThanOrEqual(1);
      expect(lastSeconds(mic, out, 8).echoDownDb).toBeGreaterThanOrEqual(30);
    }
  }, 60_000);

  it('follows a step of a few samples (the speakers resynced their sound) at once: the echo 35 dB down from the second after', () => {
    // A buffer that reached the speakers with their ring nearly empty is written where its time says, a
    // few samples after the last: the echo then comes that much later against its far end. Left for the
    // filter to learn again, a step of 0.8-2.4 samples cost 2.5 s and more at 8-27 dB; followed as a jump
    // is (from a sample on), 43-60 dB from the second after.
    for (const stepMs of [0.1, 0.15]) {
      const { mic, out } = run(0, 16, undefined, 1, undefined, { moved: { s: 12, ms: 50 + stepMs } });
      expect(echoDownFrom(mic, out, 13, 2), `a step of ${stepMs} ms`).toBeGreaterThanOrEqual(35);
    }
  }, 60_000);

  it('pairs the far end newer when its echo comes before it (a device that plays ahead of its clock)', () => {
    // A device that plays 70 ms ahead of its pipeline's clock (PulseAudio's ALSA plugin took its whole
    // ring at once): the far end, told 100 ms before the clock, comes 30 ms before the speakers play it,
    // and paired behind its newest, after its echo. Nothing was cancelled for the class.
    const { mic, out, remover } = run(0, 16, undefined, 1, undefined, { moved: { s: 0, ms: -70 } });
    expect(lastSeconds(mic, out, 6).echoDownDb).toBeGreaterThanOrEqual(20);
    expect(remover.echoBeforeFarEnd).toBeGreaterThan(0);
  }, 60_000);

  it('gives the microphone back within 20 ms of its capture (8 ms blocks)', () => {
    // The anchor's sound waits for this in every lesson: a block gathered, then the suppressor's overlap
    // of one block more. With 16 ms blocks a sample came out up to 32 ms after its capture (16 here).
    let seed = 3;
    const mic = Float64Array.from({ length: 2 * RATE }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.5);
    const { out, held } = besideSilence(mic);
    // How much later the microphone's sound is in what comes out (the overlap), by correlation.
    let delay = 0;
    let best = -Infinity;
    for (let d = 0; d < 1024; d++) {
      let sum = 0;
      for (let i = RATE / 2; i < RATE; i++) sum += mic[i]! * (out[i + d] ?? 0);
      if (sum > best) [best, delay] = [sum, d];
    }
    const latestMs = ((held + delay) * 1000) / RATE;
    console.log(
      `microphone out at most ${latestMs} ms after its capture (held ${(held * 1000) / RATE}, content ${(delay * 1000) / RATE} later)`,
    );
    expect(latestMs).toBeLessThanOrEqual(20);
  });

  it('never holds the microphone back more than two blocks and 30 ms, behind a far end that comes in bursts', () => {
    // 60 ms at a time: the microphone would wait for it, and what waited once would stay late for the class.
    const { mic, out, heldMs, remover } = run(0, 20, undefined, 6);
    expect(heldMs).toBeLessThanOrEqual(32 + 30 + 10);
    expect(lastSeconds(mic, out, 6).echoDownDb).toBeGreaterThanOrEqual(20);
    expect(remover.farLate).toBe(0);
  }, 60_000);

  it('pairs again when the far end, late at its start, catches up in a burst: the echo 20 dB down', () => {
    // Paired while the far end came 100 ms late, the microphone was held to a far end 200 ms behind
    // what it was sent: the echo came before its far end, and nothing was cancelled for the class.
    const { mic, out, remover, heldMs } = run(0, 16, undefined, 1, { s: 1, ms: 100 });
    expect(heldMs).toBeLessThanOrEqual(32 + 30 + 10);
    expect(lastSeconds(mic, out, 6).echoDownDb).toBeGreaterThanOrEqual(20);
    expect(Math.abs(remover.echoDelayMs! - 50)).toBeLessThanOrEqual(26);
  }, 60_000);

  it('keeps the microphone flowing while the far end is gone, and pairs again when it is back', () => {
    const { mic, out, remover, heldMs } = run(0, 24, [6, 9]);
    expect(heldMs).toBeLessThanOrEqual(32 + 30 + 10);
    // Nothing held back: every block of the microphone came out (less the last, still waiting).
    expect(out.length).toBeGreaterThan(mic.length - 3 * 256 - 160);
    expect(remover.paired).toBe(true);
    const { echoDownDb } = lastSeconds(mic, out, 6);
    expect(echoDownDb).toBeGreaterThanOrEqual(20);
  }, 60_000);

  it('passes the microphone whole when what plays is silence from the first packet on (a mix with nobody in it)', () => {
    // The far end's first packets are fewer than the pairing looks behind them: it once read before
    // the first sample, and every block after was NaN (silence on the uplink for the class).
    const mic = tone(RATE, 4, 1000, 0.3);
    const { remover, out } = besideSilence(mic);
    expect(remover.paired).toBe(true);
    expect(out.every(Number.isFinite)).toBe(true);
    const last = Float64Array.from(out.slice(-RATE));
    expect(bandDb(last, RATE, 950, 1050)).toBeGreaterThan(bandDb(mic.subarray(0, RATE), RATE, 950, 1050) - 0.5);
  });
});
