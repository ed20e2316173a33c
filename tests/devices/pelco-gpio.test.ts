import { afterEach, describe, expect, it } from 'vitest';
import { ClassboxError } from '../../src/core/errors.js';
import { SimulatedGpioChip } from '../../src/sim/gpio.js';
import { PelcoCameraSim } from '../../src/sim/pelco-camera.js';
import { startDevices } from '../helpers/devices.js';
import { waitUntil } from '../helpers/net.js';
import { createPtyPair } from '../helpers/pty.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('Pelco-D camera over a real pty (simulator)', () => {
  it('moves with speed, stops, saves and calls presets; other addresses on the line are ignored', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    const sim = new PelcoCameraSim(pty.b, 3);
    await sim.start();
    cleanups.push(() => sim.stop());
    const d = await startDevices({ cameras: { dome: { protocol: 'pelco-d', port: pty.a, address: 3, maxPreset: 64 } } });
    cleanups.push(() => d.stop());
    const cam = d.room.camera('dome');
    expect(cam.online).toBe(true);
    await cam.move('upright', 100);
    await waitUntil(() => sim.motion.pan === 0x3f && sim.motion.tilt === 0x3f, 'moving up-right at full speed');
    await cam.stopMove();
    await waitUntil(() => sim.motion.pan === 0 && sim.motion.tilt === 0, 'stopped');
    await cam.save(5);
    await cam.recall(5);
    await waitUntil(() => sim.lastRecalled === 5, 'preset 5 called');
    await cam.zoom('in');
    await waitUntil(() => sim.motion.zoom === 1, 'zooming in');
    expect(sim.received().subarray(0, 7).toString('hex')).toBe(
      'ff0300' + '0a3f3f' + ((3 + 0x0a + 0x3f + 0x3f) & 0xff).toString(16).padStart(2, '0'),
    );
    expect(sim.frames.every((f) => f.address === 3)).toBe(true);
    // Pelco presets start at 1 and end at the configured maximum.
    const err = await cam.recall(0).catch((e: unknown) => e);
    expect((err as ClassboxError).code).toBe('invalid_request');
  });
});

describe('GPIO lines (simulated chip, as on a machine without a header)', () => {
  it('outputs follow set/blink; an input with bounce triggers its action once, after debounce', async () => {
    const chip = new SimulatedGpioChip();
    chip.rest(27, 1); // the button's pull-up: high at rest
    const d = await startDevices(
      {
        gpio: {
          onair: { line: 17, direction: 'out' },
          relay: { line: 22, direction: 'out', activeLow: true, initial: 0 },
          button: { line: 27, direction: 'in', edge: 'falling', debounceMs: 30, action: 'class/toggle', activeLow: false },
        },
      },
      { gpioChip: chip },
    );
    cleanups.push(() => d.stop());
    const gpio = d.room.gpio!;
    expect(chip.value(22)).toBe(1); // active-low relay, logically off
    await gpio.set('onair', 1);
    expect(chip.value(17)).toBe(1);
    await gpio.set('relay', 1);
    expect(chip.value(22)).toBe(0);
    await gpio.blink('onair', 40);
    await new Promise((r) => setTimeout(r, 130));
    const toggles = chip.writes(17).length;
    expect(toggles).toBeGreaterThanOrEqual(4);
    await gpio.set('onair', 0);
    expect(gpio.levels().onair).toEqual({ direction: 'out', value: 0 });
    // The state snapshot shows the levels: each set and blink (not each blink toggle) says the line changed.
    const changed = d.events.filter((e) => e.type === 'device.changed').map((e) => (e.payload as { device: string }).device);
    expect(changed).toEqual(['onair', 'relay', 'onair', 'onair']);

    await chip.press(27, { bounces: 5, holdMs: 80, activeLow: true });
    await waitUntil(() => d.events.some((e) => e.type === 'gpio.input'), 'button event');
    await new Promise((r) => setTimeout(r, 60));
    const inputs = d.events.filter((e) => e.type === 'gpio.input');
    expect(inputs).toHaveLength(1);
    expect(inputs[0]!.payload).toEqual({ name: 'button', value: 0, action: 'class/toggle' });
    expect(d.events.filter((e) => e.type === 'device.changed').at(-1)!.payload).toEqual({ device: 'button' });

    await expect(gpio.set('button', 1)).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(gpio.set('nothing', 1)).rejects.toMatchObject({ code: 'not_found' });
  });
});
