import type { Logger } from 'pino';
import { ClassboxError, toClassboxError } from '../core/errors.js';
import { SerialQueue } from '../core/serial-queue.js';
import type { DeviceHealth } from './health.js';
import type { PowerState, ProjectorDriver, ProjectorReport } from './projector-driver.js';

export interface ProjectorPolicy {
  name: string;
  pollS: number;
  /** Seconds to assume for warm-up / cool-down when the projector does not say (defaults 30 / 60). */
  warmUpS?: number | undefined;
  coolDownS?: number | undefined;
  /** Lamp protection: least time on before switching off, and off before switching on. */
  minOnS: number;
  minOffS: number;
  /** Named inputs -> protocol codes. A request may also give the code itself. */
  inputs: Record<string, string>;
}

export interface ProjectorState {
  online: boolean;
  power: PowerState | null;
  input?: string;
  lampHours?: number;
  muted?: boolean;
  /** The name the projector gives itself (PJLink NAME). */
  name?: string;
  faults?: Record<string, string>;
  reason?: string;
  /** Why the last poll failed, while it keeps failing (a wrong password, a refused query...). */
  error?: { code: string; message: string };
}

export interface WaitOption {
  /** Queue the command until the projector can take it, instead of answering device_busy. */
  wait?: boolean;
}

const DEFAULT_WARM_UP_S = 30;
const DEFAULT_COOL_DOWN_S = 60;
/** How often a waiting command looks again. */
const RECHECK_MS = 1000;

/**
 * A projector with the rules that protect it and the lesson: warm-up and cool-down are states in which
 * it takes no command (answered `device_busy` with how long to wait, or queued when the request asks to
 * wait); minimum on and off times are kept; its power, input and lamp hours are polled.
 */
export class Projector {
  private power: PowerState | null = null;
  private report: ProjectorReport | undefined;
  /** Our own estimate of a transition, for projectors that do not report one. */
  private transition: { state: 'warming' | 'cooling'; until: number } | undefined;
  private lastOnAt: number | undefined;
  private lastOffAt: number | undefined;
  private poller: NodeJS.Timeout | undefined;
  private unlisten: (() => void) | undefined;
  private closed = false;
  private pollError: ClassboxError | undefined;
  /** Commands run one after another: a switch-off queued behind a switch-on that waits for warm-up comes after it. */
  private readonly queue = new SerialQueue();
  private muted: boolean | undefined;
  /** Called when what the state snapshot says of this projector changes. */
  onChange: () => void = () => {};

  constructor(
    readonly driver: ProjectorDriver,
    private readonly policy: ProjectorPolicy,
    private readonly health: DeviceHealth,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    driver.onNotice = (power) => this.learn({ power }, true);
  }

  get name(): string {
    return this.policy.name;
  }

  get online(): boolean {
    return this.health.online;
  }

  state(): ProjectorState {
    const r = this.report;
    return {
      online: this.health.online,
      power: this.currentPower(),
      ...(r?.input !== undefined ? { input: r.input } : {}),
      ...(r?.lampHours !== undefined ? { lampHours: r.lampHours } : {}),
      ...(this.muted !== undefined ? { muted: this.muted } : {}),
      ...(r?.name !== undefined ? { name: r.name } : {}),
      ...(r?.faults ? { faults: r.faults } : {}),
      ...(this.health.reason !== undefined && !this.health.online ? { reason: this.health.reason } : {}),
      ...(this.pollError ? { error: { code: this.pollError.code, message: this.pollError.message } } : {}),
    };
  }

