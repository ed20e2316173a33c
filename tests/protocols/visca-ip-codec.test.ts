import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../src/protocols/visca/codec.js';
import { PAYLOAD, SEQUENCE_MAX, decodeIp, encodeIp, nextSequence, payloadTypeOf } from '../../src/protocols/visca/ip-codec.js';

const hex = (b: Buffer) => b.toString('hex').replace(/(..)/g, '$1 ').trim();

describe('VISCA over IP framing', () => {
  it('wraps a preset recall as the reference computes it (seq 7)', () => {
    const packet = encodeCommand(1, { kind: 'preset', action: 'recall', number: 1 });
    expect(hex(encodeIp(payloadTypeOf(packet), 7, packet))).toBe('01 00 00 07 00 00 00 07 81 01 04 3f 02 01 ff');
  });

  it('types inquiries 01 10 and commands 01 00; RESET is control 02 00 with payload 01', () => {
    expect(payloadTypeOf(Buffer.from([0x81, 0x09, 0x04, 0x00, 0xff]))).toBe(PAYLOAD.inquiry);
    expect(payloadTypeOf(Buffer.from([0x81, 0x01, 0x06, 0x04, 0xff]))).toBe(PAYLOAD.command);
    expect(hex(encodeIp(PAYLOAD.control, 0, Buffer.from([0x01])))).toBe('02 00 00 01 00 00 00 00 01');
  });

  it('decodes replies and refuses what is not a whole message', () => {
    expect(decodeIp(Buffer.from('0111000300000007904fff', 'hex'))).toEqual({
      type: PAYLOAD.reply,
      sequence: 7,
      payload: Buffer.from('904fff', 'hex'),
    });
    expect(decodeIp(Buffer.from('01110003000000', 'hex'))).toBeUndefined(); // header cut short
    expect(decodeIp(Buffer.from('0111000400000007904fff', 'hex'))).toBeUndefined(); // length says 4, 3 follow
    expect(decodeIp(Buffer.from('0111000000000007', 'hex'))).toBeUndefined(); // empty payload
    expect(decodeIp(Buffer.from(`01110011${'00'.repeat(4)}${'00'.repeat(17)}`, 'hex'))).toBeUndefined(); // 17 > 16
  });

  it('refuses payloads and sequence numbers out of range; the sequence wraps to 0', () => {
    expect(() => encodeIp(PAYLOAD.command, 0, Buffer.alloc(17))).toThrow(RangeError);
    expect(() => encodeIp(PAYLOAD.command, -1, Buffer.from([0x01]))).toThrow(RangeError);
    expect(nextSequence(SEQUENCE_MAX)).toBe(0);
    expect(nextSequence(41)).toBe(42);
  });
});
