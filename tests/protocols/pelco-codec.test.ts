import { describe, expect, it } from 'vitest';
import { PelcoFramer, encodePelcoD, encodePelcoP } from '../../src/protocols/pelco/codec.js';

const hex = (b: Buffer) => b.toString('hex').replace(/(..)/g, '$1 ').trim().toUpperCase();

// Frames computed in shared/reference/protocols.md §2 (zoom and focus match the FLIR manual).
describe('Pelco-D codec (byte vectors)', () => {
  it.each([
    ['stop', { kind: 'panTilt', direction: 'stop', panSpeed: 0x20, tiltSpeed: 0x20 }, 'FF 01 00 00 00 00 01'],
    ['left at 0x20', { kind: 'panTilt', direction: 'left', panSpeed: 0x20, tiltSpeed: 0x20 }, 'FF 01 00 04 20 00 25'],
    ['up at 0x10', { kind: 'panTilt', direction: 'up', panSpeed: 0x20, tiltSpeed: 0x10 }, 'FF 01 00 08 00 10 19'],
    ['downright', { kind: 'panTilt', direction: 'downright', panSpeed: 0x3f, tiltSpeed: 0x3f }, 'FF 01 00 12 3F 3F 91'],
    ['speed capped at 0x3F (no turbo)', { kind: 'panTilt', direction: 'right', panSpeed: 0xff, tiltSpeed: 0 }, 'FF 01 00 02 3F 00 42'],
    ['set preset 1', { kind: 'preset', action: 'save', number: 1 }, 'FF 01 00 03 00 01 05'],
    ['call preset 1', { kind: 'preset', action: 'recall', number: 1 }, 'FF 01 00 07 00 01 09'],
    ['clear preset 1', { kind: 'preset', action: 'clear', number: 1 }, 'FF 01 00 05 00 01 07'],
    ['zoom in', { kind: 'zoom', direction: 'in' }, 'FF 01 00 20 00 00 21'],
    ['zoom out', { kind: 'zoom', direction: 'out' }, 'FF 01 00 40 00 00 41'],
  ] as const)('%s', (_n, command, expected) => {
    expect(hex(encodePelcoD(1, command))).toBe(expected);
  });

  it('checksum wraps mod 256', () => {
    expect(hex(encodePelcoD(0xff, { kind: 'preset', action: 'recall', number: 0xff }))).toBe('FF FF 00 07 00 FF 05');
  });
});

describe('Pelco-P codec', () => {
  it('call preset 1 at address 0 (computed reference frame)', () => {
    expect(hex(encodePelcoP(0, { kind: 'preset', action: 'recall', number: 1 }))).toBe('A0 00 00 07 00 01 AF 09');
  });
  it('pan left at 0x20, address 1', () => {
    const f = encodePelcoP(1, { kind: 'panTilt', direction: 'left', panSpeed: 0x20, tiltSpeed: 0 });
    expect(hex(f)).toBe('A0 01 00 04 20 00 AF 2A');
  });
});

describe('Pelco framer', () => {
  it('finds frames of both variants in noise and split chunks, skipping bad checksums', () => {
    const framer = new PelcoFramer();
    const d = encodePelcoD(3, { kind: 'preset', action: 'recall', number: 2 });
    const p = encodePelcoP(4, { kind: 'zoom', direction: 'in' });
    const bad = Buffer.from(d);
    bad[6] = bad[6]! ^ 1;
    const stream = Buffer.concat([Buffer.from([1, 2, 0xff, 9]), bad, d, Buffer.from([0x55]), p]);
    const got = [...framer.push(stream.subarray(0, 10)), ...framer.push(stream.subarray(10))];
    expect(got).toEqual([
      { variant: 'pelco-d', address: 3, bytes: [0, 7, 0, 2] },
      { variant: 'pelco-p', address: 4, bytes: [0, 0x20, 0, 0] },
    ]);
  });
});
