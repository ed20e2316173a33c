import { afterEach, describe, expect, it } from 'vitest';
import { ViscaCameraSim } from '../../src/sim/visca-camera.js';
import { memoryLinkPair } from '../../src/transports/memory-link.js';
import { startDevices } from '../helpers/devices.js';
import { waitUntil } from '../helpers/net.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/**
 * The room's devices over a line in memory instead of a pseudo-terminal: the same Devices, the same
 * protocol code and the same simulator, with the link maker handed in (the end-to-end tests keep socat).
 */
describe('devices over a line in memory', () => {
  it('two VISCA cameras on one chain share one port: one Address Set, each answers at its address', async () => {
    const [box, device] = memoryLinkPair('/dev/ttyUSB7');
    const sim = new ViscaCameraSim('unused', { cameras: 2, recallMs: 50 });
    await sim.start(device);
    cleanups.push(() => sim.stop());
    const made: string[] = [];
    const d = await startDevices(
      {
        cameras: {
          teacher: { protocol: 'visca', port: '/dev/ttyUSB7', address: 1, timeoutMs: 300 },
          students: { protocol: 'visca', port: '/dev/ttyUSB7', address: 2, timeoutMs: 300 },
        },
      },
      {
        makeLink: (c) => {
          made.push(String(c.port));
          return () => box;
        },
      },
    );
    cleanups.push(() => d.stop());
    const teacher = d.room.camera('teacher');
    const students = d.room.camera('students');
    await waitUntil(() => teacher.online && students.online, 'both cameras online');
    expect(made).toEqual(['/dev/ttyUSB7']);
    expect(sim.framesMatching('883001ff')).toHaveLength(1);
    await students.move('left', 100);
    await new Promise((r) => setTimeout(r, 80));
    await students.stopMove();
    expect(sim.camera(2).pan).toBeLessThan(0);
    expect(sim.camera(1).pan).toBe(0);
  });

  it('a line that goes away takes the camera offline, and back online when it returns', async () => {
    const [box, device] = memoryLinkPair('/dev/ttyUSB8');
    const sim = new ViscaCameraSim('unused');
    await sim.start(device);
    cleanups.push(() => sim.stop());
    const d = await startDevices(
      { cameras: { teacher: { protocol: 'visca', port: '/dev/ttyUSB8', address: 1, timeoutMs: 300 } } },
      { makeLink: () => () => box },
    );
    cleanups.push(() => d.stop());
    const teacher = d.room.camera('teacher');
    await waitUntil(() => teacher.online, 'online');
    await device.close();
    await waitUntil(() => d.events.some((e) => e.type === 'device.offline'), 'device.offline', 3000);
    await waitUntil(() => teacher.online, 'online again after the reconnect', 3000);
    expect(d.events.filter((e) => e.type === 'device.online').length).toBeGreaterThanOrEqual(2);
  });
});
