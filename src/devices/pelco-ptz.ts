import { ClassboxError } from '../core/errors.js';
import { SPEED_MAX, encodePelco, type PelcoCommand, type PelcoVariant } from '../protocols/pelco/codec.js';
import type { PanTiltDirection } from '../protocols/ptz.js';
import type { ReconnectingLink } from '../transports/reconnecting-link.js';
import type { DeviceHealth } from './health.js';
import { DEFAULT_MOVE_LIMIT_MS, MoveGuard, scaleSpeed, type PtzCamera, type PtzStatus, type ZoomDirection } from './ptz-camera.js';

export interface PelcoPtzOptions {
  name: string;
  variant: PelcoVariant;
  address: number;
  maxPreset: number;
}

/**
 * A Pelco-D or Pelco-P camera. The protocol has no acknowledgement that cameras agree on, so a command
 * is done when its bytes are on the wire, and the camera counts as online while its port is open.
 */
export class PelcoPtz implements PtzCamera {
  readonly protocol: string;
  private readonly guard: MoveGuard;
  onChange: () => void = () => {};
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly options: PelcoPtzOptions,
    private readonly link: ReconnectingLink,
    private readonly health: DeviceHealth,
  ) {
    this.protocol = options.variant;
    this.guard = new MoveGuard(
      () => this.send({ kind: 'panTilt', direction: 'stop', panSpeed: 0, tiltSpeed: 0 }),
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
    this.unlisten = this.link.onStatus((s) => (s.up ? this.health.up() : this.health.down(s.reason)));
    if (this.link.isUp) this.health.up();
    else this.health.down(this.link.downReason);
  }

  async close(): Promise<void> {
    this.unlisten?.();
    if (this.guard.active && this.link.isUp) await this.guard.end().catch(() => undefined);
  }

  private send(command: PelcoCommand): Promise<void> {
    return this.health.observe(this.link.write(encodePelco(this.options.variant, this.options.address, command)));
  }

  private checkPreset(preset: number): void {
    // Pelco presets start at 1; many keyboards reserve some numbers (e.g. 95 opens the menu).
    if (!Number.isInteger(preset) || preset < 1 || preset > Math.min(255, this.options.maxPreset)) {
      throw new ClassboxError(
        'invalid_request',
        `preset: ${this.name} takes presets 1-${Math.min(255, this.options.maxPreset)}, got ${preset}`,
      );
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
    const speed = scaleSpeed(speedPercent, SPEED_MAX);
    return this.guard.run(() => this.send({ kind: 'panTilt', direction, panSpeed: speed, tiltSpeed: speed }), limitMs);
  }

  stopMove(): Promise<void> {
    return this.guard.end();
  }

  zoom(direction: ZoomDirection): Promise<void> {
    return this.send({ kind: 'zoom', direction });
  }

  home(): Promise<void> {
    // Pelco has no home command; preset 1 is the conventional home position.
    return this.send({ kind: 'preset', action: 'recall', number: 1 });
  }

  power(): Promise<void> {
    return Promise.reject(new ClassboxError('device_error', `${this.name}: Pelco cameras are not powered over the control line`));
  }

  async status(): Promise<PtzStatus> {
    return { online: this.health.online, moving: this.moving, ...(this.health.reason ? { reason: this.health.reason } : {}) };
  }
}
