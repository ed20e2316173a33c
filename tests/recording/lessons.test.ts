import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { probe } from '../helpers/media.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freePort, sleep, waitUntil } from '../helpers/net.js';
import { tempDir, writeTempConfig } from '../helpers/temp-config.js';
import { requireTool } from '../helpers/tools.js';

const run = promisify(execFile);
const BASE = 'classbox/lesson-school/room-3';
const FPS = 15;

interface LessonFacts {
  boxes: string[];
  streams: Array<{ codec_type: string; codec_name: string; duration: string }>;
  durationS: number;
}

/** What ffprobe says of a lesson file: its top-level boxes in order, its streams, its length. */
async function lessonFacts(path: string): Promise<LessonFacts> {
  requireTool('ffprobe');
  const trace = await run('ffprobe', ['-v', 'trace', path], { maxBuffer: 64 * 1024 * 1024 });
  const boxes = [...trace.stderr.matchAll(/type:'(\w{4})' parent:'root'/g)].map((m) => m[1]!);
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_type,codec_name,duration:format=duration',
    '-of',
    'json',
    path,
  ]);
  const j = JSON.parse(stdout) as { streams: LessonFacts['streams']; format: { duration: string } };
  return { boxes, streams: j.streams, durationS: Number(j.format.duration) };
}

