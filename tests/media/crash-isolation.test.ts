import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { makeTestVideo } from '../helpers/media.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freeUdpPort, sleep } from '../helpers/net.js';
import { roomConfig, tempDir, writeTempConfig } from '../helpers/temp-config.js';

const BASE = 'classbox/crash-school/room-4';

/**
 * A display sink that crashes GStreamer: the software profile's autovideosink on a host with no display
 * dies with SIGSEGV (as a broken driver would on a box). It must cost that picture only.
 */
describe('a display sink that crashes costs its picture, not the room', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let box: RunningCli;
  let lesson: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    lesson = await makeTestVideo(join(tempDir(), 'lesson.mp4'), 5, 320, 180, 15);
    // Left out, not inherited: startCli lays env over this process's environment.
    const env = { ...process.env, DISPLAY: undefined, WAYLAND_DISPLAY: undefined };
    box = startCli(
      [
        'run',
        '--config',
        writeTempConfig(
          roomConfig('crash-school', 'room-4', broker.url, {
            role: 'receive',
            video: { width: 320, height: 180, fps: 15, bitrateKbps: 300, keyframeIntervalS: 1 },
            sources: {
              anchor: { kind: 'remote', url: `srt://127.0.0.1:${await freeUdpPort()}?mode=listener` },
              students: { kind: 'test' },
            },
            display: { sink: 'profile' },
          }),
        ),
      ],
      { env },
    );
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 30_000);
  }, 60_000);
  afterAll(async () => {
    await box?.stop('SIGTERM');
    await watch?.close();
    await broker?.stop();
  });

  it('an implanted lesson whose display crashes: playback.failed with the signal, the box stays up and takes the next class', async () => {
    const request = requester(watch, BASE);
    const since = watch.messages.length;
    const started = await request('class/start', { mode: 'implanted', media: lesson, name: 'Implanted' });
    expect(started.status).toBe('ok');
    const failed = await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'playback.failed', 30_000, since);
    expect(JSON.parse(failed.payload).reason).toMatch(/SIGSEGV/);
    await sleep(1000);
    expect(box.child.exitCode).toBeNull();
    expect((await request('class/stop')).status).toBe('ok');
    expect((await request('class/start', { mode: 'live', name: 'Next' })).status).toBe('ok');
    expect((await request('class/stop')).status).toBe('ok');
  }, 60_000);

  it('the receive display crashing again and again: the lesson source is retried, the box answers throughout', async () => {
    const request = requester(watch, BASE);
    for (let i = 0; i < 5; i++) {
      expect((await request('state/get')).status).toBe('ok');
      await sleep(1000);
    }
    expect(box.child.exitCode).toBeNull();
    expect(box.child.signalCode).toBeNull();
  }, 30_000);
});
