import { afterEach, describe, expect, it } from 'vitest';
import { ClassboxError } from '../../src/core/errors.js';
import { ViscaCameraSim } from '../../src/sim/visca-camera.js';
import { startDevices } from '../helpers/devices.js';
import { outcome as code } from '../helpers/outcome.js';
import { waitUntil } from '../helpers/net.js';
import { createPtyPair } from '../helpers/pty.js';

const hex = (b: Buffer) => b.toString('hex');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function rig(simOptions: ConstructorParameters<typeof ViscaCameraSim>[1] = {}, camera: Record<string, unknown> = {}) {
  const pty = await createPtyPair();
  cleanups.push(() => pty.close());
  const sim = new ViscaCameraSim(pty.b, simOptions);
  await sim.start();
  cleanups.push(() => sim.stop());
  const d = await startDevices({
    cameras: { teacher: { protocol: 'visca', port: pty.a, address: 1, timeoutMs: 300, presets: { podium: 1 }, ...camera } },
  });
  cleanups.push(() => d.stop());
  return { pty, sim, ...d, cam: d.room.camera('teacher') };
}

describe('VISCA camera over a real pty (simulator)', () => {
  it('starts with Address Set and IF_Clear, then is online', async () => {
    const { sim, cam, events } = await rig();
    expect(hex(sim.frames[0]!)).toBe('883001ff');
    expect(hex(sim.frames[1]!)).toBe('88010001ff');
    await waitUntil(() => cam.online, 'camera online');
    expect(events.some((e) => e.type === 'device.online')).toBe(true);
  });

  it('recall waits for ACK then Completion; save and recall move the simulated camera', async () => {
    const { sim, cam } = await rig({ recallMs: 150 });
    await cam.move('right', 100);
    await new Promise((r) => setTimeout(r, 100));
    await cam.stopMove();
    const panned = sim.camera().pan;
    expect(panned).toBeGreaterThan(0);
    await cam.save(3);
    await cam.move('left', 100);
    await new Promise((r) => setTimeout(r, 100));
    await cam.stopMove();
    const t0 = performance.now();
    await cam.recall(3);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140); // resolved on Completion, not on ACK
    expect(sim.camera().pan).toBe(sim.camera().presets.get(3)!.pan);
    expect(sim.framesMatching('8101043f0203')).toHaveLength(1);
  });

  it('a move start and its end each say the camera changed (the state shows "moving")', async () => {
    const { cam, events } = await rig();
    await waitUntil(() => cam.online, 'online');
    const changes = () =>
      events.filter((e) => e.type === 'device.changed' && (e.payload as { device: string }).device === 'teacher').length;
    const before = changes();
    await cam.move('up', 50);
    expect(changes()).toBe(before + 1);
    await cam.move('up', 60); // a joystick repeating its move: still moving, no new change
    expect(changes()).toBe(before + 1);
    await cam.stopMove();
    expect(changes()).toBe(before + 2);
  });

  it('a command ACKed but never completed times out, and the camera that ACKed stays online', async () => {
    const { sim, cam, events } = await rig({}, { timeoutMs: 100 });
    await waitUntil(() => cam.online, 'online');
    sim.options.neverComplete = true;
    const t0 = performance.now();
    await expect(cam.home()).rejects.toMatchObject({ code: 'device_timeout', message: expect.stringMatching(/no Completion within/) });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(9_000); // the completion allowance: max(10 s, 5 x timeoutMs)
    expect(cam.online).toBe(true);
    expect(events.filter((e) => e.type === 'device.offline')).toEqual([]);
  }, 20_000);

  it('a move always ends with a stop, even when the move is refused', async () => {
    const { sim, cam } = await rig();
    await waitUntil(() => cam.online, 'online');
    sim.camera().power = false; // standby: the camera answers "not executable"
    expect(await code(cam.move('up', 50))).toBe('device_error');
    const drives = sim.framesMatching('81010601');
    expect(hex(drives.at(-1)!)).toBe('8101060101010303ff');
  });

  it('a move that is never acknowledged still gets its stop (silent camera)', async () => {
    const { sim, cam } = await rig();
    await waitUntil(() => cam.online, 'online');
    sim.silent = true;
    expect(await code(cam.move('left', 50))).toBe('device_timeout');
    await waitUntil(() => sim.framesMatching('8101060101010303').length > 0, 'stop frame at the camera');
    expect(cam.moving).toBe(false);
  });

  it('a move stops by itself after its failsafe limit', async () => {
    const { sim, cam } = await rig();
    await cam.move('down', 10, 150);
    expect(cam.moving).toBe(true);
    await waitUntil(() => sim.framesMatching('8101060101010303').length > 0, 'failsafe stop', 2000);
    expect(cam.moving).toBe(false);
  });

  it('a device that never answers gives device_timeout within timeoutMs and goes offline', async () => {
    const { sim, cam, events } = await rig();
    await waitUntil(() => cam.online, 'online');
    sim.silent = true;
    const t0 = performance.now();
    expect(await code(cam.recall(1))).toBe('device_timeout');
    expect(performance.now() - t0).toBeLessThan(300 + 150);
    expect(cam.online).toBe(false);
    expect(events.find((e) => e.type === 'device.offline')?.payload).toMatchObject({ device: 'teacher', kind: 'camera' });
  });

  it('maps syntax errors to device_error and buffer full to device_busy', async () => {
    const { sim, cam } = await rig({ maxPreset: 5 }, { maxPreset: 15 });
    await waitUntil(() => cam.online, 'online');
    expect(await code(cam.recall(9))).toBe('device_error'); // the camera only knows 0-5: syntax error
    // Both sockets taken by another controller on the line (a joystick keyboard): Buffer Full.
    sim.camera().busySockets.add(1).add(2);
    const err = await cam.home().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClassboxError);
    expect((err as ClassboxError).code).toBe('device_busy');
    expect((err as ClassboxError).message).toMatch(/buffer full/);
    sim.camera().busySockets.clear();
    expect(await code(cam.home())).toBe('ok');
    expect(cam.online).toBe(true); // an error reply is still an answer
  });

  it('a third command waits for a free socket instead of drawing Buffer Full', async () => {
    const { sim, cam } = await rig({ recallMs: 200 });
    await cam.save(1);
    await cam.save(2);
    const results = await Promise.all([cam.recall(1), cam.recall(2), cam.home()].map(code));
    expect(results).toEqual(['ok', 'ok', 'ok']);
    // No Buffer Full was ever needed: the home went out after a socket completed.
    const recalls = sim.rx.filter((r) => r.bytes.includes(0x3f));
    expect(recalls.length).toBeGreaterThanOrEqual(1);
  });

  it('garbage and replies for other sockets/addresses on the line are passed over', async () => {
    const { sim, cam } = await rig();
    await waitUntil(() => cam.online, 'online');
    sim.send(Buffer.from([0x00, 0x13, 0x37, 0xff, 0xa0, 0x41, 0xff, 0x90, 0x52, 0xff, 0x90]));
    await cam.home();
    expect(cam.online).toBe(true);
  });

  it('unplug -> device_unavailable at once and offline; replug -> back online by itself', async () => {
    const { pty, sim, cam, events } = await rig();
    await waitUntil(() => cam.online, 'online');
    await sim.stop();
    await pty.unplug();
    await waitUntil(() => !cam.online, 'offline after unplug', 3000);
    const t0 = performance.now();
    expect(await code(cam.home())).toBe('device_unavailable');
    expect(performance.now() - t0).toBeLessThan(50);
    await pty.plug();
    await sim.start();
    await waitUntil(() => cam.online, 'online after replug', 5000);
    const types = events.filter((e) => e.type !== 'device.changed').map((e) => e.type);
    expect(types).toEqual(['device.online', 'device.offline', 'device.online']);
    await cam.home();
  });

  it('daisy chain: two cameras on one port, addressed 1 and 2', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    const sim = new ViscaCameraSim(pty.b, { cameras: 2 });
    await sim.start();
    cleanups.push(() => sim.stop());
    const d = await startDevices({
      cameras: {
        teacher: { protocol: 'visca', port: pty.a, address: 1, timeoutMs: 300 },
        students: { protocol: 'visca', port: pty.a, address: 2, timeoutMs: 300 },
      },
    });
    cleanups.push(() => d.stop());
    expect(hex(sim.frames[0]!)).toBe('883001ff');
    await d.room.camera('students').move('upleft', 100);
    await new Promise((r) => setTimeout(r, 50));
    await d.room.camera('students').stopMove();
    await d.room.camera('teacher').home();
    expect(sim.framesMatching('820106010101').length).toBeGreaterThan(0);
    expect(sim.framesMatching('81010604')).toHaveLength(1);
    expect(sim.camera(2).pan).toBeLessThan(0);
  });

  it('raw VISCA over TCP (an IP camera or a serial-to-Ethernet bridge) works the same, and reconnects', async () => {
    const sim = new ViscaCameraSim('', { recallMs: 20 });
    const port = await sim.listen();
    cleanups.push(() => sim.stop());
    const d = await startDevices({ cameras: { ip: { protocol: 'visca', host: '127.0.0.1', port, timeoutMs: 300 } } });
    cleanups.push(() => d.stop());
    const cam = d.room.camera('ip');
    await waitUntil(() => cam.online, 'online over TCP');
    expect(hex(sim.frames[0]!)).toBe('883001ff');
    await cam.save(4);
    await cam.recall(4);
    await sim.stop();
    await waitUntil(() => !cam.online, 'offline when the bridge goes away', 3000);
    await sim.listen(port);
    await waitUntil(() => cam.online, 'online again', 5000);
    await cam.home();
  });

  it('raw VISCA in UDP datagrams (no header, e.g. port 1259): moves, presets, a silent camera goes offline', async () => {
    const sim = new ViscaCameraSim('', { recallMs: 20 });
    const port = await sim.listenUdp();
    cleanups.push(() => sim.stop());
    const d = await startDevices({ cameras: { ip: { protocol: 'visca', host: '127.0.0.1', port, transport: 'udp', timeoutMs: 300 } } });
    cleanups.push(() => d.stop());
    const cam = d.room.camera('ip');
    await waitUntil(() => cam.online, 'online over UDP');
    await cam.move('left', 100);
    await new Promise((r) => setTimeout(r, 100));
    await cam.stopMove();
    expect(sim.camera().pan).toBeLessThan(0);
    await cam.save(4);
    await cam.home();
    await cam.recall(4);
    expect(sim.camera().pan).toBe(sim.camera().presets.get(4)!.pan);
    sim.silent = true;
    expect(await code(cam.home())).toBe('device_timeout');
    expect(cam.online).toBe(false);
  });

  it('a network change announced by a camera re-runs Address Set', async () => {
    const { sim, cam } = await rig();
    await waitUntil(() => cam.online, 'online');
    sim.clearReceived();
    sim.announceNetworkChange(1);
    await waitUntil(() => sim.framesMatching('883001').length >= 2, 'second Address Set');
  });
});
