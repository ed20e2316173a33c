import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PAYLOAD } from '../../src/protocols/visca/ip-codec.js';
import { ViscaIpCameraSim } from '../../src/sim/visca-ip-camera.js';
import { startDevices } from '../helpers/devices.js';
import { outcome as code } from '../helpers/outcome.js';
import { waitUntil } from '../helpers/net.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function rig(simOptions: ConstructorParameters<typeof ViscaIpCameraSim>[0] = {}) {
  const sim = new ViscaIpCameraSim(simOptions);
  const port = await sim.start();
  cleanups.push(() => sim.stop());
  const d = await startDevices({
    cameras: { teacher: { protocol: 'visca-ip', host: '127.0.0.1', port, timeoutMs: 300, presets: { podium: 1 } } },
  });
  cleanups.push(() => d.stop());
  const cam = d.room.camera('teacher');
  await waitUntil(() => cam.online, 'camera online');
  return { sim, ...d, cam };
}

/** The VISCA packets the camera received, as `seq:hex`. */
const commands = (sim: ViscaIpCameraSim, hexPrefix: string) =>
  sim.messages
    .filter((m) => m.type === PAYLOAD.command && m.payload.toString('hex').startsWith(hexPrefix))
    .map((m) => `${m.sequence}:${m.payload.toString('hex')}`);

