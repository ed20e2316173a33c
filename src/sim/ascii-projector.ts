import { LineFramer } from '../protocols/line-framer.js';
import { ProjectorModel, type ProjectorModelOptions } from './projector-model.js';
import { SerialSim } from './serial-sim.js';

/**
 * Projectors of the ASCII command sets in device-profiles/projectors/: `benq` (echo, `*POW=ON#`,
 * `*Block item#` while warming or cooling) and `optoma` (`P`/`F` without CR, `OKn` answers, INFOn notices).
 */
export class AsciiProjectorSim extends SerialSim {
  private readonly framer: LineFramer;
  readonly model: ProjectorModel;
  readonly commands: string[] = [];
  source: string;
  muted = false;
  private lastState: string;
  private watch: NodeJS.Timeout | undefined;

  constructor(
    path: string,
    readonly brand: 'benq' | 'optoma',
    options: ProjectorModelOptions = {},
    baudRate = brand === 'benq' ? 115200 : 9600,
  ) {
    super(path, baudRate);
    this.framer = new LineFramer('\r');
    this.model = new ProjectorModel(options);
    this.source = brand === 'benq' ? 'HDMI' : '1';
    this.lastState = this.model.state();
    if (brand === 'optoma') {
      // Optoma announces its own state changes.
      this.watch = setInterval(() => {
        const s = this.model.state();
        const notice = { standby: 'INFO0', warming: 'INFO1', cooling: 'INFO2', on: '' }[s];
        if (s !== this.lastState && notice) this.send(`${notice}\r`);
        this.lastState = s;
      }, 20);
      this.watch.unref();
    }
  }

  override async stop(): Promise<void> {
    clearInterval(this.watch);
    await super.stop();
  }

  protected onBytes(chunk: Buffer): void {
    for (const raw of this.framer.push(chunk)) {
      const line = raw.trim();
      if (!line) continue;
      this.commands.push(line);
      this.send(this.brand === 'benq' ? this.benq(line) : this.optoma(line));
    }
  }

  private benq(line: string): string {
    const m = /^\*(\w+)=([\w?]+)#$/i.exec(line);
    if (!m) return `${line}\r*Illegal format#\r`;
    const [key, value] = [m[1]!.toLowerCase(), m[2]!.toLowerCase()];
    const echo = `${line}\r`;
    const state = this.model.state();
    if (key === 'pow') {
      if (value === '?') return `${echo}*POW=${state === 'on' || state === 'warming' ? 'ON' : 'OFF'}#\r`;
      if (value !== 'on' && value !== 'off') return `${echo}*Illegal format#\r`;
      return this.model.power(value === 'on') ? `${echo}*POW=${value.toUpperCase()}#\r` : `${echo}*Block item#\r`;
    }
    if (key === 'blank' && (value === 'on' || value === 'off')) {
      if (state !== 'on') return `${echo}*Block item#\r`;
      this.muted = value === 'on';
      return `${echo}*BLANK=${value.toUpperCase()}#\r`;
    }
    if (key === 'ltim' && value === '?') return `${echo}*LTIM=${this.model.lampHours()}#\r`;
    if (key === 'sour') {
      if (state !== 'on') return `${echo}*Block item#\r`;
      if (value === '?') return `${echo}*SOUR=${this.source.toUpperCase()}#\r`;
      this.source = value;
      return `${echo}*SOUR=${value.toUpperCase()}#\r`;
    }
    return `${echo}*Unsupported item#\r`;
  }

  private optoma(line: string): string {
    const m = /^~(\d{2})(\d{2,3}) (\d+)$/.exec(line);
    if (!m) return 'F';
    const [, , cmd, value] = m as unknown as [string, string, string, string];
    const state = this.model.state();
    switch (cmd) {
      case '00':
        return this.model.power(value !== '0') ? 'P' : 'F';
      case '124':
        return `OK${state === 'on' || state === 'warming' ? 1 : 0}\r`;
      case '108':
        return `OK${String(this.model.lampHours()).padStart(4, '0')}\r`;
      case '12':
        if (state !== 'on') return 'F';
        this.source = value;
        return 'P';
      default:
        return 'F';
    }
  }
}
