import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { waitUntil } from '../helpers/net.js';
import { startS3, type S3Server } from '../helpers/s3.js';
import { tempDir, writeTempConfig } from '../helpers/temp-config.js';

const BASE = 'classbox/kill-school/room-4';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('kill -9 during an upload', () => {
  let broker: Mosquitto;
  let s3: S3Server;
  let watch: MqttWatch;

  beforeAll(async () => {
    broker = await startMosquitto();
    s3 = await startS3();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
  });
  afterAll(async () => {
    await watch.close();
    await s3.stop();
    await broker.stop();
  });

  it('the upload goes on from its next part when classbox is back, and the object is whole', async () => {
    const rec = tempDir('classbox-rec-');
    const dataDir = tempDir();
    // A segment left closed on the disk (as after a class): picked up at start.
    const data = randomBytes(12 * 1024 * 1024);
    const path = join(rec, 'kill-school-room-4-20261123-080000-00000.mkv');
    writeFileSync(path, data);
    const config = writeTempConfig({
      site: 'kill-school',
      room: 'room-4',
      profile: 'software',
      dataDir,
      mqtt: { url: broker.url },
      sources: { board: { kind: 'test' } },
      video: { width: 320, height: 180, fps: 15, bitrateKbps: 300 },
      outputs: [{ name: 'archive', kind: 'record', dir: rec, segmentS: 600, minFreeMB: 0 }],
      upload: {
        endpoint: s3.url,
        bucket: 'lessons',
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        partSizeMB: 5,
        bandwidthKbps: 16_000,
        deleteAfterUpload: true,
        segments: true,
      },
    });
    const first = startCli(['run', '--config', config]);
    const parts = () => {
      try {
        return (JSON.parse(readFileSync(join(dataDir, 'uploads.json'), 'utf8')) as Array<{ parts: unknown[] }>)[0]?.parts.length ?? 0;
      } catch {
        return 0;
      }
    };
    await waitUntil(() => parts() >= 1, 'first part stored', 30_000, 20);
    await first.stop('SIGKILL');
    expect(parts()).toBeLessThan(3);

    const since = watch.messages.length;
    const second = startCli(['run', '--config', config]);
    try {
      const done = await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'upload.completed', 40_000, since);
      expect(JSON.parse(done.payload)).toMatchObject({ path, bytes: data.length, sha256: sha(data) });
      const list = await requester(watch, BASE)('uploads/list');
      expect(list.data.uploads[0]).toMatchObject({ path, state: 'done', partsDone: 3 });
      const client = new S3Client({
        region: 'us-east-1',
        endpoint: s3.url,
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      });
      const obj = await client.send(new GetObjectCommand({ Bucket: 'lessons', Key: list.data.uploads[0].key }));
      expect(sha(Buffer.from(await obj.Body!.transformToByteArray()))).toBe(sha(data));
      client.destroy();
      // Verified, so the local copy goes (deleteAfterUpload).
      await waitUntil(() => !existsSync(path), 'local copy deleted after the verified upload');
    } finally {
      await second.stop('SIGTERM');
    }
  }, 120_000);
});
