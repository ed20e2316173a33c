import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { probe } from '../helpers/media.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { watchMqtt } from '../helpers/mqtt-watch.js';
import { sleep, waitUntil } from '../helpers/net.js';
import { roomConfig, tempDir, writeTempConfig } from '../helpers/temp-config.js';

describe('recording survives kill -9', () => {
  it('leaves every segment playable, the open one up to its last second or two', async () => {
    const rec = tempDir();
    const broker = await startMosquitto();
    const config = writeTempConfig(
      roomConfig('crash-school', 'room-9', broker.url, {
        video: { width: 640, height: 360, fps: 30, bitrateKbps: 800, keyframeIntervalS: 1 },
        sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball' } },
        outputs: [{ name: 'archive', kind: 'record', dir: rec, segmentS: 10 }],
      }),
    );
    const box = startCli(['run', '--config', config]);
    // A box records during classes: start one.
    const watch = await watchMqtt(broker.url, 'classbox/crash-school/room-9/#');
    await watch.waitFor('classbox/crash-school/room-9/availability', (p) => p === 'online', 20_000);
    await watch.client.publishAsync('classbox/crash-school/room-9/request/class/start', JSON.stringify({ id: 'c', mode: 'recorded' }), {
      qos: 1,
    });
    await watch.waitFor('classbox/crash-school/room-9/response/class/start', (p) => JSON.parse(p).status === 'ok', 20_000);
    await watch.close();
    const mkvs = () =>
      readdirSync(rec)
        .filter((f) => f.endsWith('.mkv'))
        .sort();
    await waitUntil(() => mkvs().length > 0, 'a segment file', 20_000);
    const t0 = Date.now();
    // Past one segment boundary, so there is a closed segment and an open one.
    await sleep(13_000);
    const ranS = (Date.now() - t0) / 1000;
    await box.stop('SIGKILL');
    await broker.stop();
    const files = mkvs();
    expect(files.length).toBe(2);
    const closed = await probe(join(rec, files[0]!));
    expect(Math.abs(closed.durationS - 10)).toBeLessThan(1);
    const open = await probe(join(rec, files[1]!));
    // Matroska without its final index still plays: ffprobe decodes every frame up to the kill.
    expect(open.frames).toBeGreaterThan(30);
    expect(closed.durationS + open.frames / 30).toBeGreaterThan(ranS - 2);
  });
});
