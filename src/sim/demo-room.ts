import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedGpioChip } from './gpio.js';
import { EpsonProjectorSim } from './epson-projector.js';
import { PjlinkProjectorSim } from './pjlink-projector.js';
import { createPtyPair } from './pty.js';
import { ViscaCameraSim } from './visca-camera.js';

export interface DemoRoom {
  /** The `devices:` block that points the gateway at the simulators. */
  devices: Record<string, unknown>;
  gpio: SimulatedGpioChip;
  describe(): string[];
  close(): Promise<void>;
}

/**
 * The demo classroom's hardware, simulated: two VISCA cameras daisy-chained on one serial line (teacher
 * and students), a PJLink projector over TCP with a password, an Epson projector on a second serial
 * line, and GPIO lines (on-air light, start button).
 */
export async function startDemoRoom(): Promise<DemoRoom> {
  const dir = mkdtempSync(join(tmpdir(), 'classbox-demo-'));
  const cameraLine = await createPtyPair(dir, ['cameras', '.cameras-device']);
  const epsonLine = await createPtyPair(dir, ['side-projector', '.side-projector-device']);
  const cameras = new ViscaCameraSim(cameraLine.b, { cameras: 2, recallMs: 1500 });
  await cameras.start();
  for (const address of [1, 2]) {
    cameras.camera(address).presets.set(1, { pan: 0, tilt: 0, zoom: 0 });
    cameras.camera(address).presets.set(2, { pan: 1200, tilt: -200, zoom: 8000 });
  }
  const side = new EpsonProjectorSim(epsonLine.b, { warmUpMs: 20_000, coolDownMs: 20_000 });
  await side.start();
  const main = new PjlinkProjectorSim({
    password: 'demo',
    name: 'room-101 main',
    mac: '02:00:00:00:01:01',
    warmUpMs: 20_000,
    coolDownMs: 30_000,
  });
  const pjlinkPort = await main.start(0);
  // Class 2 search on the same port number, so `classbox discover --target 127.0.0.1 --port N` finds it.
  await main.listenSearch(pjlinkPort).catch(() => undefined);
  const gpio = new SimulatedGpioChip();
  gpio.rest(27, 1); // the start button's pull-up
  return {
    devices: {
      cameras: {
        'teacher-cam': { protocol: 'visca', port: cameraLine.a, address: 1, presets: { podium: 1, board: 2 } },
        'students-cam': { protocol: 'visca', port: cameraLine.a, address: 2, presets: { class: 1, front: 2 } },
      },
      projectors: {
        main: {
          protocol: 'pjlink',
          host: '127.0.0.1',
          port: pjlinkPort,
          password: 'demo',
          pollS: 10,
          warmUpS: 20,
          coolDownS: 30,
          inputs: { hdmi: '32', pc: '11' },
        },
        side: { protocol: 'epson-escvp21', port: epsonLine.a, pollS: 10, warmUpS: 20, coolDownS: 20, inputs: { hdmi: '30', vga: '11' } },
      },
      gpio: {
        onair: { line: 17, direction: 'out', shows: 'on-air' },
        'start-button': { line: 27, direction: 'in', edge: 'falling', debounceMs: 50, activeLow: true, action: 'class/toggle' },
      },
    },
    gpio,
    describe: () => [
      `VISCA cameras teacher-cam (1) and students-cam (2) daisy-chained on ${cameraLine.a}`,
      `PJLink projector "main" on 127.0.0.1:${pjlinkPort} (password demo; classbox discover --target 127.0.0.1 --port ${pjlinkPort} finds it)`,
      `Epson projector "side" on ${epsonLine.a}`,
      'GPIO: on-air light on line 17, start button on line 27 (simulated)',
    ],
    close: async () => {
      await cameras.stop();
      await side.stop();
      await main.stop();
      await cameraLine.close();
      await epsonLine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
