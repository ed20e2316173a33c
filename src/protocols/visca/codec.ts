/**
 * Sony VISCA, pure: commands to bytes and reply frames to meaning. No I/O, no timers.
 * Facts (shared/reference/protocols.md §1): header 0x80 | address (1-7), 0x88 broadcast; byte 2 is 01
 * for commands and 09 for inquiries; every packet ends at 0xFF and data bytes never contain it;
 * replies come from 0x80 | (address + 8) << 4 ... i.e. 0x90 for camera 1.
 */

import type { PanTiltDirection } from '../ptz.js';

export const TERMINATOR = 0xff;
export const MAX_PACKET = 16;

/** Pan speed 0x01-0x18, tilt 0x01-0x14 on most cameras (the Sony SRG-X400 goes to 0x17). */
export const PAN_SPEED_MAX = 0x18;
export const TILT_SPEED_MAX = 0x14;

export type ViscaCommand =
  | { kind: 'power'; on: boolean }
  | { kind: 'zoom'; direction: 'in' | 'out' | 'stop'; speed?: number }
  | { kind: 'zoomTo'; position: number }
  | { kind: 'panTilt'; direction: PanTiltDirection | 'stop'; panSpeed: number; tiltSpeed: number }
  | { kind: 'home' }
  | { kind: 'preset'; action: 'reset' | 'save' | 'recall'; number: number };

export type ViscaInquiry = 'power' | 'zoomPosition' | 'panTiltPosition' | 'focusMode' | 'version';

function check(address: number): void {
  if (!Number.isInteger(address) || address < 1 || address > 7) throw new RangeError(`VISCA address must be 1-7, got ${address}`);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(value)));
}

/** 16-bit value as four nibble bytes (0p 0q 0r 0s). */
export function nibbles(value: number): number[] {
  const v = value & 0xffff;
  return [(v >> 12) & 0xf, (v >> 8) & 0xf, (v >> 4) & 0xf, v & 0xf];
}

/** Four nibble bytes back to a signed 16-bit value (F670 -> -2448). */
export function fromNibbles(bytes: ArrayLike<number>, offset = 0): number {
  const v =
    ((bytes[offset]! & 0xf) << 12) | ((bytes[offset + 1]! & 0xf) << 8) | ((bytes[offset + 2]! & 0xf) << 4) | (bytes[offset + 3]! & 0xf);
  return v >= 0x8000 ? v - 0x10000 : v;
}

const PAN_TILT: Record<PanTiltDirection | 'stop', [number, number]> = {
  up: [0x03, 0x01],
  down: [0x03, 0x02],
  left: [0x01, 0x03],
  right: [0x02, 0x03],
  upleft: [0x01, 0x01],
  upright: [0x02, 0x01],
  downleft: [0x01, 0x02],
  downright: [0x02, 0x02],
  stop: [0x03, 0x03],
};

export function encodeCommand(address: number, command: ViscaCommand): Buffer {
  check(address);
  const head = [0x80 | address, 0x01];
  let body: number[];
  switch (command.kind) {
    case 'power':
      body = [0x04, 0x00, command.on ? 0x02 : 0x03];
      break;
    case 'zoom':
      if (command.direction === 'stop') body = [0x04, 0x07, 0x00];
      else if (command.speed === undefined) body = [0x04, 0x07, command.direction === 'in' ? 0x02 : 0x03];
      else body = [0x04, 0x07, (command.direction === 'in' ? 0x20 : 0x30) | clamp(command.speed, 0, 7)];
      break;
    case 'zoomTo':
      body = [0x04, 0x47, ...nibbles(clamp(command.position, 0, 0xffff))];
      break;
    case 'panTilt': {
      const [h, v] = PAN_TILT[command.direction];
      body = [0x06, 0x01, clamp(command.panSpeed, 1, PAN_SPEED_MAX), clamp(command.tiltSpeed, 1, TILT_SPEED_MAX), h, v];
      break;
    }
    case 'home':
      body = [0x06, 0x04];
      break;
    case 'preset': {
      if (!Number.isInteger(command.number) || command.number < 0 || command.number > 0xfe)
        throw new RangeError(`VISCA preset must be 0-254, got ${command.number}`);
      body = [0x04, 0x3f, { reset: 0x00, save: 0x01, recall: 0x02 }[command.action], command.number];
      break;
    }
  }
  return Buffer.from([...head, ...body, TERMINATOR]);
}

const INQUIRIES: Record<ViscaInquiry, number[]> = {
  power: [0x04, 0x00],
  zoomPosition: [0x04, 0x47],
  panTiltPosition: [0x06, 0x12],
  focusMode: [0x04, 0x38],
  version: [0x00, 0x02],
};

export function encodeInquiry(address: number, inquiry: ViscaInquiry): Buffer {
  check(address);
  return Buffer.from([0x80 | address, 0x09, ...INQUIRIES[inquiry], TERMINATOR]);
}

