import { z } from 'zod';
import { DIRECTIONS } from '../protocols/ptz.js';
import type { Devices } from '../devices/devices.js';
import { ClassboxError } from '../core/errors.js';
import { command, type CommandTable } from '../requests/command-table.js';

const deviceName = z.string().min(1).max(64);
/** A preset: a name from the camera's `presets`, or the camera's own memory number. */
const preset = z.union([z.number().int().min(0).max(255), z.string().min(1).max(64)]);
const speed = z.number().min(1).max(100).default(50);

/** Cameras and projectors answer one request at a time each: the lane is the device. */
const cameraLane = (a: { camera: string }) => `camera:${a.camera}`;
const projectorLane = (a: { projector: string }) => `projector:${a.projector}`;

/** ptz/*, projector/* and gpio/set (CONTRACT §4). */
export function registerDeviceCommands(table: CommandTable, devices: Devices): void {
  const cam = (name: string) => devices.camera(name);
  for (const action of ['recall', 'save'] as const) {
    table.register(
      `ptz/${action}`,
      command({
        schema: z.strictObject({ camera: deviceName, preset }),
        lane: cameraLane,
        handler: async ({ camera, preset: p }) => {
          const c = cam(camera);
          const n = devices.presetNumber(camera, p);
          await c[action](n);
          return { camera, preset: n };
        },
      }),
    );
  }
  table
    .register(
      'ptz/move',
      command({
        schema: z.strictObject({
          camera: deviceName,
          direction: z.enum(DIRECTIONS as [string, ...string[]]),
          speed,
          /** Moves this long, then stops; without it the move runs until ptz/stop (30 s at most). */
          durationMs: z.number().int().min(50).max(30_000).optional(),
        }),
        lane: cameraLane,
        handler: async ({ camera, direction, speed: s, durationMs }) => {
          await cam(camera).move(direction as (typeof DIRECTIONS)[number], s, durationMs);
          return { camera, direction, speed: s };
        },
      }),
    )
    .register(
      'ptz/stop',
      // No lane: a stop must never wait behind the move it ends (the camera session orders the bytes).
      command({
        schema: z.strictObject({ camera: deviceName }),
        handler: async ({ camera }) => {
          await cam(camera).stopMove();
          return { camera };
        },
      }),
    )
    .register(
      'ptz/zoom',
      command({
        schema: z.strictObject({ camera: deviceName, direction: z.enum(['in', 'out', 'stop']) }),
        handler: async ({ camera, direction }) => {
          await cam(camera).zoom(direction);
          return { camera, direction };
        },
      }),
    )
    .register(
      'ptz/status',
      command({
        schema: z.strictObject({ camera: deviceName }),
        lane: cameraLane,
        handler: async ({ camera }) => ({ camera, ...(await cam(camera).status()) }),
      }),
    )
    .register(
      'projector/power',
      command({
        schema: z.strictObject({ projector: deviceName, on: z.boolean(), wait: z.boolean().default(false) }),
        lane: projectorLane,
        handler: async ({ projector, on, wait }) => ({ projector, ...(await devices.projector(projector).setPower(on, { wait })) }),
      }),
    )
    .register(
      'projector/input',
      command({
        schema: z.strictObject({ projector: deviceName, input: z.string().min(1).max(64), wait: z.boolean().default(false) }),
        lane: projectorLane,
        handler: async ({ projector, input, wait }) => ({ projector, ...(await devices.projector(projector).setInput(input, { wait })) }),
      }),
    )
    .register(
      'projector/mute',
      command({
        schema: z.strictObject({ projector: deviceName, on: z.boolean(), wait: z.boolean().default(false) }),
        lane: projectorLane,
        handler: async ({ projector, on, wait }) => ({ projector, ...(await devices.projector(projector).setMute(on, { wait })) }),
      }),
    )
    .register(
      'projector/status',
      command({
        schema: z.strictObject({ projector: deviceName }),
        lane: projectorLane,
        handler: async ({ projector }) => ({ projector, ...(await devices.projector(projector).poll()) }),
      }),
    )
    .register(
      'gpio/set',
      command({
        schema: z.strictObject({ name: deviceName, value: z.union([z.literal(0), z.literal(1)]) }),
        handler: async ({ name, value }) => {
          if (!devices.gpio) throw new ClassboxError('not_found', `no GPIO line "${name.slice(0, 64)}" (none configured)`);
          await devices.gpio.set(name, value);
          return { name, value };
        },
      }),
    );
}
