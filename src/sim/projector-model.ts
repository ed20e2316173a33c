export interface ProjectorModelOptions {
  /** Warm-up and cool-down in ms (real projectors: 30-60 s; tests: a fraction of a second). */
  warmUpMs?: number;
  coolDownMs?: number;
  initialPower?: 'on' | 'standby';
  lampHours?: number;
}

export type SimPower = 'on' | 'standby' | 'warming' | 'cooling';

/** The part every simulated projector shares: power with timed warm-up and cool-down, input, lamp hours. */
export class ProjectorModel {
  private target: 'on' | 'standby';
  private since = 0;
  input = '31';
  lampFailed = false;
  private readonly warmUpMs: number;
  private readonly coolDownMs: number;
  private readonly hoursAtStart: number;
  /** Every accepted power switch, with when. */
  readonly switches: Array<{ at: number; on: boolean }> = [];

  constructor(options: ProjectorModelOptions = {}) {
    this.target = options.initialPower ?? 'standby';
    this.warmUpMs = options.warmUpMs ?? 500;
    this.coolDownMs = options.coolDownMs ?? 500;
    this.hoursAtStart = options.lampHours ?? 1234;
  }

  state(): SimPower {
    const elapsed = performance.now() - this.since;
    if (this.target === 'on') return elapsed < this.warmUpMs ? 'warming' : 'on';
    return elapsed < this.coolDownMs && this.switches.length > 0 ? 'cooling' : 'standby';
  }

  /** Switches power; false when the projector cannot take it now (warming up or cooling down). */
  power(on: boolean): boolean {
    const s = this.state();
    if (s === 'warming' || s === 'cooling') return false;
    if ((on && s === 'on') || (!on && s === 'standby')) return true;
    this.target = on ? 'on' : 'standby';
    this.since = performance.now();
    this.switches.push({ at: this.since, on });
    return true;
  }

  lampHours(): number {
    return this.hoursAtStart;
  }
}
