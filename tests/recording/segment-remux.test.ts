import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { GstRunner } from '../../src/media/gst-runner.js';
import { tempDir } from '../helpers/temp-dir.js';
import { joinSegments } from '../../src/recording/lesson-join.js';
import { RemuxUnsupported } from '../../src/recording/matroska-index.js';
import { topLevelBoxes } from '../../src/recording/mp4-layout.js';
import { remuxSegments } from '../../src/recording/segment-remux.js';
import { requireTool } from '../helpers/tools.js';

const run = promisify(execFile);
const FPS = 25;

/**
 * Segments as the box's recorder writes them: splitmuxsink into Matroska, H.264 from x264 and AAC-LC
 * sound, cut every 2 s at a key frame, fed in real time as a room's are (fed faster, splitmuxsink
 * sometimes never finished at end-of-stream). `x264` changes the encoder (B-frames); `soundS` makes the
 * sound run on past the picture; `pictureLateS` starts the picture that much after the sound.
 */
async function record(dir: string, seconds: number, x264 = 'tune=zerolatency', soundS = seconds, pictureLateS = 0): Promise<string[]> {
  await run(
    'gst-launch-1.0',
    [
      '-q',
      // A live test source stamps its frames by the clock and ignores an offset: a late picture is stamped
      // ahead and paced by clocksync.
      ...`videotestsrc ${pictureLateS > 0 ? `timestamp-offset=${Math.round(pictureLateS * 1e9)}` : 'is-live=true'} num-buffers=${seconds * FPS} pattern=ball ! video/x-raw,width=320,height=240,framerate=${FPS}/1 ${pictureLateS > 0 ? '! clocksync ' : ''}! x264enc ${x264} speed-preset=ultrafast key-int-max=${FPS} ! h264parse ! queue ! sm.video`.split(
        ' ',
      ),
      ...`splitmuxsink name=sm max-size-time=2000000000 muxer-factory=matroskamux location=${dir}/seg-%05d.mkv`.split(' '),
      ...`audiotestsrc is-live=true num-buffers=${Math.ceil((soundS * 48000) / 1024)} samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2 ! avenc_aac ! aacparse ! queue ! sm.audio_0`.split(
        ' ',
      ),
    ],
    { timeout: 40_000 },
  );
  return readdirSync(dir)
    .filter((f) => f.endsWith('.mkv'))
    .sort()
    .map((f) => join(dir, f));
}

interface Packets {
  video: number[];
  audio: number[];
}

/** Every packet's presentation time, per stream, as ffprobe reads the file. */
async function packets(path: string): Promise<Packets> {
  const { stdout } = await run(
    'ffprobe',
    [
      '-v',
      'error',
      '-show_entries',
      'packet=stream_index,pts_time,codec_type',
      '-show_entries',
      'stream=index,codec_type',
      '-of',
      'json',
      path,
    ],
    {
      maxBuffer: 64 << 20,
    },
  );
  const j = JSON.parse(stdout) as {
    packets: Array<{ stream_index: number; pts_time: string }>;
    streams: Array<{ index: number; codec_type: string }>;
  };
  const kind = new Map(j.streams.map((s) => [s.index, s.codec_type]));
  const out: Packets = { video: [], audio: [] };
  for (const p of j.packets) {
    const k = kind.get(p.stream_index);
    if (k === 'video' || k === 'audio') out[k].push(Number(p.pts_time));
  }
  out.video.sort((a, b) => a - b);
  out.audio.sort((a, b) => a - b);
  return out;
}

/** The index of a segment's first sound frame at or after its first picture (where a lesson's sound starts). */
const firstSoundWithPicture = (p: Packets) => p.audio.findIndex((t) => t >= p.video[0]! - 0.001);

async function decodeErrors(path: string): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-']);
  return stderr.trim();
}

