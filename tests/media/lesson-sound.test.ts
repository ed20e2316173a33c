import { describe, expect, it } from 'vitest';
import { startEngine } from '../helpers/media-engine.js';
import { freeUdpPort, sleep, waitUntil } from '../helpers/net.js';

const VIDEO = { width: 320, height: 180, fps: 25, bitrateKbps: 400 };
// ALSA's own PCMs without a card are not paced (its `null` device takes a second of sound in
// microseconds), so the sound is checked where the box meters it, just before the sink; the ALSA sink
// itself is tested by a machine without a card (below).

async function anchorAndReceiver(anchorAudio: string, receiverSpeaker: string) {
  const port = await freeUdpPort();
  const anchor = startEngine({
    video: VIDEO,
    audio: { device: anchorAudio },
    sources: { board: { kind: 'test' } },
    outputs: [{ name: 'link', kind: 'srt', url: `srt://127.0.0.1:${port}?mode=listener` }],
  });
  const receiver = startEngine({
    role: 'receive',
    display: { sink: 'none' },
    audio: { speaker: receiverSpeaker },
    video: VIDEO,
    sources: { lesson: { kind: 'remote', url: `srt://127.0.0.1:${port}?mode=caller`, latencyMs: 120 } },
  });
  await anchor.engine.start();
  await receiver.engine.start();
  return { anchor, receiver, stop: async () => Promise.all([receiver.engine.stop(), anchor.engine.stop()]) };
}

