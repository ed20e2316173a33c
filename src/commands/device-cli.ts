import { pino } from 'pino';
import type { Config } from '../config/schema.js';
import { ClassboxError, toClassboxError } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import { Devices } from '../devices/devices.js';
import { registerDeviceCommands } from '../features/device-commands.js';
import { CommandTable } from '../requests/command-table.js';
import { DIRECTIONS, type PanTiltDirection } from '../protocols/ptz.js';
import { EXIT_USAGE } from './config-or-exit.js';

/** A config narrowed to one device, so the CLI opens only that device's port. */
function only(config: Config, kind: 'cameras' | 'projectors', name: string): Config {
  const all = config.devices[kind] as Record<string, unknown>;
  if (!(name in all)) {
    process.stderr.write(
      `classbox: no ${kind === 'cameras' ? 'camera' : 'projector'} "${name}" in devices.${kind} (configured: ${Object.keys(all).join(', ') || 'none'})\n`,
    );
    process.exit(EXIT_USAGE);
  }
  return { ...config, devices: { cameras: {}, projectors: {}, gpio: {}, [kind]: { [name]: all[name] } } };
}

function usage(message: string): never {
  process.stderr.write(`classbox: ${message}\n`);
  process.exit(EXIT_USAGE);
}

/** A request of the room's API, as MQTT and the page send it: the same validation and the same answer. */
type Ask = (command: string, args: Record<string, unknown>) => Promise<unknown>;

/**
 * Opens the one device, runs `fn` with the room's command table (ptz/*, projector/*) over it, closes it;
 * prints the outcome. Exit 0 done, 1 the device (or the request) failed.
 */
async function withDevices(config: Config, fn: (ask: Ask, d: Devices) => Promise<unknown>): Promise<number> {
  const log = pino({ level: process.env.CLASSBOX_LOG_LEVEL ?? 'silent' });
  // A technician at the box wants an answer now: one quick attempt, no long reconnect loop.
  const devices = new Devices({ config, log, bus: new EventBus(), reconnect: { initialDelayMs: 60_000 }, cameraPollMs: 3_600_000 });
  const table = new CommandTable();
  registerDeviceCommands(table, devices);
  const ask: Ask = async (command, args) => {
    const r = await table.handle(command, Buffer.from(JSON.stringify(args)));
    if (r.status === 'error') throw new ClassboxError(r.error.code, r.error.message);
    return r.data;
  };
  await devices.start();
  try {
    const result = await fn(ask, devices);
    if (result !== undefined) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    const e = toClassboxError(err);
    process.stderr.write(`classbox: ${e.code}: ${e.message}\n`);
    return 1;
  } finally {
    await devices.stop();
  }
}

export async function ptzCommand(
  config: Config,
  camera: string,
  action: string,
  args: string[],
  options: { durationMs: number },
): Promise<number> {
  const scoped = only(config, 'cameras', camera);
  switch (action) {
    case 'recall':
    case 'save': {
      const preset = args[0] ?? usage('a preset number or name is needed');
      if (!/^\d+$/.test(preset) && !(preset in (config.devices.cameras[camera]?.presets ?? {})))
        usage(`preset "${preset}" is neither a number nor a named preset of ${camera}`);
      return withDevices(scoped, async (ask) => {
        const r = (await ask(`ptz/${action}`, { camera, preset: /^\d+$/.test(preset) ? Number(preset) : preset })) as { preset: number };
        return { camera, [action]: r.preset };
      });
    }
    case 'move': {
      const direction = args[0] as PanTiltDirection | undefined;
      if (!direction || !DIRECTIONS.includes(direction)) usage(`move needs a direction: ${DIRECTIONS.join(', ')}`);
      const speed = args[1] === undefined ? 50 : Number(args[1]);
      if (!Number.isFinite(speed) || speed < 1 || speed > 100) usage("speed is 1-100 (% of the camera's range)");
      return withDevices(scoped, async (ask) => {
        await ask('ptz/move', { camera, direction, speed });
        await new Promise((r) => setTimeout(r, options.durationMs));
        await ask('ptz/stop', { camera });
        return { camera, moved: direction, speed, ms: options.durationMs };
      });
    }
    case 'stop':
      return withDevices(scoped, async (ask) => {
        await ask('ptz/stop', { camera });
        return { camera, stopped: true };
      });
    case 'home':
      // Not a request of the API: the camera's own home position (VISCA Home), for the bench.
      return withDevices(scoped, async (_ask, d) => {
        await d.camera(camera).home();
        return { camera, home: true };
      });
    case 'status':
      return withDevices(scoped, (ask) => ask('ptz/status', { camera }));
    default:
      return usage(`unknown ptz action "${action}" (recall, save, move, stop, home, status)`);
  }
}

export async function projectorCommand(
  config: Config,
  name: string,
  action: string,
  args: string[],
  options: { wait: boolean },
): Promise<number> {
  const scoped = only(config, 'projectors', name);
  switch (action) {
    case 'power': {
      const on = args[0] === 'on' ? true : args[0] === 'off' ? false : usage('power takes on or off');
      return withDevices(scoped, (ask) => ask('projector/power', { projector: name, on, wait: options.wait }));
    }
    case 'input': {
      const input = args[0] ?? usage('input takes an input name or code');
      return withDevices(scoped, (ask) => ask('projector/input', { projector: name, input, wait: options.wait }));
    }
    case 'status':
      return withDevices(scoped, async (ask) => {
        // The API answers a projector that refuses with its state and the error in it; at a shell that is a failure.
        const state = (await ask('projector/status', { projector: name })) as { error?: { code: string; message: string } | null };
        if (state.error) throw new ClassboxError(state.error.code as ClassboxError['code'], state.error.message);
        return state;
      });
    default:
      return usage(`unknown projector action "${action}" (power, input, status)`);
  }
}