describe('the lesson join by copy (segment-remux)', () => {
  beforeAll(() => {
    requireTool('ffprobe');
    requireTool('gst-launch-1.0');
  });

  it("joins the recorder's segments into one fast-start MP4: every frame, sound in step at every join", async () => {
    const dir = tempDir('classbox-remux-');
    const segments = await record(dir, 7);
    expect(segments.length).toBeGreaterThanOrEqual(3);
    const out = join(dir, 'lesson.mp4');
    await remuxSegments(segments, out, undefined, [
      { atS: 2, title: 'Part 2' },
      { atS: 3.5, title: 'Layout: side-by-side' },
    ]);

    const layout = topLevelBoxes(out);
    expect(layout.complete).toBe(true);
    expect(layout.types.slice(0, 3)).toEqual(['ftyp', 'moov', 'mdat']);
    expect(await decodeErrors(out)).toBe('');
    // The chapters in the file, as a player lists them.
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_chapters', '-of', 'json', out]);
    const chapters = (JSON.parse(stdout) as { chapters: Array<{ start_time: string; tags: { title: string } }> }).chapters;
    expect(chapters.map((c) => [Number(c.start_time), c.tags.title])).toEqual([
      [0, 'Part 1'],
      [2, 'Part 2'],
      [3.5, 'Layout: side-by-side'],
    ]);

    const lesson = await packets(out);
    const parts = await Promise.all(segments.map(packets));
    expect(lesson.video.length).toBe(parts.reduce((n, p) => n + p.video.length, 0));
    // All the sound but what lies outside the pictures: the frames before the first picture (the sources
    // start a few milliseconds apart) and those starting in the last half frame or after the last picture.
    const sound = parts.reduce((n, p) => n + p.audio.length, 0);
    const head = firstSoundWithPicture(parts[0]!);
    const tail = parts.at(-1)!;
    const tailEnd = tail.video.at(-1)! + 1 / FPS - 1024 / 48000 / 2;
    const after = tail.audio.filter((t) => t > tailEnd + 0.001).length;
    expect(lesson.audio.length).toBe(sound - head - after);
    expect(lesson.video.length).toBe(7 * FPS);
    // Each segment begins where the one before ended, sound and picture as far apart as in the segment
    // (the lesson's sound starts with its first picture: the first segment's from there).
    let v = 0;
    let a = 0;
    parts.forEach((p, i) => {
      const from = i === 0 ? firstSoundWithPicture(p) : 0;
      const own = p.audio[from]! - p.video[0]!;
      const joined = lesson.audio[a]! - lesson.video[v]!;
      expect(Math.abs(joined - own)).toBeLessThan(0.002);
      if (v > 0) expect(lesson.video[v]! - lesson.video[v - 1]!).toBeLessThan(1.5 / FPS);
      v += p.video.length;
      a += p.audio.length - from;
    });
    // Picture frames evenly spaced throughout: no gap, no overlap where the segments meet.
    for (let i = 1; i < lesson.video.length; i++) {
      expect(lesson.video[i]! - lesson.video[i - 1]!).toBeGreaterThan(0.5 / FPS);
      expect(lesson.video[i]! - lesson.video[i - 1]!).toBeLessThan(1.5 / FPS);
    }
  }, 60_000);

  it('is as long as its pictures: sound from before the first picture and after the last is left out, the rest in step', async () => {
    const dir = tempDir('classbox-remux-edges-');
    // The sound starts 0.2 s before the picture and runs 0.3 s past its end.
    const segments = await record(dir, 3, 'tune=zerolatency', 3.5, 0.2);
    const out = join(dir, 'lesson.mp4');
    await remuxSegments(segments, out);
    expect(await decodeErrors(out)).toBe('');
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_type,start_time,duration:format=duration',
      '-of',
      'json',
      out,
    ]);
    const facts = JSON.parse(stdout) as {
      streams: Array<{ codec_type: string; start_time: string; duration: string }>;
      format: { duration: string };
    };
    const picture = facts.streams.find((s) => s.codec_type === 'video')!;
    const sound = facts.streams.find((s) => s.codec_type === 'audio')!;
    expect(Number(picture.start_time)).toBe(0);
    expect(Number(picture.duration)).toBeCloseTo(3, 3);
    // What a player shows as the lesson's length: its pictures', not the sound's 3.5 s.
    expect(Number(facts.format.duration)).toBeCloseTo(3, 3);
    expect(Number(sound.start_time)).toBeGreaterThanOrEqual(0);
    expect(Number(sound.start_time) + Number(sound.duration)).toBeLessThanOrEqual(3.001);
    expect(Number(sound.duration)).toBeGreaterThan(2.97);

    // In step: the first sound kept plays as far from the first picture as it did in the segment.
    const own = await packets(segments[0]!);
    const lesson = await packets(out);
    const kept = own.audio[firstSoundWithPicture(own)]!;
    expect(Math.abs(lesson.audio[0]! - lesson.video[0]! - (kept - own.video[0]!))).toBeLessThan(0.002);
    expect(lesson.video.length).toBe(3 * FPS);
  }, 60_000);

  it("a recording started again after a crash: the picture runs on, each part's sound in step with its picture", async () => {
    const dir = tempDir('classbox-remux-restart-');
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    // The first recording's sound runs 0.3 s past its picture (what a crash leaves); the second starts at zero.
    const first = await record(join(dir, 'a'), 3, 'tune=zerolatency', 3.3);
    const second = await record(join(dir, 'b'), 3);
    const out = join(dir, 'lesson.mp4');
    await remuxSegments([...first, ...second], out);
    expect(await decodeErrors(out)).toBe('');
    const lesson = await packets(out);
    expect(lesson.video.length).toBe(6 * FPS);
    for (let i = 1; i < lesson.video.length; i++) expect(lesson.video[i]! - lesson.video[i - 1]!).toBeCloseTo(1 / FPS, 3);
    // The second recording's sound starts with its picture, at 3 s, not 0.3 s later.
    const own = await packets(second[0]!);
    const v = 3 * FPS;
    const a = lesson.audio.findIndex((t) => t >= lesson.video[v]! + (own.audio[0]! - own.video[0]!) - 0.001);
    expect(Math.abs(lesson.audio[a]! - lesson.video[v]! - (own.audio[0]! - own.video[0]!))).toBeLessThan(0.002);
    // Nothing of the first recording's extra sound is laid over the second's.
    const firstSound = (await Promise.all(first.map(packets))).reduce((n, p) => n + p.audio.length, 0);
    const secondSound = (await Promise.all(second.map(packets))).reduce((n, p) => n + p.audio.length, 0);
    expect(lesson.audio.length).toBeLessThan(firstSound + secondSound);
    expect(lesson.audio.length).toBeGreaterThanOrEqual(firstSound + secondSound - Math.ceil((0.3 * 48000) / 1024) - 3);
  }, 60_000);

  it('a segment cut short by a crash gives the frames it holds whole, and the file decodes', async () => {
    const dir = tempDir('classbox-remux-cut-');
    const segments = await record(dir, 5);
    const last = segments[segments.length - 1]!;
    truncateSync(last, Math.floor(statSync(last).size * 0.6) + 3); // mid-cluster, mid-frame
    const out = join(dir, 'lesson.mp4');
    await remuxSegments(segments, out);
    expect(await decodeErrors(out)).toBe('');
    const lesson = await packets(out);
    const whole = await Promise.all(segments.slice(0, -1).map(packets));
    const before = whole.reduce((n, p) => n + p.video.length, 0);
    expect(lesson.video.length).toBeGreaterThan(before);
    expect(lesson.video.length).toBeLessThan(5 * FPS);
  }, 60_000);

  it('a recording without sound, and segments a crash left empty or cut in their header, add nothing and stop nothing', async () => {
    const dir = tempDir('classbox-remux-silent-');
    await run(
      'gst-launch-1.0',
      [
        '-q',
        ...`videotestsrc is-live=true num-buffers=${3 * FPS} ! video/x-raw,width=320,height=240,framerate=${FPS}/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=${FPS} ! h264parse ! splitmuxsink max-size-time=2000000000 muxer-factory=matroskamux location=${dir}/seg-%05d.mkv`.split(
          ' ',
        ),
      ],
      { timeout: 40_000 },
    );
    const segments = readdirSync(dir)
      .filter((f) => f.endsWith('.mkv'))
      .sort()
      .map((f) => join(dir, f));
    const empty = join(dir, 'empty.mkv');
    writeFileSync(empty, Buffer.alloc(0));
    const headerOnly = join(dir, 'header-only.mkv');
    writeFileSync(headerOnly, readFileSync(segments[0]!).subarray(0, 300));
    const out = join(dir, 'lesson.mp4');
    await remuxSegments([...segments, empty, headerOnly], out);
    expect(await decodeErrors(out)).toBe('');
    const lesson = await packets(out);
    expect(lesson.video.length).toBe(3 * FPS);
    expect(lesson.audio).toEqual([]);
  }, 60_000);

  it('what it does not take goes through GStreamer: B-frames, and a file that is not Matroska', async () => {
    const dir = tempDir('classbox-remux-b-');
    const segments = await record(dir, 4, 'bframes=2 b-adapt=false');
    await expect(remuxSegments(segments, join(dir, 'x.mp4'))).rejects.toThrow(RemuxUnsupported);
    const out = join(dir, 'lesson.mp4');
    const joined = await joinSegments(new GstRunner(), { segments, out, workDir: join(dir, 'work'), audio: true, totalBytes: 1e6 });
    expect(joined.by).toBe('gstreamer');
    expect(joined.why).toMatch(/B-frames/);
    expect((await packets(out)).video.length).toBe(4 * FPS);

    const junk = join(dir, 'junk.mkv');
    writeFileSync(junk, Buffer.alloc(4096, 7));
    await expect(remuxSegments([junk], join(dir, 'y.mp4'))).rejects.toThrow(/not a Matroska file/);
    expect(readFileSync(segments[0]!).length).toBeGreaterThan(0);
  }, 60_000);

  it('stops when the service stops', async () => {
    const dir = tempDir('classbox-remux-stop-');
    const segments = await record(dir, 3);
    const stop = new AbortController();
    stop.abort();
    await expect(remuxSegments(segments, join(dir, 'z.mp4'), stop.signal)).rejects.toThrow(/stopping/);
  }, 60_000);
});
