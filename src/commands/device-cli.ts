import { pino } from 'pino';
import type { Config } from '../config/schema.js';
import { ClassboxError, toClassboxError } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import { Devices } from '../devices/devices.js';
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

/** Opens the one device, runs `fn`, closes it; prints the outcome. Exit 0 done, 1 the device failed. */
async function withDevices(config: Config, fn: (d: Devices) => Promise<unknown>): Promise<number> {
  const log = pino({ level: process.env.CLASSBOX_LOG_LEVEL ?? 'silent' });
  // A technician at the box wants an answer now: one quick attempt, no long reconnect loop.
  const devices = new Devices({ config, log, bus: new EventBus(), reconnect: { initialDelayMs: 60_000 }, cameraPollMs: 3_600_000 });
  await devices.start();
  try {
    const result = await fn(devices);
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
      return withDevices(scoped, async (d) => {
        const n = d.presetNumber(camera, preset);
        await d.camera(camera)[action](n);
        return { camera, [action]: n };
      });
    }
    case 'move': {
      const direction = args[0] as PanTiltDirection | undefined;
      if (!direction || !DIRECTIONS.includes(direction)) usage(`move needs a direction: ${DIRECTIONS.join(', ')}`);
      const speed = args[1] === undefined ? 50 : Number(args[1]);
      if (!Number.isFinite(speed) || speed < 1 || speed > 100) usage("speed is 1-100 (% of the camera's range)");
      return withDevices(scoped, async (d) => {
        const cam = d.camera(camera);
        await cam.move(direction, speed);
        await new Promise((r) => setTimeout(r, options.durationMs));
        await cam.stopMove();
        return { camera, moved: direction, speed, ms: options.durationMs };
      });
    }
    case 'stop':
      return withDevices(scoped, async (d) => {
        await d.camera(camera).stopMove();
        return { camera, stopped: true };
      });
    case 'home':
      return withDevices(scoped, async (d) => {
        await d.camera(camera).home();
        return { camera, home: true };
      });
    case 'status':
      return withDevices(scoped, (d) => d.camera(camera).status());
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
      return withDevices(scoped, async (d) => {
        return { projector: name, ...(await d.projector(name).setPower(on, { wait: options.wait })) };
      });
    }
    case 'input': {
      const input = args[0] ?? usage('input takes an input name or code');
      return withDevices(scoped, async (d) => ({ projector: name, ...(await d.projector(name).setInput(input, { wait: options.wait })) }));
    }
    case 'status':
      return withDevices(scoped, async (d) => {
        const state = d.projector(name).state();
        if (state.error) throw new ClassboxError(state.error.code as ClassboxError['code'], state.error.message);
        return { projector: name, ...state };
      });
    default:
      return usage(`unknown projector action "${action}" (power, input, status)`);
  }
}
