import { ClassboxError } from '../core/errors.js';
import { render, type CommandSet } from '../protocols/ascii/command-set.js';
import type { AsciiSession } from '../protocols/ascii/session.js';
import type { ReconnectingLink } from '../transports/reconnecting-link.js';
import type { PowerState, ProjectorDriver, ProjectorReport } from './projector-driver.js';

/** A projector driven by a command set from device-profiles/projectors/ (BenQ, Optoma, ...). */
export class AsciiDriver implements ProjectorDriver {
  readonly protocol: string;
  readonly reportsTransitions: boolean;
  onNotice?: (power: PowerState) => void;

  constructor(
    private readonly session: AsciiSession,
    readonly link: ReconnectingLink,
    private readonly set: CommandSet,
    private readonly projectorId: number,
    private readonly timeoutMs: number,
  ) {
    this.protocol = `ascii:${set.name}`;
    const values = Object.values(set.power.query.values ?? {});
    this.reportsTransitions = values.includes('warming');
    session.onNotice = (power) => this.onNotice?.(power as PowerState);
  }

  powerTimeoutMs(): number {
    return this.timeoutMs;
  }

  async setPower(on: boolean): Promise<void> {
    const a = on ? this.set.power.on : this.set.power.off;
    await this.session.send(render(a.send, { id: this.projectorId }), a.expect, this.timeoutMs);
  }

  async setInput(code: string): Promise<void> {
    const a = this.set.input?.set;
    if (!a) throw new ClassboxError('device_error', `the ${this.set.name} command set has no input command`);
    await this.session.send(render(a.send, { id: this.projectorId, input: code }), a.expect, this.timeoutMs);
  }

  async setMute(on: boolean): Promise<void> {
    const a = on ? this.set.mute?.on : this.set.mute?.off;
    if (!a) throw new ClassboxError('device_error', `the ${this.set.name} command set has no mute command`);
    await this.session.send(render(a.send, { id: this.projectorId }), a.expect, this.timeoutMs);
  }

  async query(): Promise<ProjectorReport> {
    const q = this.set.power.query;
    const m = await this.session.send(render(q.send, { id: this.projectorId }), q.reply, this.timeoutMs);
    const raw = m[1] ?? m[0] ?? '';
    const power = q.values?.[raw] ?? q.values?.[raw.toUpperCase()] ?? 'unknown';
    const report: ProjectorReport = { power };
    if (this.set.lamp) {
      const l = this.set.lamp.query;
      const lamp = await this.session.send(render(l.send, { id: this.projectorId }), l.reply, this.timeoutMs).catch(() => undefined);
      if (lamp?.[1] !== undefined) report.lampHours = Number(lamp[1]);
    }
    return report;
  }
}
