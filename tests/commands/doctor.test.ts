import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PjlinkProjectorSim } from '../../src/sim/pjlink-projector.js';
import { ViscaCameraSim } from '../../src/sim/visca-camera.js';
import { ViscaIpCameraSim } from '../../src/sim/visca-ip-camera.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { freePort, freeUdpPort } from '../helpers/net.js';
import { createPtyPair, type PtyPair } from '../helpers/pty.js';
import { minimalConfig, tempDir, writeTempConfig } from '../helpers/temp-config.js';

/** What an installer sees: every configured part of the room opened or asked, with a clear line for what fails. */
describe('classbox doctor --config: the room', () => {
  let broker: Mosquitto;
  let pty: PtyPair;
  let camera: ViscaCameraSim;
  let netCamera: ViscaIpCameraSim;
  let projector: PjlinkProjectorSim;
  let report: { healthy: boolean; checks: Array<{ name: string; status: string; detail: string }> };
  let code: number | null;
  let dataDir: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    pty = await createPtyPair();
    camera = new ViscaCameraSim(pty.b);
    await camera.start();
    netCamera = new ViscaIpCameraSim();
    const netPort = await netCamera.start();
    const nobody = await freeUdpPort();
    projector = new PjlinkProjectorSim({ password: 'pw', lampHours: 321 });
    const pjPort = await projector.start();
    // A data folder that is not there yet: doctor looks, it does not create.
    dataDir = join(tempDir(), 'not-yet', 'data');
    const config = minimalConfig(broker.url, {
      profile: 'software',
      dataDir,
      sources: {
        board: { kind: 'test' },
        teacher: { kind: 'file', path: join(tempDir(), 'missing.mp4') },
        students: { kind: 'v4l2', device: '/dev/video-not-plugged' },
      },
      devices: {
        cameras: {
          'teacher-cam': { protocol: 'visca', port: pty.a, timeoutMs: 300 },
          'students-cam': { protocol: 'visca', port: '/dev/ttyUSB-not-plugged', timeoutMs: 300 },
          'rear-cam': { protocol: 'visca-ip', host: '127.0.0.1', port: netPort, timeoutMs: 300 },
          'side-cam': { protocol: 'visca-ip', host: '127.0.0.1', port: nobody, timeoutMs: 300 },
        },
        projectors: { main: { protocol: 'pjlink', host: '127.0.0.1', port: pjPort, password: 'pw', timeoutMs: 500 } },
        gpio: { onair: { line: 17, direction: 'out' } },
      },
    });
    const r = await runCli(['doctor', '--json', '--config', writeTempConfig(config)], { timeoutMs: 60_000 });
    code = r.code;
    report = JSON.parse(r.stdout);
  });
  afterAll(async () => {
    await camera.stop();
    await netCamera.stop();
    await pty.close();
    await projector.stop();
    await broker.stop();
  });

  const check = (name: string) => report.checks.find((c) => c.name === name);

  it('opens each source for one frame: the test source delivers, the missing file says why', () => {
    expect(check('source board')).toMatchObject({ status: 'ok' });
    expect(check('source teacher')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^file .*missing\.mp4: /) });
    // GStreamer alone says "Resource not found.": the line names the device first.
    expect(check('source students')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^v4l2 \/dev\/video-not-plugged: /) });
  });

  it('creates nothing: the data folder that is not there yet is measured at its nearest parent', () => {
    expect(existsSync(dataDir)).toBe(false);
    expect(check('disk')).toMatchObject({ status: 'ok', detail: expect.stringContaining(`${dataDir} (not there yet; `) });
  });

  it('asks each camera and projector: the simulator answers, the unplugged port fails clearly', () => {
    expect(check('camera teacher-cam')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^VISCA on .*: power on$/) });
    expect(check('camera students-cam')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^\/dev\/ttyUSB-not-plugged: .*(No such file|ENOENT|cannot open)/i),
    });
    expect(check('camera rear-cam')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^VISCA over IP at udp 127\.0\.0\.1:\d+: power on$/),
    });
    expect(check('camera side-cam')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^127\.0\.0\.1:\d+: .*within 300 ms/) });
    expect(check('projector main')).toMatchObject({ status: 'ok', detail: 'pjlink: power standby, lamp 321 h' });
    expect(check('gpio onair')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/simulated/) });
  });

  it('reports broker, clock and time zone; problems make exit 1', () => {
    expect(check('broker')).toMatchObject({ status: 'ok' });
    expect(check('clock')).toBeDefined();
    expect(check('time zone')?.detail).toMatch(/^machine /);
    expect(report.healthy).toBe(false);
    expect(code).toBe(1);
  });

  it('says no service runs on the data folder', () => {
    expect(check('service')).toMatchObject({ status: 'info', detail: `no classbox service running on ${dataDir}` });
  });
});

/** A technician at a running box: what the service holds, read from outside. */
describe('classbox doctor --config beside the running service', () => {
  it("reports the service's memory, descriptors against their limit and threads", async () => {
    const broker = await startMosquitto();
    // Its own HTTP port: the default 8080 is the demo's, which another test may be running.
    const config = writeTempConfig(minimalConfig(broker.url, { dataDir: tempDir(), http: { host: '127.0.0.1', port: await freePort() } }));
    const box = startCli(['run', '--config', config]);
    try {
      await box.waitForOutput(/classbox started/, 30_000);
      const r = await runCli(['doctor', '--json', '--config', config], { timeoutMs: 60_000 });
      const service = (JSON.parse(r.stdout) as { checks: Array<{ name: string; status: string; detail: string }> }).checks.find(
        (c) => c.name === 'service',
      );
      const fds = readdirSync(`/proc/${box.child.pid}/fd`).length;
      const m = /^pid (\d+): RSS ([\d.]+) MB \(anonymous ([\d.]+) MB\), (\d+) of (\d+) descriptors, (\d+) threads$/.exec(
        service?.detail ?? '',
      );
      expect(m, JSON.stringify(service)).not.toBeNull();
      expect(service!.status).toBe('ok');
      expect(Number(m![1])).toBe(box.child.pid);
      expect(Math.abs(Number(m![4]) - fds)).toBeLessThan(10);
      expect(Number(m![5])).toBeGreaterThan(Number(m![4]));
      expect(Number(m![6])).toBeGreaterThan(4);
    } finally {
      await box.stop('SIGTERM');
      await broker.stop();
    }
  }, 90_000);
});
