import { POWER_STATES, parseErrorStatus, parseLamps } from '../protocols/pjlink/codec.js';
import type { PjlinkSession } from '../protocols/pjlink/session.js';
import type { ProjectorDriver, ProjectorReport } from './projector-driver.js';

export class PjlinkDriver implements ProjectorDriver {
  readonly protocol = 'pjlink';
  readonly link = undefined;
  readonly reportsTransitions = true;

  constructor(
    private readonly session: PjlinkSession,
    private readonly timeoutMs: number,
  ) {}

  powerTimeoutMs(): number {
    return this.timeoutMs;
  }

  async setPower(on: boolean): Promise<void> {
    await this.session.run([{ command: 'POWR', parameter: on ? '1' : '0' }]);
  }

  async setInput(code: string): Promise<void> {
    await this.session.run([{ command: 'INPT', parameter: code }]);
  }

  async setMute(on: boolean): Promise<void> {
    // AVMT 31/30: video and audio mute together.
    await this.session.run([{ command: 'AVMT', parameter: on ? '31' : '30' }]);
  }

  async query(): Promise<ProjectorReport> {
    const [power, lamp, erst, name] = await this.session.run([
      { command: 'POWR', parameter: '?' },
      { command: 'LAMP', parameter: '?' },
      { command: 'ERST', parameter: '?' },
      { command: 'NAME', parameter: '?' },
    ]);
    const report: ProjectorReport = { power: POWER_STATES[power as keyof typeof POWER_STATES] ?? 'unknown', name: name! };
    const lamps = parseLamps(lamp!);
    if (lamps.length > 0) report.lampHours = Math.max(...lamps.map((l) => l.hours));
    const faults = Object.fromEntries(Object.entries(parseErrorStatus(erst!)).filter(([, v]) => v !== 'ok'));
    if (Object.keys(faults).length > 0) report.faults = faults;
    if (report.power === 'on') {
      // The input is only meaningful (and only answered by some models) while the projector is on.
      const [input] = await this.session.run([{ command: 'INPT', parameter: '?' }]).catch(() => [undefined]);
      if (input !== undefined) report.input = input;
    }
    return report;
  }
}
