import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PjlinkProjectorSim } from '../../src/sim/pjlink-projector.js';
import { ViscaCameraSim } from '../../src/sim/visca-camera.js';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { waitUntil } from '../helpers/net.js';
import { createPtyPair, type PtyPair } from '../helpers/pty.js';
import { minimalConfig, writeTempConfig } from '../helpers/temp-config.js';

const BASE = 'classbox/test-school/room-1';

/** A running box (child process) with a VISCA camera on a pty and a PJLink projector on TCP, driven over MQTT. */
describe('device requests over MQTT (real mosquitto, simulators over pty and TCP)', () => {
  let broker: Mosquitto;
  let box: RunningCli;
  let watch: MqttWatch;
  let pty: PtyPair;
  let camera: ViscaCameraSim;
  let projector: PjlinkProjectorSim;

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    pty = await createPtyPair();
    camera = new ViscaCameraSim(pty.b, { recallMs: 50 });
    await camera.start();
    projector = new PjlinkProjectorSim({ password: 'secret', warmUpMs: 1500, coolDownMs: 300 });
    const pjPort = await projector.start();
    const config = minimalConfig(broker.url, {
      devices: {
        cameras: { 'teacher-cam': { protocol: 'visca', port: pty.a, timeoutMs: 400, presets: { podium: 1, board: 2 } } },
        projectors: {
          main: {
            protocol: 'pjlink',
            host: '127.0.0.1',
            port: pjPort,
            password: 'secret',
            timeoutMs: 500,
            pollS: 5,
            inputs: { hdmi: '32' },
          },
          locked: { protocol: 'pjlink', host: '127.0.0.1', port: pjPort, password: 'wrong', timeoutMs: 500 },
        },
        gpio: { onair: { line: 17, direction: 'out' } },
      },
    });
    box = startCli(['run', '--config', writeTempConfig(config)]);
    await watch.waitFor(
      `${BASE}/state`,
      (p) => JSON.parse(p).devices.cameras['teacher-cam']?.online === true && JSON.parse(p).devices.projectors.main?.online === true,
      20_000,
    );
  });
  afterAll(async () => {
    await box.stop('SIGTERM');
    await watch.close();
    await camera.stop();
    await pty.close();
    await projector.stop();
    await broker.stop();
  });

  const request = (command: string, body: Record<string, unknown> = {}) => requester(watch, BASE)(command, body);

  it('state shows each device: camera online, projector online with power and lamp hours, GPIO levels', async () => {
    const state = JSON.parse((await watch.waitFor(`${BASE}/state`)).payload);
    expect(state.devices.cameras['teacher-cam']).toMatchObject({ online: true });
    expect(state.devices.projectors.main).toMatchObject({ online: true, power: 'standby', lampHours: 1234 });
    expect(state.devices.gpio.onair).toEqual({ direction: 'out', value: 0 });
  });

  it('ptz/save and ptz/recall a named preset; the bytes reach the camera', async () => {
    expect(await request('ptz/save', { camera: 'teacher-cam', preset: 'board' })).toMatchObject({
      status: 'ok',
      data: { camera: 'teacher-cam', preset: 2 },
    });
    expect(await request('ptz/recall', { camera: 'teacher-cam', preset: 'board' })).toMatchObject({ status: 'ok', data: { preset: 2 } });
    expect(camera.framesMatching('8101043f0202')).toHaveLength(1);
  });

  it('ptz/move then ptz/stop; ptz/zoom', async () => {
    expect((await request('ptz/move', { camera: 'teacher-cam', direction: 'upleft', speed: 100 })).status).toBe('ok');
    expect((await request('ptz/stop', { camera: 'teacher-cam' })).status).toBe('ok');
    const drives = camera.framesMatching('81010601').map((f) => f.toString('hex'));
    expect(drives.slice(-2)).toEqual(['8101060118140101ff', '8101060101010303ff']);
    expect((await request('ptz/zoom', { camera: 'teacher-cam', direction: 'in' })).status).toBe('ok');
    expect((await request('ptz/zoom', { camera: 'teacher-cam', direction: 'stop' })).status).toBe('ok');
  });

  it('every device error code of the contract is reachable', async () => {
    expect((await request('ptz/save', { camera: 'teacher-cam', preset: 'podium' })).status).toBe('ok');
    const codes: Record<string, string> = {};
    codes.not_found = (await request('ptz/recall', { camera: 'nobody', preset: 1 })).error.code;
    codes.not_found_preset = (await request('ptz/recall', { camera: 'teacher-cam', preset: 'nowhere' })).error.code;
    codes.invalid_request = (await request('ptz/move', { camera: 'teacher-cam', direction: 'sideways' })).error.code;
    codes.auth_failed = (await request('projector/power', { projector: 'locked', on: true })).error.code;
    camera.camera().power = false;
    codes.device_error = (await request('ptz/recall', { camera: 'teacher-cam', preset: 'podium' })).error.code;
    camera.camera().power = true;
    camera.silent = true;
    codes.device_timeout = (await request('ptz/recall', { camera: 'teacher-cam', preset: 'podium' })).error.code;
    camera.silent = false;
    // The camera answers again: online again at once (it went offline while silent).
    expect(await request('ptz/recall', { camera: 'teacher-cam', preset: 'podium' })).toMatchObject({ status: 'ok' });
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).devices.cameras['teacher-cam'].online === true);
    expect((await request('projector/power', { projector: 'main', on: true })).status).toBe('ok');
    const busy = await request('projector/input', { projector: 'main', input: 'hdmi' });
    codes.device_busy = busy.error.code;
    expect(busy.error.message).toMatch(/warming up: try again in \d+ s/);
    expect(codes).toEqual({
      not_found: 'not_found',
      not_found_preset: 'not_found',
      invalid_request: 'invalid_request',
      auth_failed: 'auth_failed',
      device_error: 'device_error',
      device_timeout: 'device_timeout',
      device_busy: 'device_busy',
    });
    // Asked to wait, the same request is queued through the warm-up.
    expect(await request('projector/input', { projector: 'main', input: 'hdmi', wait: true })).toMatchObject({
      status: 'ok',
      data: { power: 'on', input: '32' },
    });
    expect(projector.model.input).toBe('32');
  });

  it('gpio/set drives the line and the state follows', async () => {
    expect((await request('gpio/set', { name: 'onair', value: 1 })).status).toBe('ok');
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).devices.gpio.onair?.value === 1);
    expect((await request('gpio/set', { name: 'nothing', value: 1 })).error.code).toBe('not_found');
    expect((await request('gpio/set', { name: 'onair', value: 7 })).error.code).toBe('invalid_request');
  });

  it('unplugging the camera: device.offline event and device_unavailable; replugging: device.online', async () => {
    const since = watch.messages.length;
    await camera.stop();
    await pty.unplug();
    const off = await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'device.offline', 10_000, since);
    expect(JSON.parse(off.payload)).toMatchObject({ type: 'device.offline', device: 'teacher-cam', kind: 'camera' });
    expect((await request('ptz/recall', { camera: 'teacher-cam', preset: 1 })).error.code).toBe('device_unavailable');
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).devices.cameras['teacher-cam'].online === false, 5000, since);
    await pty.plug();
    await camera.start();
    const on = await watch.waitFor(
      `${BASE}/event`,
      (p) => JSON.parse(p).type === 'device.online' && JSON.parse(p).device === 'teacher-cam',
      15_000,
      since,
    );
    expect(JSON.parse(on.payload).seq).toBeGreaterThan(JSON.parse(off.payload).seq);
    await waitUntil(
      async () => (await request('ptz/recall', { camera: 'teacher-cam', preset: 1 })).status === 'ok',
      'camera answers again',
      5000,
    );
  });
});
