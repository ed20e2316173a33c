import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PjlinkProjectorSim } from '../../src/sim/pjlink-projector.js';
import { ViscaCameraSim } from '../../src/sim/visca-camera.js';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { waitUntil } from '../helpers/net.js';
import { createPtyPair, type PtyPair } from '../helpers/pty.js';
import { minimalConfig, writeTempConfig } from '../helpers/temp-config.js';

const NODE = 'classbox_test-school_room-1';
const BASE = 'classbox/test-school/room-1';

/** A facility manager's view: projector switches, preset buttons and the on-air light, driven as HA drives them. */
describe('Home Assistant discovery of the room hardware', () => {
  let broker: Mosquitto;
  let box: RunningCli;
  let watch: MqttWatch;
  let pty: PtyPair;
  let camera: ViscaCameraSim;
  let projector: PjlinkProjectorSim;
  const entry = (component: string, id: string) =>
    JSON.parse(watch.messages.find((m) => m.topic === `homeassistant/${component}/${NODE}/${id}/config`)!.payload);

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, ['homeassistant/#', `${BASE}/#`]);
    pty = await createPtyPair();
    camera = new ViscaCameraSim(pty.b, { recallMs: 20 });
    await camera.start();
    camera.camera().presets.set(2, { pan: 500, tilt: 0, zoom: 0 });
    projector = new PjlinkProjectorSim({ warmUpMs: 100 });
    const port = await projector.start();
    const config = minimalConfig(broker.url, {
      mqtt: { url: broker.url, homeAssistant: { discovery: true } },
      devices: {
        cameras: { 'teacher-cam': { protocol: 'visca', port: pty.a, presets: { podium: 1, board: 2 } } },
        projectors: { main: { protocol: 'pjlink', host: '127.0.0.1', port, timeoutMs: 500 } },
        gpio: { onair: { line: 17, direction: 'out', shows: 'on-air' } },
      },
    });
    box = startCli(['run', '--config', writeTempConfig(config)]);
    await waitUntil(
      () => watch.messages.filter((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config')).length >= 10,
      'all discovery entries',
      20_000,
    );
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).devices.projectors.main.online === true, 10_000);
  });
  afterAll(async () => {
    await box.stop('SIGTERM');
    await watch.close();
    await camera.stop();
    await pty.close();
    await projector.stop();
    await broker.stop();
  });

  it('announces the camera, its presets, the projector and the on-air light', () => {
    const ids = watch.messages
      .filter((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config'))
      .map((m) => m.topic.replace(`/${NODE}/`, ' ').replace('homeassistant/', '').replace('/config', ''));
    expect(ids).toEqual(
      expect.arrayContaining([
        'binary_sensor camera_teacher_cam_online',
        'button camera_teacher_cam_preset_podium',
        'button camera_teacher_cam_preset_board',
        'switch projector_main',
        'sensor projector_main_power',
        'sensor projector_main_lamp',
        'switch gpio_onair',
      ]),
    );
    expect(entry('switch', 'gpio_onair').name).toBe('On-air light');
  });

  it('the projector switch and the preset button work as Home Assistant sends them', async () => {
    const sw = entry('switch', 'projector_main');
    const since = watch.messages.length;
    await watch.client.publishAsync(sw.cmd_t, sw.pl_on, { qos: 1 });
    await watch.waitFor(`${BASE}/response/projector/power`, (p) => JSON.parse(p).status === 'ok', 10_000, since);
    expect(projector.model.switches.map((s) => s.on)).toEqual([true]);
    const button = entry('button', 'camera_teacher_cam_preset_board');
    await watch.client.publishAsync(button.cmd_t, button.pl_prs, { qos: 1 });
    await watch.waitFor(`${BASE}/response/ptz/recall`, (p) => JSON.parse(p).status === 'ok', 10_000, since);
    expect(camera.camera().pan).toBe(500);
    const light = entry('switch', 'gpio_onair');
    await watch.client.publishAsync(light.cmd_t, light.pl_on, { qos: 1 });
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).devices.gpio.onair.value === 1, 5000, since);
  });
});
