import { PelcoFramer, type PelcoFrame } from '../protocols/pelco/codec.js';
import { SerialSim } from './serial-sim.js';

/**
 * A Pelco-D/P camera on a serial line: it checks every frame's checksum, acts on the frames for its
 * address, and (as most domes) answers nothing.
 */
export class PelcoCameraSim extends SerialSim {
  private readonly framer = new PelcoFramer();
  readonly frames: PelcoFrame[] = [];
  readonly presets = new Map<number, { pan: number; tilt: number }>();
  pan = 0;
  tilt = 0;
  motion: { pan: number; tilt: number; zoom: number } = { pan: 0, tilt: 0, zoom: 0 };
  lastRecalled: number | undefined;

  constructor(
    path: string,
    readonly address = 1,
    baudRate = 9600,
  ) {
    super(path, baudRate);
  }

  protected onBytes(chunk: Buffer): void {
    for (const frame of this.framer.push(chunk)) {
      this.frames.push(frame);
      if (frame.address === this.address) this.act(frame);
    }
  }

  private act(f: PelcoFrame): void {
    const [cmd1, cmd2, data1, data2] = f.bytes;
    if (cmd1 === 0 && (cmd2 === 0x03 || cmd2 === 0x05 || cmd2 === 0x07) && data1 === 0) {
      if (cmd2 === 0x03) this.presets.set(data2, { pan: this.pan, tilt: this.tilt });
      if (cmd2 === 0x05) this.presets.delete(data2);
      if (cmd2 === 0x07) {
        this.lastRecalled = data2;
        Object.assign(this, this.presets.get(data2) ?? {});
      }
      return;
    }
    this.motion = {
      pan: cmd2 & 0x02 ? data1 : cmd2 & 0x04 ? -data1 : 0,
      tilt: cmd2 & 0x08 ? data2 : cmd2 & 0x10 ? -data2 : 0,
      zoom: cmd2 & 0x20 ? 1 : cmd2 & 0x40 ? -1 : 0,
    };
  }
}