describe('VISCA over IP camera over real UDP (simulator)', () => {
  it('starts with RESET, counts from 1 after it, and drives the camera: move, stop, save, recall', async () => {
    const { sim, cam, events } = await rig({ recallMs: 50 });
    expect(sim.messages[0]).toMatchObject({ type: PAYLOAD.control, sequence: 0, payload: Buffer.from([0x01]) });
    expect(sim.messages[1]!.sequence).toBe(1);
    expect(events.some((e) => e.type === 'device.online')).toBe(true);
    expect(cam.protocol).toBe('visca-ip');
    await cam.move('right', 100);
    await new Promise((r) => setTimeout(r, 100));
    await cam.stopMove();
    expect(sim.camera().pan).toBeGreaterThan(0);
    await cam.save(3);
    await cam.move('left', 100);
    await new Promise((r) => setTimeout(r, 100));
    await cam.stopMove();
    await cam.recall(3);
    expect(sim.camera().pan).toBe(sim.camera().presets.get(3)!.pan);
    const seqs = sim.messages.slice(1).map((m) => m.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(await cam.status()).toMatchObject({ online: true, power: 'on' });
  });

  it('a lost command goes again with the same sequence number and runs once', async () => {
    const { sim, cam } = await rig({ recallMs: 20 });
    sim.camera().presets.set(2, { pan: 700, tilt: 0, zoom: 0 });
    sim.network.dropIncoming = 1;
    await cam.recall(2);
    expect(sim.camera().pan).toBe(700);
    const sent = commands(sim, '8101043f0202');
    expect(sent).toHaveLength(2);
    expect(sent[0]).toBe(sent[1]); // same sequence number
    expect(sim.inner.framesMatching('8101043f0202')).toHaveLength(1); // the camera ran it once
  });

  it('a lost ACK whose Completion arrives still completes the command', async () => {
    const { sim, cam } = await rig({ recallMs: 20 });
    sim.camera().presets.set(2, { pan: 300, tilt: 0, zoom: 0 });
    sim.network.dropOutgoing = 1;
    expect(await code(cam.recall(2))).toBe('ok');
    expect(sim.camera().pan).toBe(300);
  });

  it('a lost ACK with a slow Completion: the resend hears "sequence error", RESET, and the command goes again', async () => {
    const { sim, cam } = await rig({ recallMs: 250 });
    sim.camera().presets.set(4, { pan: -400, tilt: 0, zoom: 0 });
    sim.network.dropOutgoing = 1;
    expect(await code(cam.recall(4))).toBe('ok');
    expect(sim.camera().pan).toBe(-400);
    const resets = sim.messages.filter((m) => m.type === PAYLOAD.control);
    expect(resets).toHaveLength(2); // the one at start, and the resync
    const sent = commands(sim, '8101043f0204');
    // first try, its resend (same number), then again after RESET counting from 1
    expect(sent).toHaveLength(3);
    expect(sent[1]).toBe(sent[0]);
    expect(sent[2]).toBe('1:8101043f0204ff');
    // Later commands go on from there.
    await cam.home();
    expect(commands(sim, '81010604').at(-1)).toBe('2:81010604ff');
  });

  it('a camera that stops answering: device_timeout within its timeout, offline, then online again when it answers', async () => {
    const { sim, cam, events } = await rig();
    sim.silent = true;
    const t0 = performance.now();
    expect(await code(cam.recall(1))).toBe('device_timeout');
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(cam.online).toBe(false);
    expect(events.filter((e) => e.type === 'device.offline')).toHaveLength(1);
    const tries = commands(sim, '8101043f0201');
    expect(tries).toHaveLength(3); // the message and its two resends
    sim.silent = false;
    expect(await code(cam.home())).toBe('ok');
    expect(cam.online).toBe(true);
  });

  it('a lossy network (15 % of commands lost): every request settles, nearly all succeed, and the camera ends where it was sent', async () => {
    const { sim, cam } = await rig({ recallMs: 10 });
    for (let n = 1; n <= 9; n++) sim.camera().presets.set(n, { pan: n * 100, tilt: 0, zoom: 0 });
    sim.network.lossRate = 0.15;
    const outcomes: string[] = [];
    for (let i = 0; i < 60; i++) outcomes.push(await code(cam.recall(1 + (i % 9))));
    // Whatever was lost, an answer or a time-out: never a hang, never another kind of failure.
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'device_timeout')).toEqual([]);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThanOrEqual(54);
    sim.network.lossRate = 0;
    expect(await code(cam.recall(7))).toBe('ok');
    expect(sim.camera().pan).toBe(700);
  }, 30_000);

  it('garbage datagrams and replies for other sequence numbers are ignored', async () => {
    const { sim, cam } = await rig();
    for (let i = 0; i < 200; i++) sim.sendRaw(randomBytes(1 + (i % 40)));
    sim.sendRaw(Buffer.from('0111000300000063904fff', 'hex')); // an ACK for a message never sent
    expect(await code(cam.home())).toBe('ok');
    // A preset never saved is recalled as real cameras do (to home); in standby the camera says "not executable".
    expect(await code(cam.recall(0))).toBe('ok');
    sim.camera().power = false;
    expect(await code(cam.recall(0))).toBe('device_error');
  });

  it('a host name that does not resolve: offline with the reason, and requests fail at once with device_unavailable', async () => {
    const d = await startDevices({ cameras: { far: { protocol: 'visca-ip', host: 'no-such-camera.invalid', timeoutMs: 300 } } });
    cleanups.push(() => d.stop());
    const cam = d.room.camera('far');
    expect(cam.online).toBe(false);
    const t0 = performance.now();
    await expect(cam.recall(1)).rejects.toMatchObject({
      code: 'device_unavailable',
      message: expect.stringMatching(/no-such-camera\.invalid/),
    });
    expect(performance.now() - t0).toBeLessThan(100);
  }, 20_000); // the failed name lookup itself may take seconds where DNS is slow

  it('refuses a visca-ip camera with a serial port, an address, or no host; raw VISCA over UDP without a host', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ protocol: 'visca-ip', host: '10.0.0.5', address: 2 }, 'devices.cameras.c.address: unknown key'],
      [{ protocol: 'visca-ip', port: 52381 }, 'devices.cameras.c.host'],
      [{ protocol: 'visca-ip', host: '10.0.0.5', port: '/dev/ttyUSB0' }, 'devices.cameras.c.port'],
      [{ protocol: 'visca', port: '/dev/ttyUSB0', transport: 'udp' }, 'devices.cameras.c.transport: udp needs host and port'],
    ];
    for (const [camera, where] of cases) {
      await expect(startDevices({ cameras: { c: camera } })).rejects.toThrow(where);
    }
  });
});