  async start(): Promise<void> {
    this.unlisten = this.driver.link?.onStatus((s) => {
      if (!s.up) {
        this.health.down(s.reason);
        this.onChange();
      } else void this.poll();
    });
    await this.poll();
    this.poller = setInterval(() => void this.poll(), this.policy.pollS * 1000);
    this.poller.unref?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poller);
    this.unlisten?.();
  }

  /** Asks the projector for its state; failures only mark it offline (the poll goes on). */
  async poll(): Promise<ProjectorState> {
    const before = JSON.stringify(this.state());
    try {
      this.learn(await this.health.observe(this.driver.query()));
      this.pollError = undefined;
    } catch (err) {
      this.pollError = toClassboxError(err);
      this.log.debug({ err }, 'projector poll failed');
    }
    if (JSON.stringify(this.state()) !== before) this.onChange();
    return this.state();
  }

  private learn(report: Partial<ProjectorReport>, notice = false): void {
    if (report.power !== undefined) {
      this.power = report.power;
      if (notice && (report.power === 'warming' || report.power === 'cooling')) {
        // A notice says when a transition starts, not when it ends: estimate the end.
        const s = report.power === 'warming' ? (this.policy.warmUpS ?? DEFAULT_WARM_UP_S) : (this.policy.coolDownS ?? DEFAULT_COOL_DOWN_S);
        this.transition = { state: report.power, until: this.now() + s * 1000 };
        // What it will be once the estimate has run out.
        this.power = report.power === 'warming' ? 'on' : 'standby';
      } else if (this.driver.reportsTransitions || notice) {
        // The projector's own word on a transition beats our estimate.
        this.transition = undefined;
      }
      if (report.power === 'on' && this.lastOnAt === undefined) this.lastOnAt = this.now();
    }
    this.report = { ...this.report, ...report } as ProjectorReport;
    this.onChange();
  }

  private currentPower(): PowerState | null {
    if (this.transition && this.now() < this.transition.until) return this.transition.state;
    return this.power;
  }

  /** Seconds until the projector can take `on`/`off`, with why; 0 when it can now. */
  private waitFor(on: boolean): { s: number; why: string } {
    const power = this.currentPower();
    const now = this.now();
    if (power === 'warming' || power === 'cooling') {
      const left = this.transition
        ? (this.transition.until - now) / 1000
        : power === 'warming'
          ? (this.policy.warmUpS ?? DEFAULT_WARM_UP_S)
          : (this.policy.coolDownS ?? DEFAULT_COOL_DOWN_S);
      return { s: Math.max(1, Math.ceil(left)), why: power === 'warming' ? 'warming up' : 'cooling down' };
    }
    if (!on && this.lastOnAt !== undefined && this.policy.minOnS > 0) {
      const left = this.lastOnAt + this.policy.minOnS * 1000 - now;
      if (left > 0) return { s: Math.ceil(left / 1000), why: `must stay on at least ${this.policy.minOnS} s (lamp protection)` };
    }
    if (on && this.lastOffAt !== undefined && this.policy.minOffS > 0) {
      const left = this.lastOffAt + this.policy.minOffS * 1000 - now;
      if (left > 0) return { s: Math.ceil(left / 1000), why: `must stay off at least ${this.policy.minOffS} s (lamp protection)` };
    }
    return { s: 0, why: '' };
  }

  private busy(s: number, why: string): ClassboxError {
    return new ClassboxError('device_busy', `${this.name} is ${why}: try again in ${s} s`, { details: { retryAfterS: s } });
  }

  /** Waits until `ready()` says 0, polling the projector, or fails as busy when not asked to wait. */
  /** The longest a waiting command waits: a whole cool-down, warm-up and lamp-protection interval. */
  private waitBudgetMs(): number {
    return (
      ((this.policy.warmUpS ?? DEFAULT_WARM_UP_S) +
        (this.policy.coolDownS ?? DEFAULT_COOL_DOWN_S) +
        Math.max(this.policy.minOnS, this.policy.minOffS) +
        30) *
      1000
    );
  }

  private async until(ready: () => { s: number; why: string }, options: WaitOption): Promise<void> {
    const deadline = this.now() + this.waitBudgetMs();
    for (;;) {
      const { s, why } = ready();
      if (s === 0) return;
      if (!options.wait) throw this.busy(s, why);
      if (this.closed || this.now() > deadline) throw this.busy(s, why);
      await new Promise((r) => setTimeout(r, Math.min(RECHECK_MS, s * 1000)));
      if (this.driver.reportsTransitions && this.transition === undefined) await this.poll();
    }
  }

  setPower(on: boolean, options: WaitOption = {}): Promise<ProjectorState> {
    return this.queue.run(() => this.switchPower(on, options));
  }

  private async switchPower(on: boolean, options: WaitOption): Promise<ProjectorState> {
    await this.until(() => this.waitFor(on), options);
    const deadline = this.now() + this.waitBudgetMs();
    for (;;) {
      try {
        await this.health.observe(this.driver.setPower(on));
        break;
      } catch (err) {
        // The projector itself says "not now" (PJLink ERR3, BenQ Block item): wait and try again if asked to.
        if (!(err instanceof ClassboxError && err.code === 'device_busy')) throw err;
        const s = on ? (this.policy.coolDownS ?? DEFAULT_COOL_DOWN_S) : (this.policy.warmUpS ?? DEFAULT_WARM_UP_S);
        if (!options.wait || this.closed || this.now() > deadline)
          throw new ClassboxError('device_busy', err.message, { details: { retryAfterS: s } });
        await new Promise((r) => setTimeout(r, RECHECK_MS));
        await this.poll();
        await this.until(() => this.waitFor(on), options);
      }
    }
    const now = this.now();
    if (on) this.lastOnAt = now;
    else this.lastOffAt = now;
    const seconds = on ? (this.policy.warmUpS ?? DEFAULT_WARM_UP_S) : (this.policy.coolDownS ?? DEFAULT_COOL_DOWN_S);
    if (!this.driver.reportsTransitions && seconds > 0)
      this.transition = { state: on ? 'warming' : 'cooling', until: now + seconds * 1000 };
    this.power = on ? 'on' : 'standby';
    if (this.driver.reportsTransitions) await this.poll();
    this.onChange();
    this.log.info({ on }, 'projector power switched');
    return this.state();
  }

  /** Picture and sound mute; only a projector that is on can blank its picture. */
  setMute(on: boolean, options: WaitOption = {}): Promise<ProjectorState> {
    return this.queue.run(() => this.mute(on, options));
  }

  private async mute(on: boolean, options: WaitOption): Promise<ProjectorState> {
    await this.until(() => {
      const p = this.currentPower();
      return p === 'warming' || p === 'cooling' ? this.waitFor(true) : { s: 0, why: '' };
    }, options);
    if (this.currentPower() === 'standby') throw new ClassboxError('conflict', `${this.name} is in standby: power it on first`);
    await this.health.observe(this.driver.setMute(on));
    this.muted = on;
    this.onChange();
    return this.state();
  }

  /** `input` is a configured name or the protocol's own code. */
  setInput(input: string, options: WaitOption = {}): Promise<ProjectorState> {
    return this.queue.run(() => this.switchInput(input, options));
  }

  private async switchInput(input: string, options: WaitOption): Promise<ProjectorState> {
    const code = this.policy.inputs[input] ?? input;
    if (!/^[A-Za-z0-9]{1,8}$/.test(code))
      throw new ClassboxError(
        'invalid_request',
        `input: "${input}" is neither a configured input (${Object.keys(this.policy.inputs).join(', ') || 'none'}) nor a code`,
      );
    await this.until(() => {
      const p = this.currentPower();
      if (p === 'warming' || p === 'cooling') return this.waitFor(true);
      return { s: 0, why: '' };
    }, options);
    if (this.currentPower() === 'standby') throw new ClassboxError('conflict', `${this.name} is in standby: power it on first`);
    await this.health.observe(this.driver.setInput(code));
    this.report = { ...(this.report ?? { power: this.power ?? 'unknown' }), input: code };
    this.onChange();
    return this.state();
  }
}
