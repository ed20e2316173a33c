import type { ReconnectingLink } from '../transports/reconnecting-link.js';

export type PowerState = 'on' | 'standby' | 'warming' | 'cooling' | 'error' | 'unknown';

export interface ProjectorReport {
  power: PowerState;
  input?: string;
  lampHours?: number;
  /** PJLink ERST parts that are not ok (fan, lamp, temperature, cover, filter, other). */
  faults?: Record<string, string>;
  name?: string;
}

/** What one projector protocol can do. The policy (warm-up, intervals, polling) lives in Projector. */
export interface ProjectorDriver {
  readonly protocol: string;
  /** The kept-open link, for protocols that have one (serial, ESC/VP.net); PJLink connects per exchange. */
  readonly link: ReconnectingLink | undefined;
  /**
   * Whether the projector's status answer says when it warms up and cools down; if not, the configured
   * times are used (a notice such as Optoma's INFO1 starts such an estimate too).
   */
  readonly reportsTransitions: boolean;
  /** How long a power command may take before its answer (Epson answers power on after warming up). */
  powerTimeoutMs(on: boolean): number;
  setPower(on: boolean): Promise<void>;
  setInput(code: string): Promise<void>;
  /** Picture and sound mute (blank), e.g. while the room changes over. */
  setMute(on: boolean): Promise<void>;
  query(): Promise<ProjectorReport>;
  /** Unsolicited state changes (Optoma INFOn). */
  onNotice?: (power: PowerState) => void;
}
