import { describe, expect, it } from 'vitest';
import {
  ADDRESS_SET,
  IF_CLEAR_BROADCAST,
  ViscaFramer,
  decodeReply,
  encodeCancel,
  encodeCommand,
  encodeInquiry,
  fromNibbles,
  inquiryAnswers,
} from '../../src/protocols/visca/codec.js';

const hex = (b: Buffer) => b.toString('hex').replace(/(..)/g, '$1 ').trim().toUpperCase();

// Byte vectors from the Sony tables (shared/reference/protocols.md §1): x = address.
describe('VISCA codec: commands (byte vectors)', () => {
  const cases: Array<[string, Parameters<typeof encodeCommand>, string]> = [
    ['power on, camera 1', [1, { kind: 'power', on: true }], '81 01 04 00 02 FF'],
    ['power standby, camera 2', [2, { kind: 'power', on: false }], '82 01 04 00 03 FF'],
    ['zoom stop', [1, { kind: 'zoom', direction: 'stop' }], '81 01 04 07 00 FF'],
    ['zoom tele', [1, { kind: 'zoom', direction: 'in' }], '81 01 04 07 02 FF'],
    ['zoom wide', [1, { kind: 'zoom', direction: 'out' }], '81 01 04 07 03 FF'],
    ['zoom tele variable p=5', [1, { kind: 'zoom', direction: 'in', speed: 5 }], '81 01 04 07 25 FF'],
    ['zoom wide variable p=7', [1, { kind: 'zoom', direction: 'out', speed: 9 }], '81 01 04 07 37 FF'],
    ['zoom direct 0x4000', [1, { kind: 'zoomTo', position: 0x4000 }], '81 01 04 47 04 00 00 00 FF'],
    ['up', [1, { kind: 'panTilt', direction: 'up', panSpeed: 0x10, tiltSpeed: 0x0a }], '81 01 06 01 10 0A 03 01 FF'],
    ['down', [1, { kind: 'panTilt', direction: 'down', panSpeed: 1, tiltSpeed: 1 }], '81 01 06 01 01 01 03 02 FF'],
    ['left', [1, { kind: 'panTilt', direction: 'left', panSpeed: 0x18, tiltSpeed: 0x14 }], '81 01 06 01 18 14 01 03 FF'],
    ['right', [3, { kind: 'panTilt', direction: 'right', panSpeed: 5, tiltSpeed: 5 }], '83 01 06 01 05 05 02 03 FF'],
    ['upleft', [1, { kind: 'panTilt', direction: 'upleft', panSpeed: 5, tiltSpeed: 5 }], '81 01 06 01 05 05 01 01 FF'],
    ['upright', [1, { kind: 'panTilt', direction: 'upright', panSpeed: 5, tiltSpeed: 5 }], '81 01 06 01 05 05 02 01 FF'],
    ['downleft', [1, { kind: 'panTilt', direction: 'downleft', panSpeed: 5, tiltSpeed: 5 }], '81 01 06 01 05 05 01 02 FF'],
    ['downright', [1, { kind: 'panTilt', direction: 'downright', panSpeed: 5, tiltSpeed: 5 }], '81 01 06 01 05 05 02 02 FF'],
    ['stop', [1, { kind: 'panTilt', direction: 'stop', panSpeed: 1, tiltSpeed: 1 }], '81 01 06 01 01 01 03 03 FF'],
    [
      'speeds clamped to the camera range',
      [1, { kind: 'panTilt', direction: 'left', panSpeed: 99, tiltSpeed: 0 }],
      '81 01 06 01 18 01 01 03 FF',
    ],
    ['home', [1, { kind: 'home' }], '81 01 06 04 FF'],
    ['memory reset 3', [1, { kind: 'preset', action: 'reset', number: 3 }], '81 01 04 3F 00 03 FF'],
    ['memory set 1', [1, { kind: 'preset', action: 'save', number: 1 }], '81 01 04 3F 01 01 FF'],
    ['memory recall 15', [7, { kind: 'preset', action: 'recall', number: 15 }], '87 01 04 3F 02 0F FF'],
    ['memory recall 100 (brands with a full byte)', [1, { kind: 'preset', action: 'recall', number: 100 }], '81 01 04 3F 02 64 FF'],
  ];
  it.each(cases)('%s', (_name, args, expected) => {
    expect(hex(encodeCommand(...args))).toBe(expected);
  });

  it('refuses addresses outside 1-7 and presets that would contain FF', () => {
    expect(() => encodeCommand(0, { kind: 'home' })).toThrow(RangeError);
    expect(() => encodeCommand(8, { kind: 'home' })).toThrow(RangeError);
    expect(() => encodeCommand(1, { kind: 'preset', action: 'recall', number: 255 })).toThrow(RangeError);
  });

  it('inquiries, init and cancel', () => {
    expect(hex(encodeInquiry(1, 'power'))).toBe('81 09 04 00 FF');
    expect(hex(encodeInquiry(1, 'zoomPosition'))).toBe('81 09 04 47 FF');
    expect(hex(encodeInquiry(2, 'panTiltPosition'))).toBe('82 09 06 12 FF');
    expect(hex(encodeInquiry(1, 'version'))).toBe('81 09 00 02 FF');
    expect(hex(ADDRESS_SET)).toBe('88 30 01 FF');
    expect(hex(IF_CLEAR_BROADCAST)).toBe('88 01 00 01 FF');
    expect(hex(encodeCancel(1, 2))).toBe('81 22 FF');
  });
});

