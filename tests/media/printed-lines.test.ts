import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { buildGraph } from '../../src/media/graph.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { decodedFrames, makeTestVideo, probe } from '../helpers/media.js';
import { freeUdpPort } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';
import { requireTool } from '../helpers/tools.js';

/** Runs a printed line in a shell as a technician would paste it; SIGINT after `seconds` (gst-launch -e ends cleanly). */
/** Every line started, so that a failed test does not leave its sender streaming after the run. */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const c of running) c.kill('SIGKILL');
});

function runLine(
  line: string,
  seconds: number | null,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<{ code: number | null; output: string }> {
  requireTool('gst-launch-1.0');
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `exec ${line}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = seconds === null ? undefined : setTimeout(() => child.kill(signal), seconds * 1000);
    const hard = setTimeout(() => child.kill('SIGKILL'), ((seconds ?? 10) + 10) * 1000);
    child.once('exit', (code) => {
      running.delete(child);
      clearTimeout(timer);
      clearTimeout(hard);
      resolve({ code, output });
    });
  });
}

const software = loadBoardProfile('software');
const VIDEO = { width: 640, height: 360, fps: 30, bitrateKbps: 800, keyframeIntervalS: 1 };

describe('classbox pipeline lines run by hand (software profile)', () => {
  it('broadcast: the printed line records, writes HLS and sends SRT a player decodes', async () => {
    const dir = tempDir();
    const port = await freeUdpPort();
    const config = loadConfig({
      base: {
        site: 's',
        room: 'r',
        video: VIDEO,
        sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball', label: 'teacher' } },
        outputs: [
          { name: 'archive', kind: 'record', dir: join(dir, 'rec') },
          { name: 'lan', kind: 'hls', dir: join(dir, 'hls'), segmentS: 1 },
          { name: 'link', kind: 'srt', url: `srt://127.0.0.1:${port}?mode=listener` },
        ],
      },
      env: {},
    });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'rec'));
    mkdirSync(join(dir, 'hls'));
    const line = runLine(buildGraph(config, software, 'broadcast').printable, 5);
    // A receiver of the SRT output for 3 s of the 5, its stream kept as it came.
    await new Promise((r) => setTimeout(r, 1500));
    const ts = join(dir, 'link.ts');
    await runLine(`gst-launch-1.0 -e srtsrc "uri=srt://127.0.0.1:${port}?mode=caller" ! filesink location=${ts}`, 3);
    const r = await line;
    // By hand no runner packs the muxer's pushes: the line keeps its groups of 7, whose key frames
    // srtsink sends (pushed packet by packet it dropped them, and nothing could be decoded).
    expect(decodedFrames(ts)).toBeGreaterThan(30);
    expect(r.output).not.toMatch(/ERROR|erroneous/);
    expect(r.code).toBe(0);
    const mkv = readdirSync(join(dir, 'rec')).filter((f) => f.endsWith('.mkv'));
    expect(mkv).toHaveLength(1);
    const p = await probe(join(dir, 'rec', mkv[0]!));
    expect(p).toMatchObject({ width: 640, height: 360 });
    expect(p.durationS).toBeGreaterThan(2.5);
    const playlist = join(dir, 'hls', 'index.m3u8');
    expect(existsSync(playlist)).toBe(true);
    expect(readFileSync(playlist, 'utf8')).toMatch(/#EXTINF:[\d.]+,\nsegment\d{5}\.ts/);
  });

  // An anchor box sends Opus, an encoder or a box told so AAC: the same line decodes either.
  for (const [codec, encoder] of [
    ['Opus', 'opusenc frame-size=10'],
    ['AAC', 'avenc_aac ! aacparse'],
  ] as const)
    it(`receive: the printed line plays an SRT stream from another box, its sound in ${codec}`, async () => {
      const port = await freeUdpPort();
      const config = loadConfig({
        base: {
          site: 's',
          room: 'r',
          role: 'receive',
          display: { sink: 'none' },
          audio: { speaker: 'none' },
          video: VIDEO,
          sources: { lesson: { kind: 'remote', url: `srt://127.0.0.1:${port}?mode=caller` } },
        },
        env: {},
      });
      // An anchor with picture and sound, as the lesson arrives.
      const sender = runLine(
        `gst-launch-1.0 -e videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=30/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! h264parse config-interval=-1 ! mpegtsmux name=m alignment=7 ! srtsink "uri=srt://127.0.0.1:${port}?mode=listener" wait-for-connection=false audiotestsrc is-live=true ! audioconvert ! ${encoder} ! m.`,
        9,
      );
      await new Promise((r) => setTimeout(r, 1000));
      const line = buildGraph(config, software, 'receive').printable;
      expect(line).toContain(`srtsrc name=lesson-src 'uri="srt://127.0.0.1:${port}?mode=caller"'`);
      // Run for 5 s, its bus messages (the speakers' level) and every decoded picture printed. (An SRT
      // line does not end by itself: the idle decoder of the codec not sent never ends its stream.)
      const r = await runLine(
        line
          .replace('gst-launch-1.0 -e', 'gst-launch-1.0 -m -v')
          .replace('fakesink name=lesson-frames sync=false async=false', 'fakesink name=lesson-frames sync=false async=false silent=false'),
        5,
        'SIGKILL',
      );
      expect(r.output).not.toMatch(/ERROR|erroneous/);
      expect(r.output.match(/chain .*\(lesson-frames:sink\)/g)?.length ?? 0).toBeGreaterThan(60);
      // audiotestsrc's sine at 0.8: about -5 dBFS RMS on the speakers' meter once the sound flows.
      const levels = [...r.output.matchAll(/"speaker-level".*?rms=\(GValueArray\)< ([-\d.]+)/g)].map((m) => Number(m[1]));
      expect(Math.max(...levels, -100)).toBeGreaterThan(-10);
      await sender;
    });

  it('playback: the printed line plays a recorded lesson to its end', async () => {
    const lesson = await makeTestVideo(join(tempDir(), 'lesson.mp4'), 2);
    const config = loadConfig({ base: { site: 's', room: 'r', display: { sink: 'none' }, audio: { speaker: 'none' } }, env: {} });
    const r = await runLine(buildGraph(config, software, 'playback', { media: lesson }).printable, null);
    expect(r.output).toMatch(/Got EOS from element/);
    expect(r.code).toBe(0);
  });
});
