import { afterEach, describe, expect, it } from 'vitest';
import { ClassboxError } from '../../src/core/errors.js';
import { AsciiProjectorSim } from '../../src/sim/ascii-projector.js';
import { EpsonProjectorSim } from '../../src/sim/epson-projector.js';
import { PjlinkProjectorSim } from '../../src/sim/pjlink-projector.js';
import { startDevices } from '../helpers/devices.js';
import { freePort, waitUntil } from '../helpers/net.js';
import { createPtyPair } from '../helpers/pty.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function failure(p: Promise<unknown>): Promise<ClassboxError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ClassboxError)) throw new Error(`expected a ClassboxError, got ${String(err)}`);
  return err;
}

async function pjlinkRoom(sim: PjlinkProjectorSim, projector: Record<string, unknown> = {}) {
  const port = await sim.start();
  cleanups.push(() => sim.stop());
  const d = await startDevices({
    projectors: { main: { protocol: 'pjlink', host: '127.0.0.1', port, password: 'secret', timeoutMs: 500, ...projector } },
  });
  cleanups.push(() => d.stop());
  return { ...d, projector: d.room.projector('main') };
}

describe('PJLink projector over real TCP (simulator)', () => {
  it('authenticates with MD5, polls power, lamp hours and name, and switches on through warm-up', async () => {
    const sim = new PjlinkProjectorSim({ password: 'secret', warmUpMs: 300, lampHours: 777 });
    const { projector } = await pjlinkRoom(sim);
    expect(projector.state()).toMatchObject({ online: true, power: 'standby', lampHours: 777 });
    const after = await projector.setPower(true);
    expect(after.power).toBe('warming');
    expect(sim.commands).toContain('%1POWR 1');
    // Input during warm-up: busy with how long to wait...
    const busy = await failure(projector.setInput('31'));
    expect(busy.code).toBe('device_busy');
    expect(busy.details?.retryAfterS).toBeGreaterThan(0);
    // ...or queued until the projector can take it.
    await projector.setInput('32', { wait: true });
    expect(sim.model.input).toBe('32');
    await projector.setMute(true);
    expect(sim.mute).toBe('31');
    expect(projector.state()).toMatchObject({ power: 'on', input: '32', muted: true, name: 'classbox-sim' });
  });

  it('a wrong password is auth_failed', async () => {
    const sim = new PjlinkProjectorSim({ password: 'right' });
    const { projector } = await pjlinkRoom(sim, { password: 'wrong' });
    expect((await failure(projector.setPower(true))).code).toBe('auth_failed');
    expect(sim.failedAuth).toBeGreaterThan(0);
    expect(sim.model.switches).toHaveLength(0);
  });

  it('no password configured for a projector that wants one is auth_failed, not a hang', async () => {
    const sim = new PjlinkProjectorSim({ password: 'x' });
    const port = await sim.start();
    cleanups.push(() => sim.stop());
    const d = await startDevices({ projectors: { main: { protocol: 'pjlink', host: '127.0.0.1', port, timeoutMs: 500 } } });
    cleanups.push(() => d.stop());
    expect(
      (
        await failure(
          d.room
            .projector('main')
            .poll()
            .then(() => d.room.projector('main').setPower(true)),
        )
      ).code,
    ).toBe('auth_failed');
  });

  it('the projector refusing during cool-down (ERR3) is device_busy; wait: true queues it', async () => {
    const sim = new PjlinkProjectorSim({ password: 'secret', initialPower: 'on', coolDownMs: 400 });
    const { projector } = await pjlinkRoom(sim);
    await projector.setPower(false);
    const err = await failure(projector.setPower(true));
    expect(err.code).toBe('device_busy');
    expect(err.message).toMatch(/cooling/);
    const t0 = performance.now();
    await projector.setPower(true, { wait: true });
    expect(performance.now() - t0).toBeGreaterThan(100);
    expect(sim.model.switches.map((s) => s.on)).toEqual([false, true]);
  });

  it('minimum on time protects the lamp', async () => {
    const sim = new PjlinkProjectorSim({ password: 'secret', warmUpMs: 0 });
    const { projector } = await pjlinkRoom(sim, { minOnS: 60 });
    await projector.setPower(true);
    const err = await failure(projector.setPower(false));
    expect(err.code).toBe('device_busy');
    expect(err.details?.retryAfterS).toBeGreaterThan(50);
    expect(sim.model.switches).toHaveLength(1);
  });

  it('a projector that never answers: device_timeout within timeoutMs; a host that is down: device_unavailable', async () => {
    const sim = new PjlinkProjectorSim({ password: 'secret', silent: true });
    const { projector, events } = await pjlinkRoom(sim);
    const t0 = performance.now();
    expect((await failure(projector.setPower(true))).code).toBe('device_timeout');
    expect(performance.now() - t0).toBeLessThan(500 + 300);
    expect(projector.online).toBe(false);
    expect(events.some((e) => e.type === 'device.offline')).toBe(false); // never was online
    const port = await freePort();
    const d = await startDevices({ projectors: { gone: { protocol: 'pjlink', host: '127.0.0.1', port, timeoutMs: 500 } } });
    cleanups.push(() => d.stop());
    expect((await failure(d.room.projector('gone').setPower(true))).code).toBe('device_unavailable');
  });

  it('goes offline when the projector disappears and online when it is back (polling)', async () => {
    const sim = new PjlinkProjectorSim({ password: 'secret' });
    const { projector, events } = await pjlinkRoom(sim);
    expect(projector.online).toBe(true);
    const port = sim.port;
    await sim.stop();
    await projector.poll();
    expect(projector.online).toBe(false);
    await sim.start(port);
    await projector.poll();
    expect(projector.online).toBe(true);
    expect(events.filter((e) => e.type === 'device.offline' || e.type === 'device.online').map((e) => e.type)).toEqual([
      'device.online',
      'device.offline',
      'device.online',
    ]);
  });
});

