import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { buildGraph } from '../../src/media/graph.js';
import { launchString, pipelineTokens } from '../../src/media/launch.js';
import { ECHO_ROOM_MARGIN_MS, PACE_MARGIN_MS } from '../../src/media/lead-pace.js';
import { lessonChains, lessonPace } from '../../src/media/lesson.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { ROOT } from '../helpers/cli.js';

const srt = { kind: 'remote' as const, url: 'srt://127.0.0.1:9000?mode=caller', latencyMs: 120 };
const canvas = { width: 320, height: 180, fps: 25 };
const line = (source: typeof srt, farPort?: number, printable = false) =>
  launchString(
    pipelineTokens(
      lessonChains(
        'lesson',
        source,
        loadBoardProfile('software'),
        canvas,
        [{ element: 'fakesink', name: 'display' }],
        'default',
        farPort,
        printable,
      ),
    ),
  );

describe('which lesson is played earlier by what it has to spare', () => {
  it('an SRT lesson: its picture and sound probed where the demuxer lets them go, both branches moved', () => {
    expect(lessonPace('lesson', srt)).toEqual({
      probes: { picture: 'lesson-arrivals', sound: 'lesson-sound-arrivals' },
      sinks: { picture: 'display', sound: 'speaker' },
      marginMs: PACE_MARGIN_MS,
      pads: { picture: ['lesson-video-paced', 'src'], sound: ['lesson-audio-paced', 'src'] },
    });
    const l = line(srt);
    for (const name of ['lesson-arrivals', 'lesson-sound-arrivals', 'lesson-video-paced', 'lesson-audio-paced'])
      expect(l).toContain(`name=${name}`);
    // The picture moves behind the frames' count (a moved segment resets a sink's count).
    expect(l.indexOf('name=lesson-frames ')).toBeLessThan(l.indexOf('name=lesson-video-paced'));
  });

  it('where the echo canceller hears the speakers too: what it is told of them moves with them', () => {
    const l = line(srt, 5000);
    expect(l).toContain('name=lesson-sound-arrivals');
    // The far end leaves the speakers' tee, behind the sound's moved queue.
    const moved = l.indexOf('name=lesson-audio-paced');
    expect(moved).toBeGreaterThan(-1);
    expect(moved).toBeLessThan(l.indexOf('name=speaker-tee'));
    expect(l).toContain('port=5000');
  });

  it('not a lesson over RTMP or HLS, nor a line printed to be run by hand', () => {
    for (const url of ['rtmp://anchor/live/a', 'https://anchor/lesson/index.m3u8']) {
      expect(lessonPace('lesson', { ...srt, url })).toBeUndefined();
      expect(line({ ...srt, url })).not.toContain('arrivals');
    }
    expect(line(srt, undefined, true)).not.toContain('arrivals');
  });

  it("the receiving classroom's service pipeline is paced; its printed line plays on the clock", () => {
    const room = loadConfig({ file: join(ROOT, 'examples/receiving-classroom.yaml'), env: {} });
    const graph = buildGraph(room, loadBoardProfile('software'), 'receive');
    expect(graph.printable).not.toContain('arrivals');
    expect(graph.display!.pace).toBeDefined();
    expect(graph.display!.tokens.join(' ')).toContain('name=lesson-arrivals');
    // Its sound keeps more where the canceller hears the speakers: what they play must reach it before
    // the room's echo of it.
    expect(graph.display!.pace!.marginMs).toEqual(PACE_MARGIN_MS);
    const heard = buildGraph(room, loadBoardProfile('software'), 'receive', { echo: { far: 5000, mic: 5001, clean: 5002 } });
    expect(heard.display!.pace!.marginMs).toEqual(ECHO_ROOM_MARGIN_MS);
    expect(ECHO_ROOM_MARGIN_MS.sound).toBeGreaterThan(PACE_MARGIN_MS.sound);
  });
});
