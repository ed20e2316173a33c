import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { EventBus } from '../../src/core/events.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { Player } from '../../src/media/player.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { makeTestVideo } from '../helpers/media.js';
import { sleep, waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';

function player() {
  const config = loadConfig({ base: { site: 's', room: 'r', role: 'receive', display: { sink: 'none' } }, env: {} });
  const bus = new EventBus();
  const ended: string[] = [];
  bus.on({}, 'playback.ended', (e) => ended.push(e.media));
  return { p: new Player({ config, log: pino({ level: 'silent' }), bus, runner: new GstRunner(), profile: loadBoardProfile('software') }), ended };
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
