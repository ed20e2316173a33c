import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { makeTestVideo } from '../helpers/media.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';

const BASE = 'classbox/test-school/room-1';

/** A receiving school plays a recorded lesson inside its own teaching, driven over MQTT. */
describe('implanted class', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let service: Service;
  let lesson: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    lesson = await makeTestVideo(join(tempDir(), 'anchor-math-03.mp4'), 4, 320, 180, 15);
    const config = loadConfig({
      base: {
        site: 'test-school',
        room: 'room-1',
        role: 'receive',
        dataDir: tempDir(),
        display: { sink: 'none' },
        mqtt: { url: broker.url },
      },
      env: {},
    });
    service = createService(config, pino({ level: process.env.CLASSBOX_TEST_LOG ?? 'silent' }), {
      runner: new GstRunner(),
      profile: loadBoardProfile('software'),
      // No local HTTP: its default port is the demo's (tests/commands/demo.test.ts runs alongside).
      http: false,
    });
    await service.start();
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 10_000);
  });
  afterAll(async () => {
    await service?.stop();
    await watch.close();
    await broker.stop();
  });

  const request = (command: string, body: Record<string, unknown> = {}) => requester(watch, BASE)(command, body);

  it('plays the chosen lesson with pause, seek and stop; the end of the class stops it', async () => {
    expect((await request('class/start', { mode: 'implanted' })).error).toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/^media:/),
    });
    expect((await request('class/start', { mode: 'implanted', name: 'math with the anchor', media: '/nowhere.mp4' })).status).toBe('ok');
    // A lesson that cannot be found is an incident of the class, not a crash.
    const missing = await request('class/stop');
    expect(missing.data.incidents[0]).toMatchObject({ type: 'media failed', detail: expect.stringMatching(/not_found/) });

    expect((await request('class/start', { mode: 'implanted', name: 'math with the anchor', media: lesson })).status).toBe('ok');
    await waitUntil(async () => ((await request('playback/status')).data?.positionS ?? 0) > 0.3, 'lesson playing', 10_000);
    const paused = await request('playback/pause');
    expect(paused.data).toMatchObject({ state: 'paused', media: lesson });
    expect((await request('playback/seek', { seconds: 2 })).status).toBe('ok');
    expect((await request('playback/seek', { seconds: 99 })).error.code).toBe('invalid_request');
    expect((await request('playback/play')).data.state).toBe('playing');
    await waitUntil(async () => ((await request('playback/status')).data?.positionS ?? 0) >= 2, 'played on from the seek', 5000);
    const summary = await request('class/stop');
    expect(summary.data).toMatchObject({ mode: 'implanted', name: 'math with the anchor', incidents: [] });
    expect((await request('playback/pause')).error.code).toBe('conflict'); // stopped with the class
  });
});
