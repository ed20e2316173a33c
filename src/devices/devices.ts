import type { Logger } from 'pino';
import type { CameraConfig, Config } from '../config/schema.js';
import { ClassboxError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import { loadCommandSet } from '../protocols/ascii/command-set.js';
import { AsciiSession } from '../protocols/ascii/session.js';
import { EscVp21Session } from '../protocols/escvp21/session.js';
import { PjlinkSession } from '../protocols/pjlink/session.js';
import { ViscaIpPort } from '../protocols/visca/ip-port.js';
import { ViscaPort } from '../protocols/visca/port.js';
import { OnoffChip, gpioAccessible, type GpioChip } from '../transports/gpio.js';
import { SimulatedGpioChip } from '../sim/gpio.js';
import { AsciiDriver } from './ascii-driver.js';
import { EpsonDriver } from './epson-driver.js';
import { escvpNetHandshake } from './escvp-net.js';
import { GpioLines } from './gpio-lines.js';
import { DeviceHealth, type HealthChange } from './health.js';
import { linkKey } from '../transports/link-key.js';
import { LinkPool } from './links.js';
import { PelcoPtz } from './pelco-ptz.js';
import { PjlinkDriver } from './pjlink-driver.js';
import { Projector, type ProjectorState } from './projector.js';
import type { ProjectorDriver } from './projector-driver.js';
import type { PtzCamera } from './ptz-camera.js';
import { ViscaPtz } from './visca-ptz.js';

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
    this.links = new LinkPool(this.log, ctx.reconnect);
    // Cameras on one serial line (a VISCA daisy chain) share one port: its replies are routed by address.
    const viscaPorts = new Map<string, ViscaPort>();
    for (const [name, c] of Object.entries(ctx.config.devices.cameras)) this.cameras.set(name, this.buildCamera(name, c, viscaPorts));
    for (const [name, camera] of this.cameras) camera.onChange = () => ctx.bus.emit('device.changed', { device: name });
    for (const [name, p] of Object.entries(ctx.config.devices.projectors)) {
      const log = this.log.child({ device: name });
      const projector = new Projector(
        this.driver(name, p),
        { name, pollS: p.pollS, warmUpS: p.warmUpS, coolDownS: p.coolDownS, minOnS: p.minOnS, minOffS: p.minOffS, inputs: p.inputs },
        this.health(name, 'projector'),
        log,
      );
      projector.onChange = () => ctx.bus.emit('device.changed', { device: name });
      this.projectors.set(name, projector);
    }
  }

  /** One camera by its protocol. */
  private buildCamera(name: string, c: CameraConfig, viscaPorts: Map<string, ViscaPort>): PtzCamera {
    const log = this.log.child({ device: name });
    const health = this.health(name, 'camera');
    const polling = this.ctx.cameraPollMs ? { pollMs: this.ctx.cameraPollMs } : {};
    switch (c.protocol) {
      case 'visca': {
        const key = linkKey(c);
        let port = viscaPorts.get(key);
        if (!port) {
          // The link opens later (asynchronously), once the port below exists.
          const link = this.links.get(c, c.timeoutMs, { onOpen: (l) => p.initialise(l) });
          const p = new ViscaPort(link, log, c.timeoutMs);
          port = p;
          viscaPorts.set(key, port);
        }
        const options = { name, address: c.address, timeoutMs: c.timeoutMs, maxPreset: c.maxPreset, ...polling };
        return new ViscaPtz(options, this.links.get(c, c.timeoutMs), port, health);
      }
      case 'visca-ip': {
        const link = this.links.get(c, c.timeoutMs, { onOpen: (l) => port.initialise(l) });
        const port = new ViscaIpPort(link, log, c.timeoutMs);
        // VISCA over IP always speaks to address 1.
        const options = { name, protocol: 'visca-ip' as const, address: 1, timeoutMs: c.timeoutMs, maxPreset: c.maxPreset, ...polling };
        return new ViscaPtz(options, link, port, health);
      }
      default:
        return new PelcoPtz(
          { name, variant: c.protocol, address: c.address, maxPreset: c.maxPreset },
          this.links.get(c, c.timeoutMs),
          health,
        );
    }
  }

  private driver(name: string, p: Config['devices']['projectors'][string]): ProjectorDriver {
    const label = `projector ${name}`;
    switch (p.protocol) {
      case 'pjlink':
        return new PjlinkDriver(
          new PjlinkSession({ host: p.host, port: p.port, password: p.password, timeoutMs: p.timeoutMs, label }),
          p.timeoutMs,
        );
      case 'epson-escvp21': {
        const link = this.links.get(p, p.timeoutMs, {
          defaultTcpPort: 3629,
          ...(p.host !== undefined ? { onOpen: escvpNetHandshake(p.timeoutMs) } : {}),
        });
        return new EpsonDriver(new EscVp21Session(link, label), link, p.timeoutMs);
      }
      case 'ascii': {
        const set = loadCommandSet(p.commandSet);
        const link = this.links.get(p, p.timeoutMs);
        return new AsciiDriver(new AsciiSession(link, set, label), link, set, p.projectorId, p.timeoutMs);
      }
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