/** Every frame of picture and sound decoded by ffmpeg: what it reports as an error. */
async function decodeErrors(path: string): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-'], { maxBuffer: 16 * 1024 * 1024 });
  return stderr.trim();
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A class recorded through `classbox run` becomes one MP4 lesson; kills at any moment do not lose it. */
describe('lessons on demand', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  const rec = tempDir('classbox-rec-');
  const dataDir = tempDir();
  let config: string;
  let http: string;
  let box: RunningCli | undefined;
  const request = (command: string, body: Record<string, unknown> = {}) => requester(watch, BASE, 30_000)(command, body);
  const manifest = (id: string) =>
    JSON.parse(readFileSync(join(dataDir, 'recordings', 'classes', `${id}.json`), 'utf8')) as {
      segments: Array<{ file: string; durationS: number }>;
      totalS: number;
      lesson?: Record<string, unknown>;
    };
  const lessonDir = join(rec, 'lessons');

  async function startBox(): Promise<RunningCli> {
    // A box a failed test left running would hold the port and the recordings.
    await box?.stop('SIGKILL');
    const since = watch.messages.length;
    box = startCli(['run', '--config', config]);
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 30_000, since);
    return box;
  }

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    const port = await freePort();
    http = `http://127.0.0.1:${port}`;
    config = writeTempConfig({
      site: 'lesson-school',
      room: 'room-3',
      profile: 'software',
      dataDir,
      mqtt: { url: broker.url },
      http: { port },
      video: { width: 320, height: 180, fps: FPS, bitrateKbps: 400, keyframeIntervalS: 1 },
      audio: { device: 'test' },
      // The same box plays lessons (implanted): the screen is metered, not shown.
      display: { sink: 'none' },
      sources: { board: { kind: 'test', pattern: 'ball' }, teacher: { kind: 'test', pattern: 'pinwheel' } },
      outputs: [{ name: 'archive', kind: 'record', dir: rec, segmentS: 10, minFreeMB: 0 }],
    });
  });
  afterAll(async () => {
    await box?.stop('SIGKILL');
    await watch.close();
    await broker.stop();
  });

  it('a 30-second class with sound in 10-second segments: one fast-start MP4, every frame, found, fetched by range, implanted by id', async () => {
    await startBox();
    const started = await request('class/start', { mode: 'recorded', name: 'Physics' });
    expect(started.status).toBe('ok');
    const id = started.data.id as string;
    await sleep(15_000);
    expect((await request('layout/set', { layout: 'side-by-side' })).status).toBe('ok');
    await sleep(16_000);
    const since = watch.messages.length;
    expect((await request('class/stop')).status).toBe('ok');
    const event = JSON.parse(
      (await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'recording.lesson', 60_000, since)).payload,
    );
    const path = join(lessonDir, `${id}.mp4`);
    expect(event).toMatchObject({ class: id, name: 'Physics', path, bytes: readFileSync(path).length, sha256: sha256(path) });

    // As a player sees it: the index in front, picture and sound, as long as the segments together.
    const m = manifest(id);
    expect(m.segments.length).toBeGreaterThanOrEqual(3);
    const facts = await lessonFacts(path);
    expect(facts.boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(facts.boxes.indexOf('moov')).toBeLessThan(facts.boxes.indexOf('mdat'));
    expect(facts.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:aac', 'video:h264']);
    // Every picture of the segments, no more (a picture lost or doubled would show here), and the file
    // exactly as long as its pictures: the sound's edges do not lengthen it, whatever the load was.
    const pictureS = Number(facts.streams.find((s) => s.codec_type === 'video')!.duration);
    expect(Math.abs(pictureS - m.totalS)).toBeLessThanOrEqual(1 / FPS + 0.001);
    expect(Math.abs(facts.durationS - pictureS)).toBeLessThanOrEqual(0.001);
    expect(facts.durationS).toBeGreaterThan(29);
    expect(Math.abs(Number(facts.streams.find((s) => s.codec_type === 'audio')!.duration) - facts.durationS)).toBeLessThan(0.2);
    expect(await decodeErrors(path)).toBe('');
    const frames = await probe(path);
    expect(frames.frames).toBe(Math.round(m.totalS * FPS));
    // No picture is missing, where one segment meets the next or as the recording starts (one missing is a gap of 2 / FPS).
    expect(frames.maxGapS).toBeLessThan(1.5 / FPS);
    expect(event.durationS).toBeCloseTo(m.totalS, 2);
    expect(m.lesson).toMatchObject({ id, state: 'ready', path, durationS: event.durationS, segments: m.segments.length });

    // Found: lessons/list over MQTT and HTTP, with its thumbnail.
    const list = await request('lessons/list');
    expect(list.data.lessons[0]).toMatchObject({
      id,
      name: 'Physics',
      mode: 'recorded',
      state: 'ready',
      path,
      bytes: event.bytes,
      upload: 'off',
      audio: true,
    });
    // Chapters where the segments meet and where the layout changed.
    const chapters = list.data.lessons[0].chapters as Array<{ atS: number; title: string }>;
    expect(chapters.map((c) => c.title)).toContain('Part 2');
    expect(chapters.find((c) => c.title === 'Layout: side-by-side')?.atS).toBeGreaterThanOrEqual(14);
    expect(chapters.find((c) => c.title === 'Layout: side-by-side')?.atS).toBeLessThanOrEqual(20);
    expect(list.data.lessons[0].layoutChanges).toBe(1);
    // The same chapters in the file, as a player lists them (the segments were joined by copy).
    const inFile = JSON.parse((await run('ffprobe', ['-v', 'error', '-show_chapters', '-of', 'json', path])).stdout) as {
      chapters: Array<{ start_time: string; tags: { title: string } }>;
    };
    expect(inFile.chapters.map((c) => c.tags.title)).toEqual(['Part 1', ...chapters.map((c) => c.title)]);
    expect(Number(inFile.chapters[1]!.start_time)).toBeCloseTo(chapters[0]!.atS, 2);
    const thumb = list.data.lessons[0].thumbnail as string;
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', thumb]);
    expect(stdout.trim()).toBe('mjpeg,320,180');
    const api = (await (await fetch(`${http}/api/lessons`)).json()) as Array<{ id: string }>;
    expect(api[0]).toMatchObject({ id, state: 'ready' });
    // Fetched by range, as a browser seeking in it does.
    const part = await fetch(`${http}/lessons/${id}.mp4`, { headers: { range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${event.bytes}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(readFileSync(path).subarray(1000, 2000))).toBe(true);
    expect((await fetch(`${http}/lessons/${id}.mp4`, { headers: { range: `bytes=${event.bytes + 10}-` } })).status).toBe(416);
    expect((await fetch(`${http}/lessons/20990101T000000-nothing.mp4`)).status).toBe(404);
    expect((await fetch(`${http}/lessons/..%2F..%2Fetc%2Fpasswd.mp4`)).status).toBe(404);

    // Implanted by its id: the lesson plays on this box's screen.
    expect((await request('class/start', { mode: 'implanted', lesson: '20990101T000000-nothing' })).error).toMatchObject({
      code: 'not_found',
    });
    expect((await request('class/start', { mode: 'implanted', lesson: '../etc' })).error).toMatchObject({ code: 'invalid_request' });
    expect((await request('class/start', { mode: 'implanted', name: 'Physics again', lesson: id })).status).toBe('ok');
    const status = await waitUntil(
      async () => {
        const s = await request('playback/status');
        return s.data.state === 'playing' && s.data.positionS > 1 ? s.data : undefined;
      },
      'the lesson playing',
      20_000,
      250,
    );
    expect(status).toMatchObject({ media: path, state: 'playing' });
    expect(status.durationS).toBeCloseTo(facts.durationS, 0);
    await request('class/stop');
    await box!.stop('SIGTERM');
  }, 150_000);

  it('kill -9 during the class and during the join: after each restart the lesson is whole, never a half file under its name', async () => {
    await startBox();
    const started = await request('class/start', { mode: 'recorded', name: 'Chemistry' });
    const id = started.data.id as string;
    await waitUntil(() => readdirSync(rec).filter((f) => f.includes('-chemistry-')).length >= 2, 'two segments', 30_000);
    // Three seconds into the second segment: the crash cuts a segment with pictures in it short.
    await sleep(3000);
    await box!.stop('SIGKILL');
    const before = readdirSync(rec).filter((f) => f.includes('-chemistry-'));

    // The class is taken up again after the crash and records on.
    const since = watch.messages.length;
    box = startCli(['run', '--config', config]);
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).class?.id === id && JSON.parse(p).recording === true, 30_000, since);
    await waitUntil(
      () => readdirSync(rec).filter((f) => f.includes('-chemistry-')).length > before.length,
      'a segment after the restart',
      30_000,
    );
    await sleep(3000);
    const part = join(lessonDir, `${id}.mp4.part`);
    const final = join(lessonDir, `${id}.mp4`);
    void request('class/stop');
    // Killed while the lesson is being written or checked.
    await waitUntil(() => existsSync(part), 'the join under way', 30_000, 1);
    await box.stop('SIGKILL');
    expect(existsSync(final)).toBe(false);

    const since2 = watch.messages.length;
    await startBox();
    const event = JSON.parse(
      (await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'recording.lesson', 60_000, since2)).payload,
    );
    expect(event).toMatchObject({ class: id, path: final, sha256: sha256(final) });
    expect(existsSync(part)).toBe(false);
    expect(readdirSync(lessonDir).filter((f) => f.startsWith('.'))).toEqual([]);
    // The segments before and after the crash, every frame, in one file.
    const m = manifest(id);
    expect(m.segments.map((s) => s.file)).toEqual(expect.arrayContaining(before));
    expect(m.segments.length).toBeGreaterThan(before.length);
    const frames = await probe(final);
    // The picture: every frame, so its length within one frame.
    expect(frames.frames).toBe(Math.round(m.totalS * FPS));
    // The file: a segment cut by kill -9 may hold a little more sound than picture at its cut (up to
    // 133 ms seen on a loaded machine), so the container runs that much longer than the frames.
    expect(Math.abs(frames.durationS - m.totalS)).toBeLessThanOrEqual(0.2);
    expect(await decodeErrors(final)).toBe('');
    const list = await request('lessons/list');
    expect(list.data.lessons.find((l: { id: string }) => l.id === id)).toMatchObject({ state: 'ready', segments: m.segments.length });
    await box.stop('SIGTERM');
  }, 180_000);
});
