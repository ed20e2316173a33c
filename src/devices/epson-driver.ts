import { POWER_CODES } from '../protocols/escvp21/codec.js';
import type { EscVp21Session } from '../protocols/escvp21/session.js';
import type { ReconnectingLink } from '../transports/reconnecting-link.js';
import type { ProjectorDriver, ProjectorReport } from './projector-driver.js';

/**
 * Epson ESC/VP21. Time budgets from Epson's manuals: the prompt after PWR ON can take about 40 s (up
 * to 100 s when the lamp needs retries), PWR OFF up to 50 s, SOURCE 5 s, other commands 3 s.
 */
export class EpsonDriver implements ProjectorDriver {
  readonly protocol = 'epson-escvp21';
  readonly reportsTransitions = true;

  constructor(
    private readonly session: EscVp21Session,
    readonly link: ReconnectingLink,
    private readonly timeoutMs: number,
  ) {}

  powerTimeoutMs(on: boolean): number {
    return Math.max(this.timeoutMs, on ? 100_000 : 50_000);
  }

  async setPower(on: boolean): Promise<void> {
    await this.session.send(on ? 'PWR ON' : 'PWR OFF', this.powerTimeoutMs(on));
  }

  async setInput(code: string): Promise<void> {
    await this.session.send(`SOURCE ${code}`, Math.max(this.timeoutMs, 5000));
  }

  async setMute(on: boolean): Promise<void> {
    await this.session.send(on ? 'MUTE ON' : 'MUTE OFF', this.timeoutMs);
  }

  async query(): Promise<ProjectorReport> {
    const pwr = (await this.session.send('PWR?', this.timeoutMs)).PWR;
    const report: ProjectorReport = { power: POWER_CODES[pwr as keyof typeof POWER_CODES] ?? 'unknown' };
    const lamp = await this.session.send('LAMP?', this.timeoutMs).catch(() => undefined);
    if (lamp?.LAMP !== undefined && /^\d+$/.test(lamp.LAMP)) report.lampHours = Number(lamp.LAMP);
    if (report.power === 'on') {
      const source = await this.session.send('SOURCE?', this.timeoutMs).catch(() => undefined);
      if (source?.SOURCE !== undefined) report.input = source.SOURCE;
    }
    return report;
  }
}