describe('VISCA codec: replies', () => {
  const b = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');
  it('decodes ACK, Completion and every error of the table', () => {
    expect(decodeReply(b('90 41 FF'))).toEqual({ kind: 'ack', from: 1, socket: 1 });
    expect(decodeReply(b('A0 52 FF'))).toMatchObject({ kind: 'completion', from: 2, socket: 2 });
    expect(decodeReply(b('90 50 02 FF'))).toMatchObject({ kind: 'completion', from: 1, socket: 0, data: b('02') });
    expect(decodeReply(b('90 61 01 FF'))).toMatchObject({ kind: 'error', socket: 1, code: 1, message: 'message length error' });
    expect(decodeReply(b('90 60 02 FF'))).toMatchObject({ kind: 'error', socket: 0, code: 2, message: 'syntax error' });
    expect(decodeReply(b('90 60 03 FF'))).toMatchObject({ kind: 'error', code: 3, message: 'command buffer full' });
    expect(decodeReply(b('90 62 04 FF'))).toMatchObject({ kind: 'error', socket: 2, code: 4, message: 'command cancelled' });
    expect(decodeReply(b('90 61 05 FF'))).toMatchObject({ kind: 'error', code: 5 });
    expect(decodeReply(b('F0 61 41 FF'))).toMatchObject({ kind: 'error', from: 7, code: 0x41, message: 'command not executable' });
    expect(decodeReply(b('88 30 02 FF'))).toEqual({ kind: 'addressSet', next: 2 });
    expect(decodeReply(b('88 01 00 01 FF'))).toEqual({ kind: 'ifClear' });
    expect(decodeReply(b('90 38 FF'))).toEqual({ kind: 'networkChange', from: 1 });
    expect(decodeReply(b('81 01 FF')).kind).toBe('unknown');
  });

  it('decodes inquiry answers (signed nibbles: F670 -> -2448)', () => {
    expect(fromNibbles([0x0f, 0x06, 0x07, 0x00])).toBe(-2448);
    expect(inquiryAnswers.power(b('02'))).toBe('on');
    expect(inquiryAnswers.power(b('03'))).toBe('standby');
    expect(inquiryAnswers.zoomPosition(b('01 02 03 04'))).toBe(0x1234);
    expect(inquiryAnswers.panTiltPosition(b('0F 06 07 00 00 00 01 00'))).toEqual({ pan: -2448, tilt: 16 });
    expect(inquiryAnswers.panTiltPosition(b('01'))).toBeUndefined();
  });

  it('frames split chunks and resyncs after garbage and overlong runs', () => {
    const f = new ViscaFramer();
    expect(f.push(b('00 12 90'))).toEqual([]);
    expect(f.push(b('41'))).toEqual([]);
    expect(f.push(b('FF 90 51 FF'))).toEqual([b('90 41 FF'), b('90 51 FF')]);
    // 20 bytes with no terminator: dropped, and the next good frame still comes through.
    expect(f.push(Buffer.alloc(20, 0x90))).toEqual([]);
    expect(f.push(b('FF FF 90 42 FF'))).toEqual([b('90 42 FF')]);
    // A reply cut short by a new header: the new one wins.
    expect(f.push(b('90 50 00 01 90 51 FF'))).toEqual([b('90 51 FF')]);
    // Commands carry full-byte preset numbers: no restart inside a frame in that direction.
    expect(new ViscaFramer('commands').push(b('81 01 04 3F 02 C8 FF'))).toEqual([b('81 01 04 3F 02 C8 FF')]);
  });
});
