import { LineFramer } from '../protocols/line-framer.js';
import { ProjectorModel, type ProjectorModelOptions } from './projector-model.js';
import { SerialSim } from './serial-sim.js';

const PWR: Record<string, string> = { standby: '04', on: '01', warming: '02', cooling: '03' };

/**
 * An Epson projector speaking ESC/VP21 on a serial line: the ':' prompt after every command, `ERR`
 * for what it cannot do now (anything but power on in standby; power while warming or cooling).
 */
export class EpsonProjectorSim extends SerialSim {
  private readonly framer = new LineFramer('\r');
  readonly model: ProjectorModel;
  readonly commands: string[] = [];
  source = '30';
  muted = false;

  constructor(path: string, options: ProjectorModelOptions = {}, baudRate = 9600) {
    super(path, baudRate);
    this.model = new ProjectorModel(options);
  }

  protected onBytes(chunk: Buffer): void {
    for (const line of this.framer.push(chunk)) {
      const command = line.trim();
      if (command) this.commands.push(command);
      this.send(`${this.answer(command)}:`);
    }
  }

  private answer(command: string): string {
    const state = this.model.state();
    if (command === '') return '';
    if (command === 'PWR?') return `PWR=${PWR[state]}\r`;
    if (command === 'PWR ON') return this.model.power(true) ? '' : 'ERR\r';
    if (command === 'PWR OFF') return this.model.power(false) ? '' : 'ERR\r';
    if (command === 'LAMP?') return `LAMP=${this.model.lampHours()}\r`;
    if (state !== 'on') return 'ERR\r';
    if (command === 'SOURCE?') return `SOURCE=${this.source}\r`;
    if (command === 'MUTE ON' || command === 'MUTE OFF') {
      this.muted = command === 'MUTE ON';
      return '';
    }
    const source = /^SOURCE ([0-9A-F]{2})$/.exec(command);
    if (source) {
      this.source = source[1]!;
      return '';
    }
    return 'ERR\r';
  }
}
