import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
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
 * A class recorded in 10 s segments on real GStreamer: each closed segment is announced with its
 * duration, size and SHA-256 and listed in the class's manifest; size retention and a disk that is
 * (by its limit) always low make room from the oldest, never from the segment being written.
 */
describe('recording segments', () => {
  let service: Service;
  const rec = tempDir('classbox-rec-');
  const dataDir = tempDir();
  const events: Array<{ type: keyof ClassboxEvents; payload: Record<string, unknown> }> = [];

  beforeAll(async () => {
    const config = loadConfig({
      base: {
        site: 'test-school',
        room: 'room-1',
        dataDir,
        profile: 'software',
        // No broker: the recording does not depend on one.
        mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` },
        video: { width: 320, height: 180, fps: 15, bitrateKbps: 300, keyframeIntervalS: 1 },
        sources: { board: { kind: 'test' } },
        outputs: [{ name: 'archive', kind: 'record', dir: rec, segmentS: 10, minFreeMB: 0 }],
      },
      env: {},
    });
    service = createService(config, pino({ level: 'silent' }), {
      runner: new GstRunner(),
      profile: loadBoardProfile('software'),
      http: false, // its default port is the demo's (tests/commands/demo.test.ts runs alongside)
    });
    for (const t of ['recording.segment', 'recording.deleted', 'disk.low', 'recording.empty'] as const)
      service.bus.on(events, t, (p) => events.push({ type: t, payload: p }));
    await service.start();
  });
  afterAll(async () => service?.stop());

  it('each closed segment: an event with duration, bytes and SHA-256, and the class manifest in order', async () => {
    const started = await service.classroom.begin({ mode: 'recorded', name: 'Biology 8' });
    await waitUntil(() => events.filter((e) => e.type === 'recording.segment').length >= 1, 'a closed segment', 40_000);
    // The composite restarts mid-class (a fault): the recording goes on in the same class, next segment.
    service.media!.restart();
    await waitUntil(() => events.filter((e) => e.type === 'recording.segment').length >= 2, 'the segment cut by the restart', 20_000);
    await service.classroom.end();
    await waitUntil(
      () => events.filter((e) => e.type === 'recording.segment').length >= 3,
      'the last segment, closed by the end of the class',
      15_000,
    );
    const segments = events.filter((e) => e.type === 'recording.segment').map((e) => e.payload);
    expect(Math.abs((segments[0]!.durationS as number) - 10)).toBeLessThan(1);
    for (const s of segments) {
      const path = s.path as string;
      expect(path).toMatch(/test-school-room-1-biology-8-\d{8}-\d{6}-\d{5}\.mkv$/);
      expect(s.class).toBe(started.id);
      expect(s.bytes).toBe(statSync(path).size);
      expect(s.sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
      // Every frame decoded by ffprobe, at 15 fps: also for the segment cut by the restart, which has no
      // Duration element of its own.
      expect(Math.abs((await probe(path)).frames / 15 - (s.durationS as number))).toBeLessThan(1);
    }
    const manifest = JSON.parse(readFileSync(join(dataDir, 'recordings', 'classes', `${started.id}.json`), 'utf8'));
    expect(manifest.segments.map((s: { index: number }) => s.index)).toEqual([0, 1, 2]);
    expect(manifest.segments.map((s: { file: string }) => s.file)).toEqual(segments.map((s) => (s.path as string).split('/').pop()));
    const last = service.classroom.sessions(1)[0]!;
    expect(last.bytesRecorded).toBe(segments.reduce((a, s) => a + (s.bytes as number), 0));
  }, 90_000);

  it('retention: over the size limit and with the disk low the oldest go, never the one being written', async () => {
    const out = service.config.outputs[0] as { maxSizeGB?: number; minFreeMB: number };
    const before = readdirSync(rec)
      .filter((f) => f.endsWith('.mkv'))
      .sort();
    expect(before.length).toBe(3);
    // A limit the recordings are over, and a free-space floor no disk meets.
    out.maxSizeGB = 0.1;
    out.minFreeMB = 100_000_000;
    await service.classroom.begin({ mode: 'recorded', name: 'Biology 9' });
    await waitUntil(() => events.some((e) => e.type === 'disk.low'), 'disk.low', 20_000);
    await waitUntil(() => events.filter((e) => e.type === 'recording.deleted').length >= 3, 'older segments deleted', 20_000);
    const deleted = events.filter((e) => e.type === 'recording.deleted').map((e) => e.payload.path as string);
    expect(deleted.slice(0, 3)).toEqual(before.map((f) => join(rec, f)));
    // The class goes on recording: its open segment is still there and growing.
    const newest = () =>
      readdirSync(rec)
        .filter((f) => f.includes('biology-9'))
        .sort()
        .at(-1);
    await waitUntil(() => newest(), "the class's first segment", 10_000);
    const file = newest()!;
    const size = statSync(join(rec, file)).size;
    await waitUntil(() => statSync(join(rec, newest()!)).size > (newest() === file ? size : 0), 'the open segment growing', 10_000);
    await service.classroom.end();
  }, 60_000);

  it('a segment closed empty (a full disk) is removed and said so, never announced as a recording', async () => {
    const empty = join(rec, 'test-school-room-1-20261101-080000-00000.mkv');
    writeFileSync(empty, '');
    await waitUntil(() => events.some((e) => e.type === 'recording.empty'), 'recording.empty', 10_000);
    expect(events.find((e) => e.type === 'recording.empty')!.payload).toMatchObject({ path: empty });
    expect(events.filter((e) => e.type === 'recording.segment').map((e) => e.payload.path)).not.toContain(empty);
    expect(existsSync(empty)).toBe(false);
  }, 30_000);
});
