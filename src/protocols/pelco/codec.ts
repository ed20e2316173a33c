/**
 * Pelco-D (7 bytes: FF, address, cmd1, cmd2, data1, data2, sum of bytes 2-6 mod 256) and Pelco-P
 * (8 bytes: A0, address, data1-4, AF, XOR of bytes 1-7). Pure. Facts: shared/reference/protocols.md §2.
 * Speeds 0x00-0x3F: turbo values differ between references, so they are never sent.
 */
import type { PanTiltDirection } from '../ptz.js';

export const SPEED_MAX = 0x3f;

export type PelcoCommand =
  | { kind: 'panTilt'; direction: PanTiltDirection | 'stop'; panSpeed: number; tiltSpeed: number }
  | { kind: 'zoom'; direction: 'in' | 'out' | 'stop' }
  | { kind: 'preset'; action: 'save' | 'recall' | 'clear'; number: number };

export type PelcoVariant = 'pelco-d' | 'pelco-p';

/** Pelco-D cmd2 bits: up 08, down 10, left 04, right 02; zoom tele 20, wide 40. Pelco-P's data2 uses the same bits. */
const D_BITS: Record<PanTiltDirection | 'stop', number> = {
  up: 0x08,
  down: 0x10,
  left: 0x04,
  right: 0x02,
  upleft: 0x0c,
  upright: 0x0a,
  downleft: 0x14,
  downright: 0x12,
  stop: 0x00,
};
/** Extended commands (cmd1 00, data1 00, data2 = preset): set 03, clear 05, go to 07. */
const PRESET_OPCODE = { save: 0x03, clear: 0x05, recall: 0x07 } as const;

function speed(v: number): number {
  return Math.min(SPEED_MAX, Math.max(0, Math.round(v)));
}

/** The four payload bytes, shared by both variants (their bit layouts agree for these commands). */
function payload(command: PelcoCommand): [number, number, number, number] {
  switch (command.kind) {
    case 'panTilt': {
      const bits = D_BITS[command.direction];
      const pan = bits & 0x06 ? speed(command.panSpeed) : 0;
      const tilt = bits & 0x18 ? speed(command.tiltSpeed) : 0;
      return [0x00, bits, pan, tilt];
    }
    case 'zoom':
      return [0x00, command.direction === 'in' ? 0x20 : command.direction === 'out' ? 0x40 : 0x00, 0x00, 0x00];
    case 'preset':
      if (!Number.isInteger(command.number) || command.number < 1 || command.number > 0xff)
        throw new RangeError(`Pelco preset must be 1-255, got ${command.number}`);
      return [0x00, PRESET_OPCODE[command.action], 0x00, command.number];
  }
}

export function encodePelcoD(address: number, command: PelcoCommand): Buffer {
  if (!Number.isInteger(address) || address < 0 || address > 0xff) throw new RangeError(`Pelco-D address must be 0-255, got ${address}`);
  const body = [address, ...payload(command)];
  const sum = body.reduce((a, b) => a + b, 0) & 0xff;
  return Buffer.from([0xff, ...body, sum]);
}

export function encodePelcoP(address: number, command: PelcoCommand): Buffer {
  if (!Number.isInteger(address) || address < 0 || address > 0xff) throw new RangeError(`Pelco-P address must be 0-255, got ${address}`);
  const bytes = [0xa0, address, ...payload(command), 0xaf];
  const xor = bytes.reduce((a, b) => a ^ b, 0);
  return Buffer.from([...bytes, xor]);
}

export function encodePelco(variant: PelcoVariant, address: number, command: PelcoCommand): Buffer {
  return variant === 'pelco-d' ? encodePelcoD(address, command) : encodePelcoP(address, command);
}

export interface PelcoFrame {
  variant: PelcoVariant;
  address: number;
  /** cmd1/cmd2/data1/data2 (D) or data1-4 (P). */
  bytes: [number, number, number, number];
}

/**
 * Finds valid frames of either variant in a byte stream (a camera's replies, or a simulator's input).
 * A frame whose checksum fails is skipped one byte at a time, so line noise costs at most one frame.
 */
export class PelcoFramer {
  private buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): PelcoFrame[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const frames: PelcoFrame[] = [];
    let i = 0;
    while (i < this.buffer.length) {
      const b = this.buffer[i]!;
      if (b === 0xff) {
        if (this.buffer.length - i < 7) break;
        const f = this.buffer.subarray(i, i + 7);
        const sum = (f[1]! + f[2]! + f[3]! + f[4]! + f[5]!) & 0xff;
        if (sum === f[6]) {
          frames.push({ variant: 'pelco-d', address: f[1]!, bytes: [f[2]!, f[3]!, f[4]!, f[5]!] });
          i += 7;
          continue;
        }
      } else if (b === 0xa0) {
        if (this.buffer.length - i < 8) break;
        const f = this.buffer.subarray(i, i + 8);
        const xor = f.subarray(0, 7).reduce((a, x) => a ^ x, 0);
        if (f[6] === 0xaf && xor === f[7]) {
          frames.push({ variant: 'pelco-p', address: f[1]!, bytes: [f[2]!, f[3]!, f[4]!, f[5]!] });
          i += 8;
          continue;
        }
      }
      i++;
    }
    this.buffer = Buffer.from(this.buffer.subarray(i));
    // Never hold more than a frame's worth of unresolved bytes.
    if (this.buffer.length > 16) this.buffer = Buffer.from(this.buffer.subarray(this.buffer.length - 8));
    return frames;
  }
}
