import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { ClassboxEvents } from '../../src/core/events.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { freePort, sleep, waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';

type Seen = { type: keyof ClassboxEvents; payload: Record<string, unknown> };

/**
 * Lessons that cannot be made: a class with nothing to see, and a disk too full to join on (a 20 MB
 * tmpfs mounted by the test). Each costs its lesson, says why, and keeps the segments.
 */
describe('lessons that cannot be made', () => {
  const mountpoint = tempDir('classbox-lesson-disk-');
  let service: Service;
  const events: Seen[] = [];
  const seen = (type: keyof ClassboxEvents) => events.filter((e) => e.type === type).map((e) => e.payload);

  beforeAll(async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', mountpoint]);
    const config = loadConfig({
      base: {
        site: 'test-school',
        room: 'room-9',
        dataDir: tempDir(),
        profile: 'software',
        mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` },
        // Not the default 8080: `npm start` (the demo test) may be listening there at the same time.
        http: { port: await freePort() },
        // An incompressible picture at 2 Mbit/s: about 2.5 MB of segments in 10 seconds.
        video: { width: 640, height: 360, fps: 15, bitrateKbps: 2000, keyframeIntervalS: 1 },
        sources: { board: { kind: 'test', pattern: 'snow' } },
        outputs: [{ name: 'archive', kind: 'record', dir: mountpoint, segmentS: 10, minFreeMB: 2 }],
      },
      env: {},
    });
    service = createService(config, pino({ level: 'silent' }), { runner: new GstRunner(), profile: loadBoardProfile('software') });
    for (const t of ['recording.lesson', 'recording.lesson_failed', 'disk.low', 'recording.deleted'] as const)
      service.bus.on(events, t, (p) => events.push({ type: t, payload: p }));
    await service.start();
    await waitUntil(() => service.media!.pipelineState() === 'running', 'media running', 20_000);
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    execFileSync('umount', [mountpoint]);
  });

  it('a class whose only segment holds nothing playable gives no lesson file, and says so', async () => {
    // As the classroom announces a class, and a segment of it that a failing disk filled with noise.
    const id = '20261101T080000-noise';
    service.bus.emit('class.started', {
      id,
      name: 'Noise',
      mode: 'recorded',
      source: 'request',
      startedAt: '2026-11-01T08:00:00.000Z',
      endsAt: '',
    });
    writeFileSync(join(mountpoint, 'test-school-room-9-noise-20261101-080000-00000.mkv'), randomBytes(256 * 1024));
    service.bus.emit('class.ended', {
      id,
      name: 'Noise',
      mode: 'recorded',
      source: 'request',
      startedAt: '2026-11-01T08:00:00.000Z',
      endedAt: '2026-11-01T08:00:10.000Z',
      durationS: 10,
      endReason: 'requested',
      outputs: [],
      recorded: true,
      bytesRecorded: 256 * 1024,
      incidents: [],
    });
    await waitUntil(() => seen('recording.lesson_failed').length > 0, 'the lesson refused', 20_000);
    expect(seen('recording.lesson_failed')[0]).toMatchObject({ class: id, code: 'no_frames' });
    expect(service.lessons!.find(id)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/no frames/) });
    expect(existsSync(join(mountpoint, 'lessons', `${id}.mp4`))).toBe(false);
    expect(seen('recording.lesson')).toEqual([]);
  }, 30_000);

  it('a disk too full to join on: disk.low, the segments kept, the lesson made once there is room', async () => {
    // Leave about 7 MB free: the class's segments fit, the lesson (twice their size while it is written) does not.
    const fs = statfsSync(mountpoint);
    const filler = join(mountpoint, 'teacher-files.bin');
    writeFileSync(filler, randomBytes(Math.max(0, fs.bavail * fs.bsize - 7 * 1024 * 1024)));
    const started = await service.classroom.begin({ mode: 'recorded', name: 'Crowded' });
    await sleep(9000);
    await service.classroom.end('requested');
    await waitUntil(() => service.lessons!.find(started.id)?.state === 'waiting', 'the lesson waiting for room', 30_000);
    const low = seen('disk.low').at(-1)!;
    expect(low).toMatchObject({ dir: join(mountpoint, 'lessons') });
    expect(service.lessons!.find(started.id)!.reason).toMatch(/needs \d+ MB/);
    const segments = readdirSync(mountpoint).filter((f) => f.includes('-crowded-'));
    expect(segments.length).toBeGreaterThan(0);
    expect(readdirSync(join(mountpoint, 'lessons')).filter((f) => f.includes('crowded'))).toEqual([]);
    expect(seen('recording.deleted')).toEqual([]);

    // Room is made (the teacher's files go): lessons/retry makes it.
    rmSync(filler);
    const made = await service.lessons!.retry(started.id);
    // The reason in the failure message when it is not made.
    expect({ state: made.state, reason: made.reason }).toEqual({ state: 'ready', reason: undefined });
    expect(seen('recording.lesson').map((l) => l.class)).toEqual([started.id]);
    expect(existsSync(join(mountpoint, 'lessons', `${started.id}.mp4`))).toBe(true);
    // The segments stay: retention may take them first now that the lesson covers them.
    expect(readdirSync(mountpoint).filter((f) => f.includes('-crowded-'))).toEqual(segments);

    // The disk fills again: the segments the lesson covers go first, before the older segment of the
    // class that has no lesson; the lesson stays.
    const after = statfsSync(mountpoint);
    writeFileSync(filler, randomBytes(Math.max(0, after.bavail * after.bsize - 1024 * 1024)));
    await waitUntil(
      () => readdirSync(mountpoint).filter((f) => f.includes('-crowded-')).length === 0,
      'the covered segments deleted',
      20_000,
    );
    const deleted = seen('recording.deleted').map((d) => String(d.path));
    expect(deleted.slice(0, segments.length).sort()).toEqual(segments.map((f) => join(mountpoint, f)).sort());
    expect(existsSync(join(mountpoint, 'lessons', `${started.id}.mp4`))).toBe(true);
    rmSync(filler);
  }, 60_000);
});

/** A power cut in the last minutes of a class: the box is back after its end, and the class still becomes a lesson. */
describe('a class whose end passed while the box was down', () => {
  it('is not taken up again; class.not_resumed, and its lesson is made from what was recorded', async () => {
    const dataDir = tempDir();
    const rec = tempDir('classbox-rec-');
    let now = Date.now();
    const config = loadConfig({
      base: {
        site: 'test-school',
        room: 'room-8',
        dataDir,
        profile: 'software',
        mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` },
        // Not the default 8080: `npm start` (the demo test) may be listening there at the same time.
        http: { port: await freePort() },
        video: { width: 320, height: 180, fps: 15, bitrateKbps: 300, keyframeIntervalS: 1 },
        sources: { board: { kind: 'test' } },
        outputs: [{ name: 'archive', kind: 'record', dir: rec, segmentS: 10, minFreeMB: 0 }],
      },
      env: {},
    });
    const make = () =>
      createService(config, pino({ level: 'silent' }), {
        runner: new GstRunner(),
        profile: loadBoardProfile('software'),
        clock: { now: () => now, autoTick: false },
      });
    const first = make();
    await first.start();
    const started = await first.classroom.begin({ mode: 'recorded', name: 'Last period', minutes: 45 });
    await sleep(4000);
    // The box goes down mid-class (stopped: the running class is kept on disk as after a crash) ...
    await first.stop();
    // ... and comes back after the class's end.
    now += 50 * 60_000;
    const second = make();
    const seenHere: Seen[] = [];
    for (const t of ['class.not_resumed', 'recording.lesson'] as const)
      second.bus.on(seenHere, t, (p) => seenHere.push({ type: t, payload: p }));
    await second.start();
    try {
      await waitUntil(() => seenHere.some((e) => e.type === 'recording.lesson'), 'the lesson', 30_000);
      expect(seenHere[0]).toMatchObject({
        type: 'class.not_resumed',
        payload: { id: started.id, reason: expect.stringMatching(/end passed/) },
      });
      expect(second.classroom.snapshot()).toBeNull();
      const lesson = second.lessons!.find(started.id)!;
      expect(lesson).toMatchObject({
        state: 'ready',
        startedAt: new Date(Date.parse(started.startedAt) - (Date.parse(started.startedAt) % 1000)).toISOString(),
      });
      expect(lesson.durationS).toBeGreaterThan(2);
    } finally {
      await second.stop();
    }
  }, 60_000);
});
