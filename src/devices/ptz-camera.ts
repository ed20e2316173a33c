import type { PanTiltDirection, ZoomDirection } from '../protocols/ptz.js';

export type { ZoomDirection } from '../protocols/ptz.js';

export interface PtzStatus {
  online: boolean;
  reason?: string;
  power?: 'on' | 'standby' | 'unknown';
  pan?: number;
  tilt?: number;
  zoom?: number;
  moving: boolean;
}

/**
 * A PTZ camera as the rest of classbox sees it, whatever it speaks. Speeds are 1-100 % of the camera's
 * range, so a request means the same on a VISCA and a Pelco camera.
 */
export interface PtzCamera {
  readonly name: string;
  readonly protocol: string;
  readonly online: boolean;
  readonly moving: boolean;
  /** Called when what the state shows of the camera changes (moving or not). */
  onChange: () => void;
  start(): Promise<void>;
  close(): Promise<void>;
  recall(preset: number): Promise<void>;
  save(preset: number): Promise<void>;
  /** Starts a continuous move; it goes on until stopMove(), or `limitMs` as a failsafe. */
  move(direction: PanTiltDirection, speedPercent: number, limitMs?: number): Promise<void>;
  stopMove(): Promise<void>;
  zoom(direction: ZoomDirection): Promise<void>;
  home(): Promise<void>;
  power(on: boolean): Promise<void>;
  status(): Promise<PtzStatus>;
}

/** 1-100 % to a protocol's 1..max speed. */
export function scaleSpeed(percent: number, max: number): number {
  const p = Math.min(100, Math.max(1, percent));
  return Math.max(1, Math.round((p / 100) * max));
}

/** Longest a move runs with no stop from anyone (a lost stop request must not leave a camera spinning). */
export const DEFAULT_MOVE_LIMIT_MS = 30_000;

/**
 * The guaranteed stop, shared by every protocol: a move ends with a stop sent to the camera, whether
 * it ended by request, by its failsafe limit, or by failing (even when the move was never acknowledged).
 */
export class MoveGuard {
  private timer: NodeJS.Timeout | undefined;
  private isActive = false;

  constructor(
    private readonly sendStop: () => Promise<void>,
    /** Called when the camera starts or stops moving (not for each repeat of a move), for the state. */
    private readonly onChange: () => void = () => {},
  ) {}

  get active(): boolean {
    return this.isActive;
  }

  private set(active: boolean): void {
    if (this.isActive === active) return;
    this.isActive = active;
    this.onChange();
  }

  async run(sendMove: () => Promise<void>, limitMs: number): Promise<void> {
    this.set(true);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.end().catch(() => undefined), limitMs);
    this.timer.unref?.();
    try {
      await sendMove();
    } catch (err) {
      await this.end().catch(() => undefined);
      throw err;
    }
  }

  async end(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.set(false);
    await this.sendStop();
  }
}
