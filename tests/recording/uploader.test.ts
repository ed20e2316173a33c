import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { EventBus, type ClassboxEvents } from '../../src/core/events.js';
import { Uploader } from '../../src/recording/uploader.js';
import { waitUntil } from '../helpers/net.js';
import { startS3, type S3Server } from '../helpers/s3.js';
import { tempDir } from '../helpers/temp-config.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Uploads against a real S3-compatible server (s3rver) on loopback, which the tests stop and start. */
describe('uploads to S3-compatible storage', () => {
  let s3: S3Server;
  const dataDir = tempDir();
  const files = tempDir('classbox-seg-');

  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => s3.stop());

  function uploader(bus: EventBus, onUploaded: (p: string) => void = () => {}, segments = true) {
    const config = loadConfig({
      base: {
        site: 'test-school',
        room: 'room-1',
        dataDir,
        upload: {
          endpoint: s3.url,
          bucket: 'lessons',
          prefix: 'rec/',
          accessKeyId: 'S3RVER',
          secretAccessKey: 'S3RVER',
          partSizeMB: 5,
          bandwidthKbps: 40_000,
          segments,
        },
      },
      env: {},
    });
    return new Uploader({ config, upload: config.upload!, log: pino({ level: 'silent' }), bus, onUploaded, backoffMs: [200, 400] });
  }

  async function stored(key: string): Promise<Buffer> {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.url,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const res = await client.send(new GetObjectCommand({ Bucket: 'lessons', Key: key }));
    const body = Buffer.from(await res.Body!.transformToByteArray());
    client.destroy();
    return body;
  }

  it('uploads a closed segment in parts, verified by size and SHA-256; an outage of the store mid-upload is sat out', async () => {
    const data = randomBytes(12 * 1024 * 1024); // three parts of 5 MB at 5 MB/s
    const path = join(files, 'test-school-room-1-math-20261123-080000-00000.mkv');
    writeFileSync(path, data);
    const bus = new EventBus();
    const events: Array<{ type: keyof ClassboxEvents; payload: Record<string, unknown> }> = [];
    for (const t of ['upload.started', 'upload.retrying', 'upload.completed'] as const)
      bus.on(events, t, (p) => events.push({ type: t, payload: p }));
    const uploaded: string[] = [];
    const u = uploader(bus, (p) => uploaded.push(p));
    await u.start();
    bus.emit('recording.segment', { path, class: '20261123T000000-math', index: 0, durationS: 600, bytes: data.length, sha256: sha(data) });
    await waitUntil(() => u.list()[0]?.parts.length === 1, 'first part stored', 10_000);
    await s3.stop();
    await waitUntil(() => events.some((e) => e.type === 'upload.retrying'), 'retrying while the store is away', 10_000);
    await new Promise((r) => setTimeout(r, 500));
    await s3.start();
    await waitUntil(() => events.some((e) => e.type === 'upload.completed'), 'upload completed', 30_000);
    expect(u.list()[0]).toMatchObject({
      state: 'done',
      key: 'rec/test-school/room-1/20261123T000000-math/test-school-room-1-math-20261123-080000-00000.mkv',
    });
    expect(events.filter((e) => e.type === 'upload.started')).toHaveLength(1); // the same multipart upload throughout
    expect(sha(await stored(u.list()[0]!.key))).toBe(sha(data));
    expect(uploaded).toEqual([path]);
    await u.stop();
  }, 60_000);

  it('a restart mid-upload goes on from the next part (state on disk)', async () => {
    const data = randomBytes(11 * 1024 * 1024);
    const path = join(files, 'test-school-room-1-art-20261123-090000-00000.mkv');
    writeFileSync(path, data);
    const bus1 = new EventBus();
    const first = uploader(bus1);
    await first.start();
    bus1.emit('recording.segment', { path, class: null, index: 0, durationS: 600, bytes: data.length, sha256: sha(data) });
    await waitUntil(() => first.list().find((i) => i.path === path)?.parts.length === 1, 'first part', 10_000);
    const uploadId = first.list().find((i) => i.path === path)!.uploadId;
    await first.stop(); // classbox goes away mid-upload

    const bus2 = new EventBus();
    const completed: string[] = [];
    bus2.on(completed, 'upload.completed', (e) => completed.push(e.path));
    const second = uploader(bus2);
    await second.start();
    await waitUntil(() => completed.includes(path), 'resumed and completed', 30_000);
    const item = second.list().find((i) => i.path === path)!;
    expect(item.uploadId).toBe(uploadId);
    expect(item.parts.map((p) => p.n)).toEqual([1, 2, 3]);
    expect(sha(await stored(item.key))).toBe(sha(data));
    await second.stop();
  }, 60_000);

  it('a store that answers 503 while segments keep closing: retries, the queue on disk stays whole, nothing throws', async () => {
    const unavailable = createServer((req, res) => {
      req.resume();
      res
        .writeHead(503, { 'Content-Type': 'application/xml' })
        .end('<Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>');
    });
    await new Promise<void>((r) => unavailable.listen(0, '127.0.0.1', r));
    const dir = tempDir();
    const config = loadConfig({
      base: {
        site: 'test-school',
        room: 'room-1',
        dataDir: dir,
        upload: {
          endpoint: `http://127.0.0.1:${(unavailable.address() as AddressInfo).port}`,
          bucket: 'lessons',
          accessKeyId: 'k',
          secretAccessKey: 's',
          segments: true,
        },
      },
      env: {},
    });
    const bus = new EventBus();
    const retries: unknown[] = [];
    bus.on(retries, 'upload.retrying', (p) => retries.push(p));
    const u = new Uploader({ config, upload: config.upload!, log: pino({ level: 'silent' }), bus, onUploaded: () => {}, backoffMs: [5] });
    // Before the fix two saves at once shared one temporary file: the second rename threw ENOENT as an
    // unhandled rejection (the suite fails on those), which ended the process on a box.
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on('unhandledRejection', onRejection);
    try {
      await u.start();
      for (let i = 0; i < 40; i++) {
        const data = randomBytes(1024);
        const path = join(files, `seg-503-${i}.mkv`);
        writeFileSync(path, data);
        bus.emit('recording.segment', { path, class: null, index: i, durationS: 10, bytes: data.length, sha256: sha(data) });
        await new Promise((r) => setTimeout(r, i % 4 === 0 ? 15 : 0));
      }
      await waitUntil(() => retries.length >= 3, 'retrying against the 503 store', 10_000);
      await u.stop();
      expect(rejections).toEqual([]);
      const saved = JSON.parse(readFileSync(join(dir, 'uploads.json'), 'utf8')) as Array<{ state: string }>;
      expect(saved).toHaveLength(40);
      expect(saved.every((i) => i.state !== 'done')).toBe(true);
    } finally {
      process.off('unhandledRejection', onRejection);
      unavailable.close();
    }
  }, 60_000);

  it('by default a class goes up as its lesson (under its date, as video/mp4, with its thumbnail), not as segments', async () => {
    const bus = new EventBus();
    const completed: string[] = [];
    bus.on(completed, 'upload.completed', (e) => completed.push(e.key));
    const up = uploader(bus, () => {}, false);
    await up.start();
    const segment = join(files, 'test-school-room-1-history-20261124-080000-00000.mkv');
    const lesson = join(files, '20261124T080000-history.mp4');
    const thumb = join(files, '20261124T080000-history.jpg');
    const [seg, mp4, jpg] = [randomBytes(64 * 1024), randomBytes(6 * 1024 * 1024), randomBytes(8 * 1024)];
    writeFileSync(segment, seg);
    writeFileSync(lesson, mp4);
    writeFileSync(thumb, jpg);
    bus.emit('recording.segment', {
      path: segment,
      class: '20261124T080000-history',
      index: 0,
      durationS: 10,
      bytes: seg.length,
      sha256: sha(seg),
    });
    bus.emit('recording.lesson', {
      class: '20261124T080000-history',
      name: 'History',
      path: lesson,
      bytes: mp4.length,
      durationS: 2700,
      sha256: sha(mp4),
      startedAt: '2026-11-24T08:00:00.000Z',
      thumbnail: { path: thumb, bytes: jpg.length, sha256: sha(jpg) },
    });
    await waitUntil(() => completed.length === 2, 'lesson and thumbnail stored', 30_000);
    expect(completed).toEqual([
      'rec/test-school/room-1/2026-11-24/20261124T080000-history.mp4',
      'rec/test-school/room-1/2026-11-24/20261124T080000-history.jpg',
    ]);
    expect(sha(await stored(completed[0]!))).toBe(sha(mp4));
    expect(sha(await stored(completed[1]!))).toBe(sha(jpg));
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.url,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const head = await client.send(new HeadObjectCommand({ Bucket: 'lessons', Key: completed[0]! }));
    client.destroy();
    expect(head.ContentType).toBe('video/mp4');
    expect(up.list().map((i) => i.path)).not.toContain(segment);
    await up.stop();
  }, 60_000);
});