describe('Epson ESC/VP21 projector over a real pty (simulator)', () => {
  it('power on, source, status; ERR answers are device_error; silence is device_timeout', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    const sim = new EpsonProjectorSim(pty.b, { warmUpMs: 200, lampHours: 42 });
    await sim.start();
    cleanups.push(() => sim.stop());
    const d = await startDevices({
      projectors: { side: { protocol: 'epson-escvp21', port: pty.a, timeoutMs: 400, inputs: { hdmi: '30', vga: '11' } } },
    });
    cleanups.push(() => d.stop());
    const p = d.room.projector('side');
    expect(p.state()).toMatchObject({ online: true, power: 'standby', lampHours: 42 });
    await p.setPower(true);
    expect(p.state().power).toBe('warming');
    await p.setInput('vga', { wait: true });
    expect(sim.source).toBe('11');
    await p.setMute(true);
    expect(sim.muted).toBe(true);
    expect(sim.commands).toEqual(expect.arrayContaining(['PWR?', 'LAMP?', 'PWR ON', 'SOURCE 11', 'MUTE ON']));
    expect((await failure(p.setInput('bogus!'))).code).toBe('invalid_request');
    sim.model.power(false);
    await new Promise((r) => setTimeout(r, 600));
    await p.poll();
    expect((await failure(p.setInput('hdmi'))).code).toBe('conflict');
    // Silence: the poll's PWR? times out within timeoutMs and the projector goes offline. (PWR ON itself
    // has Epson's own budget of up to 100 s before its prompt.)
    sim.silent = true;
    const t0 = performance.now();
    await p.poll();
    expect(performance.now() - t0).toBeLessThan(400 + 200);
    expect(p.state()).toMatchObject({ online: false, reason: expect.stringMatching(/prompt/) });
  });
});

describe('ASCII command sets (device-profiles/projectors)', () => {
  it('BenQ: *pow=on#, Block item while warming up is device_busy', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    const sim = new AsciiProjectorSim(pty.b, 'benq', { warmUpMs: 300, lampHours: 99 });
    await sim.start();
    cleanups.push(() => sim.stop());
    const d = await startDevices({
      projectors: { main: { protocol: 'ascii', commandSet: 'benq', port: pty.a, baudRate: 115200, timeoutMs: 400, warmUpS: 0 } },
    });
    cleanups.push(() => d.stop());
    const p = d.room.projector('main');
    expect(p.state()).toMatchObject({ online: true, power: 'standby', lampHours: 99 });
    await p.setPower(true);
    expect(sim.commands).toContain('*pow=on#');
    const err = await failure(p.setPower(false));
    expect(err.code).toBe('device_busy');
    await p.setInput('hdmi2', { wait: true }).catch(() => undefined);
    await waitUntil(async () => (await p.poll()).power === 'on' && sim.model.state() === 'on', 'on after warm-up');
    await p.setMute(true);
    expect(sim.muted).toBe(true);
  });

  it('Optoma: ~0000 1 answered P without CR; INFO notices update the state', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    const sim = new AsciiProjectorSim(pty.b, 'optoma', { warmUpMs: 300 });
    await sim.start();
    cleanups.push(() => sim.stop());
    const d = await startDevices({
      projectors: { main: { protocol: 'ascii', commandSet: 'optoma', port: pty.a, timeoutMs: 1500, warmUpS: 1 } },
    });
    cleanups.push(() => d.stop());
    const p = d.room.projector('main');
    expect(p.state()).toMatchObject({ online: true, power: 'standby', lampHours: 1234 });
    await p.setPower(true);
    expect(sim.commands).toContain('~0000 1');
    expect(p.state().power).toBe('warming'); // the query says on; INFO1 and the warm-up estimate say warming
    await waitUntil(() => sim.rx.length > 0 && p.state().power === 'warming', 'still warming after INFO1');
    expect((await failure(p.setInput('1'))).code).toBe('device_busy');
    await p.setInput('15', { wait: true });
    expect(sim.source).toBe('15');
    expect((await failure(p.setMute(true))).message).toMatch(/optoma command set has no mute command/);
  });
});
