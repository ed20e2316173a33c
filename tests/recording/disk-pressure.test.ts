import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { ClassboxEvents } from '../../src/core/events.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { probe } from '../helpers/media.js';
import { freePort, waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';

/**
 * A recording disk that fills up for real: a 24 MB tmpfs mounted by the test, an incompressible picture
 * at 4 Mbit/s (5 MB a segment). Room is made from the oldest segments; the recording goes on whole.
 */
const FOREIGN = ['other-school-room-7-20261101-080000-00000.mkv', 'test-school-room-10-20261101-080000-00000.mkv', 'teacher lesson.mkv'];

describe('disk pressure on a small filesystem', () => {
  const mountpoint = tempDir('classbox-small-disk-');
  let service: Service;
  const events: Array<{ type: keyof ClassboxEvents; payload: Record<string, unknown> }> = [];

  beforeAll(async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountpoint]);
    // Files classbox did not write share the folder: another room's segment and a teacher's video.
    for (const f of FOREIGN) writeFileSync(join(mountpoint, f), randomBytes(1024 * 1024));
    const config = loadConfig({
      base: {
        site: 'test-school',
        room: 'room-1',
        dataDir: tempDir(),
        profile: 'software',
        mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` },
        // Not the default 8080: `npm start` (the demo test) may be listening there at the same time.
        http: { port: await freePort() },
        video: { width: 640, height: 360, fps: 15, bitrateKbps: 4000, keyframeIntervalS: 1 },
        sources: { board: { kind: 'test', pattern: 'snow' } },
        outputs: [{ name: 'archive', kind: 'record', dir: mountpoint, segmentS: 10, minFreeMB: 8 }],
      },
      env: {},
    });
    service = createService(config, pino({ level: 'silent' }), { runner: new GstRunner(), profile: loadBoardProfile('software') });
    for (const t of ['recording.segment', 'recording.deleted', 'disk.low'] as const)
      service.bus.on(events, t, (p) => events.push({ type: t, payload: p }));
    await service.start();
  });
  afterAll(async () => {
    await service?.stop();
    execFileSync('umount', ['-l', mountpoint]);
  });

  it('disk.low, the oldest segments deleted, the class still recording, every kept segment playable', async () => {
    await service.classroom.begin({ mode: 'recorded', name: 'Physics' });
    await waitUntil(() => events.some((e) => e.type === 'recording.deleted'), 'room made on the full disk', 60_000, 250);
    const low = events.find((e) => e.type === 'disk.low')!;
    expect(low.payload).toMatchObject({ dir: mountpoint, minFreeMB: 8 });
    expect(low.payload.freeMB as number).toBeLessThan(8);
    const first = events.find((e) => e.type === 'recording.segment')!.payload.path;
    expect(events.find((e) => e.type === 'recording.deleted')!.payload.path).toBe(first);
    // The class goes on: the segment being written grows, the disk keeps its floor after each pass.
    const writing = () =>
      readdirSync(mountpoint)
        .filter((f) => f.endsWith('.mkv') && !FOREIGN.includes(f))
        .sort()
        .at(-1)!;
    const open = writing();
    const size = statSync(join(mountpoint, open)).size;
    await new Promise((r) => setTimeout(r, 2000));
    // Grown, or closed whole and followed by the next segment.
    expect(writing() !== open || statSync(join(mountpoint, open)).size > size).toBe(true);
    expect(service.classroom.snapshot()?.name).toBe('Physics');
    await service.classroom.end();
    await waitUntil(() => events.filter((e) => e.type === 'recording.segment').length >= 3, 'segments closed', 15_000);
    // Room was made from this room's own segments only.
    for (const f of FOREIGN) expect(existsSync(join(mountpoint, f)), f).toBe(true);
    expect(
      events
        .filter((e) => e.type === 'recording.segment' || e.type === 'recording.deleted')
        .map((e) => e.payload.path as string)
        .filter((p) => FOREIGN.some((f) => p.endsWith(f))),
    ).toEqual([]);
    // Every kept segment decodes; all but the last are whole 10 s segments (the last is cut by the class end).
    const kept = readdirSync(mountpoint)
      .filter((x) => x.endsWith('.mkv') && !FOREIGN.includes(x))
      .sort();
    for (const [i, f] of kept.entries()) {
      expect((await probe(join(mountpoint, f))).frames, f).toBeGreaterThan(i === kept.length - 1 ? 0 : 15);
    }
    const fs = statfsSync(mountpoint);
    expect((fs.bavail * fs.bsize) / 1024 / 1024).toBeGreaterThan(2);
  }, 120_000);
});
