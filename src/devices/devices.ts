import type { Logger } from 'pino';
import type { CameraConfig, Config, ProjectorConfig } from '../config/schema.js';
import { ClassboxError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import { OnoffChip, gpioAccessible, type GpioChip } from '../transports/gpio.js';
import { SimulatedGpioChip } from '../sim/gpio.js';
import { CAMERA_FACTORIES, PROJECTOR_FACTORIES, type DeviceParts } from './device-factories.js';
import { GpioLines } from './gpio-lines.js';
import { DeviceHealth, type HealthChange } from './health.js';
import { LinkPool, type LinkMaker } from './links.js';
import { Projector, type ProjectorState } from './projector.js';
import type { ProjectorDriver } from './projector-driver.js';
import type { PtzCamera } from './ptz-camera.js';

export interface DevicesContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  /** The GPIO chip; by default the board's (onoff) where accessible, else simulated lines. */
  gpioChip?: GpioChip;
  /** Faster reconnects in tests. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Camera poll interval (default 30 s). */
  cameraPollMs?: number;
  /** How device links are made; by default from the config (serial, TCP, UDP). Tests hand in lines in memory. */
  makeLink?: LinkMaker;
}

/**
 * The room's hardware: PTZ cameras, projectors and GPIO lines, built from the config. Devices on one
 * serial port share its link (a VISCA daisy chain); each device reports online/offline on the bus.
 */
export class Devices implements Part {
  readonly name = 'devices';
  private readonly links: LinkPool;
  readonly cameras = new Map<string, PtzCamera>();
  readonly projectors = new Map<string, Projector>();
  gpio: GpioLines | undefined;
  private readonly log: Logger;

  constructor(private readonly ctx: DevicesContext) {
    this.log = ctx.log.child({ part: 'devices' });
    this.links = new LinkPool(this.log, ctx.reconnect, ctx.makeLink);
    const parts = (name: string, kind: HealthChange['kind']): DeviceParts => ({
      name,
      log: this.log.child({ device: name }),
      health: this.health(name, kind),
      links: this.links,
      ...(ctx.cameraPollMs ? { pollMs: ctx.cameraPollMs } : {}),
    });
    for (const [name, c] of Object.entries(ctx.config.devices.cameras)) {
      const camera = (CAMERA_FACTORIES[c.protocol] as (c: CameraConfig, p: DeviceParts) => PtzCamera)(c, parts(name, 'camera'));
      camera.onChange = () => ctx.bus.emit('device.changed', { device: name });
      this.cameras.set(name, camera);
    }
    for (const [name, p] of Object.entries(ctx.config.devices.projectors)) {
      const at = parts(name, 'projector');
      const driver = (PROJECTOR_FACTORIES[p.protocol] as (c: ProjectorConfig, p: DeviceParts) => ProjectorDriver)(p, at);
      const projector = new Projector(
        driver,
        { name, pollS: p.pollS, warmUpS: p.warmUpS, coolDownS: p.coolDownS, minOnS: p.minOnS, minOffS: p.minOffS, inputs: p.inputs },
        at.health,
        at.log,
      );
      projector.onChange = () => ctx.bus.emit('device.changed', { device: name });
      this.projectors.set(name, projector);
    }
  }

  private health(device: string, kind: HealthChange['kind']): DeviceHealth {
    return new DeviceHealth(device, kind, (change) => {
      if (change.online) {
        this.log.info({ device }, `${kind} online`);
        this.ctx.bus.emit('device.online', { device, kind });
      } else {
        this.log.warn({ device, reason: change.reason }, `${kind} offline`);
        this.ctx.bus.emit('device.offline', { device, kind, reason: change.reason ?? 'unknown' });
      }
      this.ctx.bus.emit('device.changed', { device });
    });
  }

  async start(): Promise<void> {
    await this.links.start();
    await Promise.all([...this.cameras.values()].map((c) => c.start()));
    await Promise.all([...this.projectors.values()].map((p) => p.start()));
    const gpioConfig = this.ctx.config.devices.gpio;
    if (Object.keys(gpioConfig).length > 0) {
      const chip = this.ctx.gpioChip ?? ((await gpioAccessible()) ? new OnoffChip() : new SimulatedGpioChip());
      if (chip.simulated) this.log.info('no GPIO on this machine: the configured lines are simulated');
      this.gpio = new GpioLines(chip, gpioConfig, this.log.child({ part: 'gpio' }));
      this.gpio.onInput = (e) => this.ctx.bus.emit('gpio.input', e);
      this.gpio.onChange = (device) => this.ctx.bus.emit('device.changed', { device });
      await this.gpio.start();
    }
  }

  async stop(): Promise<void> {
    // Cameras first: a camera that is moving gets its stop while the link is still there.
    await Promise.all([...this.cameras.values()].map((c) => c.close()));
    await Promise.all([...this.projectors.values()].map((p) => p.close()));
    await this.gpio?.stop();
    await this.links.stop();
  }

  camera(name: string): PtzCamera {
    const c = this.cameras.get(name);
    if (!c)
      throw new ClassboxError(
        'not_found',
        `no camera "${name.slice(0, 64)}" (configured: ${[...this.cameras.keys()].join(', ') || 'none'})`,
      );
    return c;
  }

  /** A preset as requests give it: a name from the camera's `presets`, or the memory number itself. */
  presetNumber(camera: string, preset: string | number): number {
    if (typeof preset === 'number') return preset;
    const presets = this.ctx.config.devices.cameras[camera]?.presets ?? {};
    if (preset in presets) return presets[preset]!;
    if (/^\d+$/.test(preset)) return Number(preset);
    throw new ClassboxError(
      'not_found',
      `camera ${camera} has no preset "${preset.slice(0, 64)}" (named: ${Object.keys(presets).join(', ') || 'none'})`,
    );
  }

  projector(name: string): Projector {
    const p = this.projectors.get(name);
    if (!p)
      throw new ClassboxError(
        'not_found',
        `no projector "${name.slice(0, 64)}" (configured: ${[...this.projectors.keys()].join(', ') || 'none'})`,
      );
    return p;
  }

  /** What the retained state says of the devices (CONTRACT §4). */
  snapshot(): {
    cameras: Record<string, { online: boolean; moving: boolean }>;
    projectors: Record<string, ProjectorState>;
    gpio: Record<string, unknown>;
  } {
    return {
      cameras: Object.fromEntries([...this.cameras].map(([n, c]) => [n, { online: c.online, moving: c.moving }])),
      projectors: Object.fromEntries([...this.projectors].map(([n, p]) => [n, p.state()])),
      gpio: this.gpio?.levels() ?? {},
    };
  }
}
