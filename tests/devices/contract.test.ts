import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Projector } from '../../src/devices/projector.js';
import type { PtzCamera } from '../../src/devices/ptz-camera.js';
import { PjlinkProjectorSim } from '../../src/sim/pjlink-projector.js';
import { ViscaCameraSim } from '../../src/sim/visca-camera.js';
import { ViscaIpCameraSim } from '../../src/sim/visca-ip-camera.js';
import { startDevices } from '../helpers/devices.js';
import { waitUntil } from '../helpers/net.js';
import { createPtyPair } from '../helpers/pty.js';

/**
 * One contract, two targets: it runs against the simulators always, and against real hardware when
 * CLASSBOX_TEST_VISCA_PORT (a serial device with a VISCA camera at address 1),
 * CLASSBOX_TEST_VISCA_IP_HOST (host[:port] of a VISCA over IP camera) or CLASSBOX_TEST_PJLINK_HOST (host[:port], password in CLASSBOX_TEST_PJLINK_PASSWORD) is set.
 * On real hardware it only does what leaves the room as it was: inquiries, a short move with its
 * stop, home; no preset is overwritten and no lamp is switched.
 */
type Target<T> = { name: string; real: boolean; open: () => Promise<{ device: T; close: () => Promise<void> }> };

function ptzContract(target: Target<PtzCamera>) {
  describe(`PTZ contract: ${target.name}`, () => {
    let cam: PtzCamera;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ device: cam, close } = await target.open());
      await waitUntil(() => cam.online, `${target.name} online`, 10_000);
    });
    afterAll(async () => close?.());

    it('answers the power inquiry and reports its position', async () => {
      const s = await cam.status();
      expect(s.online).toBe(true);
      expect(['on', 'standby']).toContain(s.power);
      if (s.power === 'on') expect(typeof s.pan).toBe('number');
    });

    it('a short move ends with the camera stopped where it was driven', async () => {
      const before = await cam.status();
      await cam.move('right', 30);
      await new Promise((r) => setTimeout(r, 300));
      await cam.stopMove();
      expect(cam.moving).toBe(false);
      const after = await cam.status();
      expect(after.pan).not.toBe(before.pan);
      await new Promise((r) => setTimeout(r, 200));
      expect((await cam.status()).pan).toBe(after.pan); // stopped means stopped
    });

    it('goes home', async () => {
      await cam.home();
    });

    it.skipIf(target.real)('saves and recalls a preset (simulator only: a real camera keeps its presets)', async () => {
      await cam.save(7);
      await cam.move('left', 100);
      await new Promise((r) => setTimeout(r, 100));
      await cam.stopMove();
      await cam.recall(7);
    });
  });
}

function projectorContract(target: Target<Projector>) {
  describe(`projector contract: ${target.name}`, () => {
    let p: Projector;
    let close: () => Promise<void>;
    beforeAll(async () => ({ device: p, close } = await target.open()));
    afterAll(async () => close?.());

    it('answers a status poll with its power state, lamp hours and no error', async () => {
      const s = await p.poll();
      expect(s.error).toBeUndefined();
      expect(s.online).toBe(true);
      expect(['on', 'standby', 'warming', 'cooling']).toContain(s.power);
      expect(s.lampHours).toBeGreaterThanOrEqual(0);
    });
  });
}

ptzContract({
  name: 'VISCA simulator on a pty',
  real: false,
  open: async () => {
    const pty = await createPtyPair();
    const sim = new ViscaCameraSim(pty.b);
    await sim.start();
    const d = await startDevices({ cameras: { cam: { protocol: 'visca', port: pty.a } } });
    return { device: d.room.camera('cam'), close: async () => (await d.stop(), await sim.stop(), await pty.close()) };
  },
});

ptzContract({
  name: 'VISCA over IP simulator on UDP',
  real: false,
  open: async () => {
    const sim = new ViscaIpCameraSim();
    const port = await sim.start();
    const d = await startDevices({ cameras: { cam: { protocol: 'visca-ip', host: '127.0.0.1', port } } });
    return { device: d.room.camera('cam'), close: async () => (await d.stop(), await sim.stop()) };
  },
});

projectorContract({
  name: 'PJLink simulator on TCP',
  real: false,
  open: async () => {
    const sim = new PjlinkProjectorSim({ password: 'pw' });
    const port = await sim.start();
    const d = await startDevices({ projectors: { p: { protocol: 'pjlink', host: '127.0.0.1', port, password: 'pw' } } });
    return { device: d.room.projector('p'), close: async () => (await d.stop(), await sim.stop()) };
  },
});

const viscaPort = process.env.CLASSBOX_TEST_VISCA_PORT;
const viscaIpHost = process.env.CLASSBOX_TEST_VISCA_IP_HOST;
const pjlinkHost = process.env.CLASSBOX_TEST_PJLINK_HOST;
const skipped = [
  viscaPort ? '' : 'VISCA skipped (set CLASSBOX_TEST_VISCA_PORT=/dev/ttyUSB0)',
  viscaIpHost ? '' : 'VISCA over IP skipped (set CLASSBOX_TEST_VISCA_IP_HOST=host[:port])',
  pjlinkHost ? '' : 'PJLink skipped (set CLASSBOX_TEST_PJLINK_HOST=host[:port])',
].filter(Boolean);
if (skipped.length > 0) console.info(`real-hardware contract: ${skipped.join('; ')}`);
describe.skipIf(!viscaPort)('real VISCA camera', () => {
  ptzContract({
    name: `VISCA camera on ${viscaPort}`,
    real: true,
    open: async () => {
      const d = await startDevices({
        cameras: { cam: { protocol: 'visca', port: viscaPort, baudRate: Number(process.env.CLASSBOX_TEST_VISCA_BAUD ?? 9600) } },
      });
      return { device: d.room.camera('cam'), close: () => d.stop() };
    },
  });
});
describe.skipIf(!viscaIpHost)('real VISCA over IP camera', () => {
  const [host, port] = (viscaIpHost ?? '').split(':');
  ptzContract({
    name: `VISCA over IP camera at ${viscaIpHost}`,
    real: true,
    open: async () => {
      const d = await startDevices({ cameras: { cam: { protocol: 'visca-ip', host, port: Number(port ?? 52381) } } });
      return { device: d.room.camera('cam'), close: () => d.stop() };
    },
  });
});
describe.skipIf(!pjlinkHost)('real PJLink projector', () => {
  const [host, port] = (pjlinkHost ?? '').split(':');
  projectorContract({
    name: `PJLink projector at ${pjlinkHost}`,
    real: true,
    open: async () => {
      const password = process.env.CLASSBOX_TEST_PJLINK_PASSWORD;
      const d = await startDevices({
        projectors: { p: { protocol: 'pjlink', host, port: Number(port ?? 4352), ...(password ? { password } : {}) } },
      });
      return { device: d.room.projector('p'), close: () => d.stop() };
    },
  });
});
