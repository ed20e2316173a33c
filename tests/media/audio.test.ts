import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GstRunner } from '../../src/media/gst-runner.js';
import { startEngine } from '../helpers/media-engine.js';
import { freeUdpPort, sleep, waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';

const run = promisify(execFile);

async function streams(target: string): Promise<string[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', target], {
    timeout: 15_000,
  });
  // MPEG-TS lists each stream under its program too: keep distinct codec names.
  return [
    ...new Set(
      stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/,$/, ''))
        .filter(Boolean),
    ),
  ].sort();
}

describe('audio mixed into the outputs', () => {
  it('records and streams the sound with the H.264 picture: AAC (record, HLS, SRT asked for it), Opus (SRT)', async () => {
    const dir = tempDir();
    const [port, aacPort] = [await freeUdpPort(), await freeUdpPort()];
    const h = startEngine({
      audio: { device: 'test' },
      video: { width: 640, height: 360, fps: 30, bitrateKbps: 800, keyframeIntervalS: 1 },
      sources: { board: { kind: 'test' } },
      outputs: [
        { name: 'archive', kind: 'record', dir: join(dir, 'rec') },
        { name: 'link', kind: 'srt', url: `srt://127.0.0.1:${port}?mode=listener` },
        { name: 'ingest', kind: 'srt', url: `srt://127.0.0.1:${aacPort}?mode=listener`, audioCodec: 'aac' },
        { name: 'lan', kind: 'hls', dir: join(dir, 'hls'), segmentS: 1 },
      ],
    });
    await h.engine.start();
    try {
      await waitUntil(() => h.engine.pipelineState() === 'running', 'media running', 10_000).catch((e) => {
        console.log(JSON.stringify(h.warnings.slice(0, 10)));
        throw e;
      });
      // Another box (ffprobe as the caller) reads the SRT streams: both codecs must be in each.
      expect(await streams(`srt://127.0.0.1:${port}?mode=caller`)).toEqual(['h264', 'opus']);
      expect(await streams(`srt://127.0.0.1:${aacPort}?mode=caller`)).toEqual(['aac', 'h264']);
      await sleep(1500);
    } finally {
      await h.engine.stop();
    }
    const rec = readdirSync(join(dir, 'rec')).filter((f) => f.endsWith('.mkv'));
    expect(await streams(join(dir, 'rec', rec[0]!))).toEqual(['aac', 'h264']);
    const playlist = readFileSync(join(dir, 'hls', 'index.m3u8'), 'utf8');
    const segment = /segment\d{5}\.ts/.exec(playlist)![0];
    expect(await streams(join(dir, 'hls', segment))).toEqual(['aac', 'h264']);
  });

  it('an SRT output sends each sound frame as it comes, not held until the next picture', async () => {
    const port = await freeUdpPort();
    // Two pictures a second: a muxer that held each sound frame for the next picture sent the sound in
    // bursts half a second apart.
    const h = startEngine({
      audio: { device: 'test' },
      video: { width: 320, height: 180, fps: 2, bitrateKbps: 300, keyframeIntervalS: 1 },
      sources: { board: { kind: 'test' } },
      outputs: [{ name: 'link', kind: 'srt', url: `srt://127.0.0.1:${port}?mode=listener` }],
    });
    await h.engine.start();
    const receiver = new GstRunner().create(
      `srtsrc uri=srt://127.0.0.1:${port}?mode=caller latency=20 ! tsdemux name=d latency=0 ` +
        'd. ! video/x-h264 ! queue ! fakesink sync=false d. ! audio/x-opus ! queue ! appsink name=sound sync=false',
    );
    try {
      const arrivals: number[] = [];
      receiver.pullLoop('sound', () => arrivals.push(performance.now()), 1000);
      receiver.play();
      await waitUntil(() => arrivals.length > 100, 'the sound arriving', 15_000);
      const from = arrivals.length;
      await sleep(3000);
      const gaps = arrivals.slice(from).map((t, i) => t - arrivals[from + i - 1]!);
      // Frames of 10 ms, sent as they come: held for each picture, a gap of about 500 ms came with each
      // of the six pictures; one composite tick missed under load may still leave one.
      expect(gaps.length).toBeGreaterThan(200);
      expect(gaps.filter((g) => g > 300).length).toBeLessThanOrEqual(1);
    } finally {
      receiver.stop();
      await h.engine.stop();
    }
  }, 60_000);
});
