import { ClassboxError } from '../core/errors.js';
import {
  PAN_SPEED_MAX,
  TILT_SPEED_MAX,
  encodeCommand,
  encodeInquiry,
  inquiryAnswers,
  type ViscaCommand,
} from '../protocols/visca/codec.js';
import type { PanTiltDirection } from '../protocols/ptz.js';
import type { ViscaSession, ViscaSessionSource } from '../protocols/visca/session.js';
import type { ReconnectingLink } from '../transports/reconnecting-link.js';
import type { DeviceHealth } from './health.js';
import { DEFAULT_MOVE_LIMIT_MS, MoveGuard, scaleSpeed, type PtzCamera, type PtzStatus, type ZoomDirection } from './ptz-camera.js';

export interface ViscaPtzOptions {
  name: string;
  /** As the state reports it: `visca` (serial or raw TCP) or `visca-ip`. */
  protocol?: string;
  address: number;
  timeoutMs: number;
  maxPreset: number;
  /** How often the camera is asked its power state, to notice one that went silent. */
  pollMs?: number;
}

/** A VISCA camera on a (possibly shared, daisy-chained) serial port, raw TCP, or VISCA over IP. */
export class ViscaPtz implements PtzCamera {
  readonly protocol: string;
  private readonly session: ViscaSession;
  private readonly guard: MoveGuard;
  onChange: () => void = () => {};
  private poller: NodeJS.Timeout | undefined;
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly options: ViscaPtzOptions,
    private readonly link: ReconnectingLink,
    port: ViscaSessionSource,
    private readonly health: DeviceHealth,
  ) {
    this.protocol = options.protocol ?? 'visca';
    // A recall completes when the camera arrives: allow it the time a slow pan across the room takes.
    this.session = port.session(
      options.address,
      { ackMs: options.timeoutMs, completionMs: Math.max(10_000, options.timeoutMs * 5) },
      options.name,
    );
    this.guard = new MoveGuard(
      () => this.send({ kind: 'panTilt', direction: 'stop', panSpeed: 1, tiltSpeed: 1 }, { urgent: true }),
      () => this.onChange(),
    );
  }

  get name(): string {
    return this.options.name;
  }

  get online(): boolean {
    return this.health.online;
  }

  get moving(): boolean {
    return this.guard.active;
  }

  async start(): Promise<void> {
    this.unlisten = this.link.onStatus((s) => {
      if (!s.up) this.health.down(s.reason);
      else void this.probe();
    });
    if (this.link.isUp) await this.probe();
    else this.health.down(this.link.downReason);
    const every = this.options.pollMs ?? 30_000;
    this.poller = setInterval(() => void this.probe(), every);
    this.poller.unref?.();
  }

  async close(): Promise<void> {
    clearInterval(this.poller);
    this.unlisten?.();
    if (this.guard.active && this.link.isUp) await this.guard.end().catch(() => undefined);
  }

  private async probe(): Promise<void> {
    await this.status().catch(() => undefined);
  }

  private send(command: ViscaCommand, options: { drive?: boolean; urgent?: boolean } = {}): Promise<void> {
    return this.health.observe(this.session.command(encodeCommand(this.options.address, command), options)).then(() => undefined);
  }

  private checkPreset(preset: number): void {
    if (!Number.isInteger(preset) || preset < 0 || preset > this.options.maxPreset) {
      throw new ClassboxError('invalid_request', `preset: ${this.name} takes presets 0-${this.options.maxPreset}, got ${preset}`);
    }
  }

  async recall(preset: number): Promise<void> {
    this.checkPreset(preset);
    await this.send({ kind: 'preset', action: 'recall', number: preset });
  }

  async save(preset: number): Promise<void> {
    this.checkPreset(preset);
    await this.send({ kind: 'preset', action: 'save', number: preset });
  }

  move(direction: PanTiltDirection, speedPercent: number, limitMs = DEFAULT_MOVE_LIMIT_MS): Promise<void> {
    const command: ViscaCommand = {
      kind: 'panTilt',
      direction,
      panSpeed: scaleSpeed(speedPercent, PAN_SPEED_MAX),
      tiltSpeed: scaleSpeed(speedPercent, TILT_SPEED_MAX),
    };
    return this.guard.run(() => this.send(command, { drive: true }), limitMs);
  }

  stopMove(): Promise<void> {
    return this.guard.end();
  }

  zoom(direction: ZoomDirection): Promise<void> {
    return this.send({ kind: 'zoom', direction }, { drive: direction !== 'stop', urgent: direction === 'stop' });
  }

  home(): Promise<void> {
    return this.send({ kind: 'home' });
  }

  power(on: boolean): Promise<void> {
    return this.send({ kind: 'power', on });
  }

  async status(): Promise<PtzStatus> {
    const a = this.options.address;
    const power = inquiryAnswers.power(await this.health.observe(this.session.inquire(encodeInquiry(a, 'power'))));
    const result: PtzStatus = { online: true, power, moving: this.moving };
    if (power === 'on') {
      const pt = inquiryAnswers.panTiltPosition(await this.health.observe(this.session.inquire(encodeInquiry(a, 'panTiltPosition'))));
      const zoom = inquiryAnswers.zoomPosition(await this.health.observe(this.session.inquire(encodeInquiry(a, 'zoomPosition'))));
      Object.assign(result, pt ?? {}, zoom === undefined ? {} : { zoom });
    }
    return result;
  }
}
