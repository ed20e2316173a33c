import { ClassboxError } from '../core/errors.js';

export type DeviceKind = 'camera' | 'projector' | 'gpio';

export interface HealthChange {
  device: string;
  kind: DeviceKind;
  online: boolean;
  reason?: string;
}

/**
 * Whether a device is reachable and answering, with one notification per change: the port or host
 * going away, or a device that stops answering while its port is still open (powered off, cable out
 * at the device end), both count as offline.
 */
export class DeviceHealth {
  private isOnline = false;
  private lastReason = 'not started';

  constructor(
    private readonly device: string,
    private readonly kind: DeviceKind,
    private readonly notify: (change: HealthChange) => void,
  ) {}

  get online(): boolean {
    return this.isOnline;
  }

  get reason(): string | undefined {
    return this.isOnline ? undefined : this.lastReason;
  }

  up(): void {
    if (this.isOnline) return;
    this.isOnline = true;
    this.notify({ device: this.device, kind: this.kind, online: true });
  }

  down(reason: string): void {
    this.lastReason = reason;
    if (!this.isOnline) return;
    this.isOnline = false;
    this.notify({ device: this.device, kind: this.kind, online: false, reason });
  }

  /** Runs a device exchange and learns from its outcome: an answer is proof of life, silence or a lost port is not. */
  async observe<T>(exchange: Promise<T>): Promise<T> {
    try {
      const result = await exchange;
      this.up();
      return result;
    } catch (err) {
      // A time-out after the device acknowledged (VISCA: ACK, then no Completion) still proves it is there.
      if (err instanceof ClassboxError && err.details?.acknowledged === true) this.up();
      else if (err instanceof ClassboxError && (err.code === 'device_timeout' || err.code === 'device_unavailable')) this.down(err.message);
      // Any other answer (an error reply, busy) still proves the device is there.
      else if (err instanceof ClassboxError && err.blame === 'device') this.up();
      throw err;
    }
  }
}