/** The receiving classroom hears the lesson: the anchor's sound decoded and played on the room's speakers. */
describe("the lesson's sound in the receiving classroom", () => {
  it("decodes the anchor's sound for the speakers at the level it was sent, metered on both boxes", async () => {
    const { anchor, receiver, stop } = await anchorAndReceiver('test', 'none');
    try {
      await waitUntil(() => receiver.engine.inputFrames('lesson') > 25, "the lesson's picture decoded", 20_000);
      // The anchor's test tone: a sine at 0.1 of full scale, -23 dBFS RMS, through AAC and SRT.
      await waitUntil(() => (receiver.engine.stats().audio.speaker ?? -100) > -26, "the lesson's sound at the speakers", 10_000);
      expect(receiver.engine.stats().audio.speaker).toBeLessThan(-20);
      expect(anchor.engine.stats().audio.mic).toBeGreaterThan(-26);
      expect(anchor.engine.stats().audio.mic).toBeLessThan(-20);
      expect(receiver.events.filter((e) => e.type === 'audio.speaker_failed')).toEqual([]);
    } finally {
      await stop();
    }
  }, 60_000);

  it('without a sound card the picture goes on: one audio.speaker_failed, the sound still metered, no lost lesson', async () => {
    // `default` on a machine without a card cannot be opened.
    const { receiver, stop } = await anchorAndReceiver('test', 'default');
    try {
      await waitUntil(() => receiver.engine.inputFrames('lesson') > 25, "the lesson's picture decoded", 20_000);
      await waitUntil(() => (receiver.engine.stats().audio.speaker ?? -100) > -30, "the lesson's sound metered", 10_000);
      await sleep(1000);
      const failed = receiver.events.filter((e) => e.type === 'audio.speaker_failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.payload).toMatchObject({ device: 'default' });
      expect(receiver.events.filter((e) => e.type === 'source.lost')).toEqual([]);
      expect(receiver.engine.stats().sources.lesson).toMatchObject({ state: 'live' });
    } finally {
      await stop();
    }
  }, 60_000);

  it('a lesson without sound is not an error: the picture plays, the speaker is silent', async () => {
    const { receiver, stop } = await anchorAndReceiver('none', 'none');
    try {
      await waitUntil(() => receiver.engine.inputFrames('lesson') > 50, "the lesson's picture decoded", 20_000);
      expect(receiver.events.filter((e) => e.type === 'source.lost' || e.type === 'audio.speaker_failed')).toEqual([]);
      expect(receiver.engine.stats().audio.speaker ?? -100).toBe(-100);
    } finally {
      await stop();
    }
  }, 60_000);
});

/** A lesson that stops is noticed: the anchor gone is `lost` within 3 s, and picked up when it is back. */
describe('a lesson that stops and comes back', () => {
  it("is reported lost within 3 s and restored within 4 s of the anchor's return, without rebuilding the pipeline", async () => {
    const port = await freeUdpPort();
    const anchorDoc = {
      video: { ...VIDEO, keyframeIntervalS: 1 },
      sources: { board: { kind: 'test' } },
      outputs: [{ name: 'link', kind: 'srt', url: `srt://127.0.0.1:${port}?mode=listener` }],
    };
    let anchor = startEngine(anchorDoc);
    const receiver = startEngine({
      role: 'receive',
      display: { sink: 'none' },
      audio: { speaker: 'none' },
      video: VIDEO,
      sources: { lesson: { kind: 'remote', url: `srt://127.0.0.1:${port}?mode=caller`, latencyMs: 120 } },
    });
    await anchor.engine.start();
    await receiver.engine.start();
    try {
      await waitUntil(() => receiver.engine.inputFrames('lesson') > 25, 'the lesson decoded', 20_000);
      const stoppedAt = Date.now();
      await anchor.engine.stop();
      const lost = await waitUntil(() => receiver.events.find((e) => e.type === 'source.lost'), 'source.lost', 5000);
      expect(lost.at - stoppedAt).toBeLessThan(3000);
      expect(receiver.engine.stats().sources.lesson).toMatchObject({ state: 'lost', srt: { peers: 0 } });
      await sleep(2000);
      anchor = startEngine(anchorDoc);
      const backAt = Date.now();
      await anchor.engine.start();
      const restored = await waitUntil(() => receiver.events.find((e) => e.type === 'source.restored'), 'source.restored', 10_000);
      expect(restored.at - backAt).toBeLessThan(4000);
      expect(receiver.engine.stats().sources.lesson).toMatchObject({ state: 'live' });
      // srtsrc reconnected by itself: the pipeline was never torn down.
      expect(receiver.warnings.filter((w) => w.msg === 'pipeline down')).toEqual([]);
    } finally {
      await receiver.engine.stop();
      await anchor.engine.stop();
    }
  }, 60_000);
});

/** The anchor hears the receiving classroom: its uplink's sound decoded, metered and on the speakers' mix. */
describe('the students heard at the anchor', () => {
  it("decodes a classroom's uplink sound at the level it was sent and mixes it to the anchor's speakers", async () => {
    const port = await freeUdpPort();
    // The receiving classroom: its microphone (a test tone) and camera go back over SRT.
    const classroom = startEngine({
      video: VIDEO,
      audio: { device: 'test' },
      sources: { students: { kind: 'test', pattern: 'ball' } },
      outputs: [{ name: 'uplink', kind: 'srt', url: `srt://127.0.0.1:${port}?mode=listener` }],
    });
    const anchor = startEngine({
      video: VIDEO,
      audio: { speaker: 'none' },
      sources: { board: { kind: 'test' }, village: { kind: 'remote', url: `srt://127.0.0.1:${port}?mode=caller`, latencyMs: 120 } },
      layout: 'grid',
    });
    await classroom.engine.start();
    // The classroom streams before the anchor calls it (a call to a stream not begun yet is lost at first:
    // no frame within the watchdog's 1.5 s, which a loaded machine can take to encode the first ones).
    await waitUntil(
      () => (classroom.engine.stats().outputs.uplink?.bitrateKbps ?? 0) > 0 || undefined,
      'the classroom streaming',
      20_000,
    ).catch(async (err: unknown) => {
      await classroom.engine.stop();
      throw err;
    });
    await anchor.engine.start();
    try {
      await waitUntil(() => anchor.engine.inputFrames('village') > 25, "the classroom's picture at the anchor", 20_000);
      // From the classroom's first second on (a call answered before the first frames were encoded, on
      // a loaded machine, is lost once by the 1.5 s watchdog and comes back; that is not this test's).
      const since = Date.now();
      await waitUntil(() => (anchor.engine.stats().audio['source:village'] ?? -100) > -26, "the classroom's sound at the anchor", 10_000);
      expect(anchor.engine.stats().audio['source:village']).toBeLessThan(-20);
      await waitUntil(() => (anchor.engine.stats().audio.speaker ?? -100) > -26, "the classroom on the anchor's speakers", 10_000);
      expect(anchor.engine.stats().audio.speaker).toBeLessThan(-20);
      expect(anchor.events.filter((e) => e.at >= since && (e.type === 'source.lost' || e.type === 'audio.speaker_failed'))).toEqual([]);
    } finally {
      await anchor.engine.stop();
      await classroom.engine.stop();
    }
  }, 60_000);
});
