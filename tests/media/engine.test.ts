import { execFile } from 'node:child_process';
import { readdirSync, renameSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTestVideo, probe } from '../helpers/media.js';
import { startEngine } from '../helpers/media-engine.js';
import { freePort, freeUdpPort, sleep, waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';

const VIDEO = { width: 640, height: 360, fps: 30, bitrateKbps: 800 };
const mkvs = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.mkv'))
    .sort();

describe('media engine on real GStreamer (software profile)', () => {
  it('records three pictures (test and file sources) to a file with the right size, rate and duration', async () => {
    const dir = tempDir();
    const teacher = await makeTestVideo(join(dir, 'teacher.mp4'), 10);
    const rec = join(dir, 'rec');
    const h = startEngine({
      video: VIDEO,
      sources: { board: { kind: 'test' }, teacher: { kind: 'file', path: teacher }, students: { kind: 'test', pattern: 'ball' } },
      layout: 'pip',
      outputs: [{ name: 'archive', kind: 'record', dir: rec, segmentS: 600 }],
    });
    await h.engine.start();
    await waitUntil(() => h.engine.pipelineState() === 'running', 'composite running', 10_000);
    const t0 = Date.now();
    await sleep(5000);
    const stats = h.engine.stats();
    // Recorded until the stop is asked (the stop itself, end-of-stream through the muxer, takes longer on a loaded machine).
    const ranS = (Date.now() - t0) / 1000;
    await h.engine.stop();
    expect(stats.fps).toBeGreaterThan(20);
    // At least a frame interval (the live sources) and well under a second.
    expect(stats.latencyMs).toBeGreaterThanOrEqual(33);
    expect(stats.latencyMs).toBeLessThan(1000);
    expect(stats.outputs.archive).toMatchObject({ kind: 'record', state: 'running' });
    expect(stats.outputs.archive!.bitrateKbps).toBeGreaterThan(100);
    expect(Object.values(stats.sources).map((s) => s.state)).toEqual(['live', 'live', 'live']);
    const files = mkvs(rec);
    expect(files).toHaveLength(1);
    const p = await probe(join(rec, files[0]!));
    expect(p).toMatchObject({ width: 640, height: 360, fps: 30 });
    expect(Math.abs(p.durationS - ranS)).toBeLessThan(1);
  });

  it('changes the layout live during a recording: one continuous file, no gap longer than a frame', async () => {
    const rec = tempDir();
    const h = startEngine({
      video: VIDEO,
      sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball' }, students: { kind: 'test', pattern: 'snow' } },
      layout: 'pip',
      outputs: [{ name: 'archive', kind: 'record', dir: rec, segmentS: 600 }],
    });
    await h.engine.start();
    await waitUntil(() => h.engine.pipelineState() === 'running', 'composite running', 10_000);
    for (const layout of ['side-by-side', 'grid', 'single:teacher', 'pip']) {
      await sleep(700);
      h.engine.setLayout(layout);
    }
    await sleep(700);
    await h.engine.stop();
    expect(h.events.filter((e) => e.type === 'layout.changed').map((e) => (e.payload as { layout: string }).layout)).toEqual([
      'side-by-side',
      'grid',
      'single:teacher',
      'pip',
    ]);
    const t0 = h.events[0]?.at ?? 0;
    expect(
      h.events.filter((e) => e.type === 'pipeline.restarted').map((e) => e.payload),
      JSON.stringify(h.events.map((e) => [e.type, e.at - t0, e.payload])),
    ).toEqual([]);
    const files = mkvs(rec);
    expect(files).toHaveLength(1);
    const p = await probe(join(rec, files[0]!));
    expect(p.durationS).toBeGreaterThan(3);
    expect(p.maxGapS).toBeLessThanOrEqual(1 / 30 + 0.01);
  });

  it('refuses a layout naming a missing source, keeping the current one', async () => {
    const h = startEngine({ video: VIDEO, sources: { board: { kind: 'test' } }, outputs: [] });
    expect(() => h.engine.setLayout('single:ghost')).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => h.engine.setLayout('mosaic')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(h.engine.layout).toBe('pip');
  });

  it('shows the NO SIGNAL slate within 2 s when a source is lost, goes on recording, and restores it within 5 s', async () => {
    const dir = tempDir();
    // A 1-second file that loops: when it is removed, the next loop fails to open it.
    const teacher = await makeTestVideo(join(dir, 'teacher.mp4'), 1);
    const rec = join(dir, 'rec');
    const h = startEngine({
      video: VIDEO,
      sources: { board: { kind: 'test' }, teacher: { kind: 'file', path: teacher, loop: true } },
      layout: 'side-by-side',
      outputs: [{ name: 'archive', kind: 'record', dir: rec, segmentS: 600 }],
    });
    await h.engine.start();
    await waitUntil(() => h.engine.pipelineState() === 'running', 'composite running', 10_000);
    const removedAt = Date.now();
    renameSync(teacher, `${teacher}.gone`);
    const lost = await waitUntil(() => h.events.find((e) => e.type === 'source.lost'), 'source.lost', 4000);
    expect(lost.payload).toMatchObject({ source: 'teacher' });
    // The file had at most 1 s left to play; the slate must be up within 2 s after that.
    expect(lost.at - removedAt).toBeLessThan(3000);
    expect(h.engine.slateVisible('teacher')).toBe(true);
    expect(h.engine.slateVisible('board')).toBe(false);
    expect(h.engine.pipelineState()).toBe('degraded');
    // The rest goes on: frames keep coming while the source is away.
    await sleep(1500);
    expect(h.engine.stats().fps).toBeGreaterThan(20);
    const returnedAt = Date.now();
    renameSync(`${teacher}.gone`, teacher);
    const restored = await waitUntil(() => h.events.find((e) => e.type === 'source.restored'), 'source.restored', 6000);
    expect(restored.at - returnedAt).toBeLessThan(5000);
    expect(h.engine.slateVisible('teacher')).toBe(false);
    await h.engine.stop();
    expect(h.events.filter((e) => e.type === 'pipeline.restarted').map((e) => e.payload)).toEqual([]);
    expect(mkvs(rec)).toHaveLength(1);
  });

  it('streams over SRT from a broadcast to a receive pipeline on loopback', async () => {
    const port = await freeUdpPort();
    const anchor = startEngine({
      video: VIDEO,
      sources: { board: { kind: 'test' } },
      outputs: [{ name: 'link', kind: 'srt', url: `srt://127.0.0.1:${port}?mode=listener` }],
    });
    const receiver = startEngine({
      role: 'receive',
      display: { sink: 'none' },
      video: VIDEO,
      sources: { lesson: { kind: 'remote', url: `srt://127.0.0.1:${port}?mode=caller`, latencyMs: 120 } },
      outputs: [],
    });
    await anchor.engine.start();
    await receiver.engine.start();
    try {
      await waitUntil(() => receiver.engine.inputFrames('lesson') > 30, 'frames decoded at the receiver', 15_000);
      expect(anchor.engine.stats().outputs.link).toMatchObject({ kind: 'srt', state: 'running' });
    } finally {
      await receiver.engine.stop();
      await anchor.engine.stop();
    }
  });

  it('receive role: plays the anchor lesson and sends the student camera back to the anchor over SRT', async () => {
    const lessonPort = await freeUdpPort();
    const returnPort = await freeUdpPort();
    const anchor = startEngine({
      video: VIDEO,
      sources: { board: { kind: 'test' } },
      outputs: [{ name: 'link', kind: 'srt', url: `srt://127.0.0.1:${lessonPort}?mode=listener` }],
    });
    const receiver = startEngine({
      role: 'receive',
      display: { sink: 'none' },
      video: VIDEO,
      sources: {
        lesson: { kind: 'remote', url: `srt://127.0.0.1:${lessonPort}?mode=caller` },
        students: { kind: 'test', pattern: 'snow' },
      },
      outputs: [{ name: 'back', kind: 'srt', url: `srt://127.0.0.1:${returnPort}?mode=caller` }],
    });
    // The anchor's return listener: ffprobe waits for the receiving box to call in.
    const back = promisify(execFile)(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', `srt://127.0.0.1:${returnPort}?mode=listener`],
      { timeout: 20_000 },
    );
    await anchor.engine.start();
    await receiver.engine.start();
    try {
      await waitUntil(() => receiver.engine.inputFrames('lesson') > 30, 'the anchor lesson decoded', 15_000);
      expect(receiver.engine.layout).toBe('single:students');
      const { stdout } = await back;
      expect(new Set(stdout.trim().split('\n').filter(Boolean))).toEqual(new Set(['h264,640,360']));
    } finally {
      await receiver.engine.stop();
      await anchor.engine.stop();
    }
  });

  it('keeps recording while an RTMP output whose server is down reconnects with backoff', async () => {
    const rec = tempDir();
    const dead = await freePort();
    const h = startEngine({
      video: VIDEO,
      sources: { board: { kind: 'test' } },
      outputs: [
        { name: 'archive', kind: 'record', dir: rec },
        { name: 'cloud', kind: 'rtmp', url: `rtmp://127.0.0.1:${dead}/live/key` },
      ],
    });
    await h.engine.start();
    const started = Date.now();
    await waitUntil(() => h.events.filter((e) => e.type === 'output.down').length >= 2, 'two reconnect attempts', 10_000);
    await sleep(Math.max(0, 3500 - (Date.now() - started)));
    const downs = h.events.filter((e) => e.type === 'output.down').map((e) => e.payload as { output: string; attempt: number });
    expect(downs[0]).toMatchObject({ output: 'cloud', attempt: 1 });
    expect(downs[1]).toMatchObject({ output: 'cloud', attempt: 2 });
    const stats = h.engine.stats();
    expect(stats.outputs.archive).toMatchObject({ state: 'running' });
    expect(stats.outputs.cloud!.state).toMatch(/reconnecting|starting/);
    expect(stats.fps).toBeGreaterThan(20);
    await h.engine.stop();
    expect(h.events.filter((e) => e.type === 'pipeline.restarted').map((e) => e.payload)).toEqual([]);
    const p = await probe(join(rec, mkvs(rec)[0]!));
    expect(p.durationS).toBeGreaterThan(2);
  });
});

describe('folders with printf characters', () => {
  it('records and writes HLS into folders named with % (a %n once aborted the process inside GStreamer)', async () => {
    const dir = tempDir();
    const rec = join(dir, 'rec %n %d 100%');
    const hls = join(dir, 'hls %s');
    const h = startEngine({
      video: { width: 320, height: 180, fps: 15, bitrateKbps: 300, keyframeIntervalS: 1 },
      sources: { board: { kind: 'test' } },
      outputs: [
        { name: 'archive', kind: 'record', dir: rec, segmentS: 600 },
        { name: 'web', kind: 'hls', dir: hls, segmentS: 1 },
      ],
    });
    await h.engine.start();
    await waitUntil(() => readdirSync(hls).filter((f) => f.endsWith('.ts')).length >= 2, 'HLS segments in the folder named with %', 20_000);
    await h.engine.stop();
    const files = mkvs(rec);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^test-school-room-1-\d{8}-\d{6}-00000\.mkv$/);
    expect((await probe(join(rec, files[0]!))).width).toBe(320);
  }, 60_000);
});

describe('a room under 15 fps', () => {
  it('previews the composite and each source at the room rate (the 15 fps preview once never linked)', async () => {
    const h = startEngine({
      video: { width: 320, height: 180, fps: 10, bitrateKbps: 300, keyframeIntervalS: 1 },
      sources: { board: { kind: 'test' } },
    });
    await h.engine.start();
    const frames = { composite: 0, board: 0 };
    try {
      await waitUntil(() => h.engine.pipelineState() === 'running', 'composite running', 15_000);
      h.engine.setPreviewSink('composite', () => frames.composite++);
      h.engine.setPreviewSink('board', () => frames.board++);
      await waitUntil(() => frames.composite >= 10 && frames.board >= 10, 'preview frames of both', 15_000);
      expect(h.engine.stats().fps).toBeGreaterThan(7);
    } finally {
      await h.engine.stop();
    }
  }, 60_000);
});