/** Broadcast Address Set: the first camera takes address 1 and passes 2 down the chain. */
export const ADDRESS_SET = Buffer.from([0x88, 0x30, 0x01, 0xff]);
/** Broadcast IF_Clear: empties every camera's command buffers. */
export const IF_CLEAR_BROADCAST = Buffer.from([0x88, 0x01, 0x00, 0x01, 0xff]);

export function encodeCancel(address: number, socket: number): Buffer {
  check(address);
  return Buffer.from([0x80 | address, 0x20 | (socket & 0x0f), TERMINATOR]);
}

/** VISCA error codes in `z0 6y ee FF`. */
export const ERRORS = {
  0x01: 'message length error',
  0x02: 'syntax error',
  0x03: 'command buffer full',
  0x04: 'command cancelled',
  0x05: 'no socket (to be cancelled)',
  0x41: 'command not executable',
} as const satisfies Record<number, string>;

export type ViscaReply =
  | { kind: 'ack'; from: number; socket: number }
  | { kind: 'completion'; from: number; socket: number; data: Buffer }
  | { kind: 'error'; from: number; socket: number; code: number; message: string }
  | { kind: 'addressSet'; next: number }
  | { kind: 'ifClear' }
  | { kind: 'networkChange'; from: number }
  | { kind: 'unknown'; frame: Buffer };

/** Meaning of one frame (bytes up to and including 0xFF). Never throws: odd frames are `unknown`. */
export function decodeReply(frame: Buffer): ViscaReply {
  const b0 = frame[0] ?? 0;
  const b1 = frame[1] ?? 0;
  if (b0 === 0x88 && b1 === 0x30 && frame.length === 4) return { kind: 'addressSet', next: frame[2]! };
  if (frame.equals(IF_CLEAR_BROADCAST)) return { kind: 'ifClear' };
  // Replies: 0x80 | (sender + 8) << 4 with sender 1-7, receiver 0 (the controller): 0x90..0xF0.
  if ((b0 & 0x8f) !== 0x80 || b0 < 0x90) return { kind: 'unknown', frame };
  const from = ((b0 >> 4) & 0x0f) - 8;
  const socket = b1 & 0x0f;
  switch (b1 & 0xf0) {
    case 0x40:
      if (frame.length === 3) return { kind: 'ack', from, socket };
      break;
    case 0x50:
      return { kind: 'completion', from, socket, data: frame.subarray(2, frame.length - 1) };
    case 0x60:
      if (frame.length === 4) {
        const code = frame[2]!;
        return {
          kind: 'error',
          from,
          socket,
          code,
          message: ERRORS[code as keyof typeof ERRORS] ?? `error 0x${code.toString(16).padStart(2, '0')}`,
        };
      }
      break;
    case 0x30:
      if (b1 === 0x38 && frame.length === 3) return { kind: 'networkChange', from };
      break;
  }
  return { kind: 'unknown', frame };
}

/**
 * Splits a byte stream into frames at 0xFF. Garbage and split chunks are normal input.
 * `replies`: the camera-to-controller direction, where only a header byte has bit 7 set (data are
 * nibbles and reply codes), so such a byte inside a frame means the frame before it was cut short.
 */
export class ViscaFramer {
  private buffer: number[] = [];

  constructor(private readonly direction: 'replies' | 'commands' = 'replies') {}

  push(chunk: Uint8Array): Buffer[] {
    const frames: Buffer[] = [];
    for (const byte of chunk) {
      if (byte === TERMINATOR) {
        // The shortest packet is three bytes (header, one byte, FF); anything shorter is noise.
        if (this.buffer.length >= 2) frames.push(Buffer.from([...this.buffer, byte]));
        this.buffer = [];
        continue;
      }
      const header = (byte & 0x80) !== 0;
      // A frame starts with a header byte (bit 7 set); anything else before one is line noise.
      if (this.buffer.length === 0 && !header) continue;
      if (header && this.buffer.length > 0 && this.direction === 'replies') this.buffer = [];
      this.buffer.push(byte);
      // Longer than any VISCA packet: resynchronise at the next header.
      if (this.buffer.length >= MAX_PACKET) this.buffer = [];
    }
    return frames;
  }
}

/** Decoders for inquiry completions (`y0 50 <data> FF`). */
export const inquiryAnswers = {
  power: (data: Buffer): 'on' | 'standby' | 'unknown' => (data[0] === 0x02 ? 'on' : data[0] === 0x03 ? 'standby' : 'unknown'),
  zoomPosition: (data: Buffer): number | undefined => (data.length >= 4 ? fromNibbles(data) & 0xffff : undefined),
  panTiltPosition: (data: Buffer): { pan: number; tilt: number } | undefined =>
    data.length >= 8 ? { pan: fromNibbles(data, 0), tilt: fromNibbles(data, 4) } : undefined,
  focusMode: (data: Buffer): 'auto' | 'manual' | 'unknown' => (data[0] === 0x02 ? 'auto' : data[0] === 0x03 ? 'manual' : 'unknown'),
};
