import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { buildGraph } from '../../src/media/graph.js';
import { launchString, pipelineTokens } from '../../src/media/launch.js';
import { lessonChains, lessonPace } from '../../src/media/lesson.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { ROOT } from '../helpers/cli.js';

const srt = { kind: 'remote' as const, url: 'srt://127.0.0.1:9000?mode=caller', latencyMs: 120 };
const canvas = { width: 320, height: 180, fps: 25 };
const line = (source: typeof srt, farPort?: number) =>
  launchString(
    pipelineTokens(
      lessonChains('lesson', source, loadBoardProfile('software'), canvas, [{ element: 'fakesink', name: 'display' }], 'none', farPort),
    ),
  );

describe('which lesson is played on its arrival', () => {
  it('an SRT lesson: its picture and sound probed where the demuxer lets them go, both branches moved', () => {
    expect(lessonPace('lesson', srt, false)).toEqual({
      probes: ['lesson-arrivals', 'lesson-sound-arrivals'],
      pads: [
        ['lesson-video-paced', 'src'],
        ['lesson-audio-paced', 'src'],
      ],
    });
    const l = line(srt);
    for (const name of ['lesson-arrivals', 'lesson-sound-arrivals', 'lesson-video-paced', 'lesson-audio-paced'])
      expect(l).toContain(`name=${name}`);
    // The picture moves behind the frames' count (a moved segment resets a sink's count).
    expect(l.indexOf('name=lesson-frames ')).toBeLessThan(l.indexOf('name=lesson-video-paced'));
  });

  it('not where the echo canceller hears the speakers, nor a lesson over RTMP or HLS', () => {
    expect(lessonPace('lesson', srt, true)).toBeUndefined();
    expect(line(srt, 5000)).not.toContain('arrivals');
    for (const url of ['rtmp://anchor/live/a', 'https://anchor/lesson/index.m3u8']) {
      expect(lessonPace('lesson', { ...srt, url }, false)).toBeUndefined();
      expect(line({ ...srt, url })).not.toContain('arrivals');
    }
  });

  it('the printed line of a room whose canceller will hear its speakers plays the lesson on the clock, as the service does', () => {
    // The receiving classroom example: a microphone and speakers, echo cancellation on by default.
    const room = loadConfig({ file: join(ROOT, 'examples/receiving-classroom.yaml'), env: {} });
    const software = loadBoardProfile('software');
    expect(buildGraph(room, software, 'receive').printable).not.toContain('arrivals');
    const off = { ...room, audio: { ...room.audio, echoCancel: false } };
    expect(buildGraph(off, software, 'receive').printable).toContain('name=lesson-arrivals');
    // The service's own pipeline before the canceller has started (no far end yet) is paced, as before.
    expect(buildGraph(room, software, 'receive').display!.pace).toBeDefined();
  });
});
