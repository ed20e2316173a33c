import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { EventBus } from '../../src/core/events.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { Player } from '../../src/media/player.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { makeTestLesson, makeTestVideo } from '../helpers/media.js';
import type { BusMessage } from '../../src/media/runner.js';
import { sleep, waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';

function player(speaker?: string) {
  const config = loadConfig({
    base: { site: 's', room: 'r', role: 'receive', display: { sink: 'none' }, ...(speaker ? { audio: { speaker } } : {}) },
    env: {},
  });
  const bus = new EventBus();
  const ended: string[] = [];
  const failed: unknown[] = [];
  const speakerFailed: unknown[] = [];
  const levels: number[] = [];
  bus.on({}, 'playback.ended', (e) => ended.push(e.media));
  bus.on({}, 'playback.failed', (e) => failed.push(e));
  bus.on({}, 'audio.speaker_failed', (e) => speakerFailed.push(e));
  const onMessage = (m: BusMessage) => m.source === 'speaker-level' && m.levelDb !== undefined && levels.push(m.levelDb);
  return {
    p: new Player({
      config,
      log: pino({ level: 'silent' }),
      bus,
      runner: new GstRunner(),
      profile: loadBoardProfile('software'),
      onMessage,
    }),
    ended,
    failed,
    speakerFailed,
    levels,
  };
}

describe('Player (implanted lessons)', () => {
  it('plays, pauses, seeks, and reports the end of the lesson', async () => {
    const lesson = await makeTestVideo(join(tempDir(), 'math-01.mp4'), 4);
    const { p, ended } = player();
    p.open(lesson);
    await waitUntil(() => (p.status().positionS ?? 0) > 0.5, 'playback position advancing', 5000);
    expect(p.status()).toMatchObject({ state: 'playing', media: lesson, durationS: 4 });

    p.pause();
    const at = p.status().positionS!;
    await sleep(600);
    expect(p.status().positionS).toBe(at);
    expect(p.status().state).toBe('paused');

    p.seek(3);
    p.play();
    await waitUntil(() => ended.length === 1, 'playback.ended', 4000);
    expect(ended).toEqual([lesson]);
    expect(p.status().state).toBe('ended');
    p.stop();
    expect(p.status()).toEqual({ state: 'idle', media: null, positionS: null, durationS: null });
  });

  it("plays the lesson's sound: metered at the level it was recorded", async () => {
    // The tone at 0.1 of full scale, made stereo (-3 dB per channel): -26 dBFS RMS.
    const lesson = await makeTestLesson(join(tempDir(), 'with-sound.mp4'), 4);
    const { p, levels, failed } = player('none');
    p.open(lesson);
    await waitUntil(() => levels.length >= 2, 'two readings of the speaker meter', 6000);
    expect(levels.at(-1)).toBeGreaterThan(-29);
    expect(levels.at(-1)).toBeLessThan(-23);
    expect(failed).toEqual([]);
    p.stop();
  });

  // `default` on a machine without a card cannot be opened; `plughw:1,0` is the documented form of a
  // named card (its comma is quoted inside playbin's audio-sink).
  it.each(['default', 'plughw:1,0'])(
    'without the sound card %s the lesson plays on without sound: one audio.speaker_failed, no playback.failed',
    async (speaker) => {
      const lesson = await makeTestLesson(join(tempDir(), 'no-card.mp4'), 4);
      const { p, failed, speakerFailed, levels } = player(speaker);
      p.open(lesson);
      await waitUntil(() => (p.status().positionS ?? 0) > 1, 'playback position advancing', 8000);
      expect(p.status().state).toBe('playing');
      expect(speakerFailed).toHaveLength(1);
      expect(failed).toEqual([]);
      await waitUntil(() => levels.length >= 1, 'the sound metered', 3000);
      // The next lesson does not try the missing card again.
      p.open(lesson);
      await waitUntil(() => (p.status().positionS ?? 0) > 0.5, 'the next lesson playing', 8000);
      expect(speakerFailed).toHaveLength(1);
      p.stop();
    },
  );

  it('answers bad requests with codes instead of crashing', async () => {
    const { p } = player();
    expect(() => p.open('/nowhere/lesson.mp4')).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => p.open('ftp://server/lesson.mp4')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() => p.pause()).toThrow(expect.objectContaining({ code: 'conflict' }));
    const lesson = await makeTestVideo(join(tempDir(), 'short.mp4'), 2);
    p.open(lesson);
    await waitUntil(() => p.status().durationS !== null, 'duration known', 5000);
    expect(() => p.seek(99)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() => p.seek(-1)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    p.stop();
  });
});
