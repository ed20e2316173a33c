import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseAnswer as parseEpson } from '../../src/protocols/escvp21/codec.js';
import { LineFramer } from '../../src/protocols/line-framer.js';
import { PelcoFramer } from '../../src/protocols/pelco/codec.js';
import { parseAnswer as parsePjlink, parseErrorStatus, parseGreeting, parseLamps } from '../../src/protocols/pjlink/codec.js';
import { ViscaFramer, decodeReply, inquiryAnswers } from '../../src/protocols/visca/codec.js';
import { decodeIp } from '../../src/protocols/visca/ip-codec.js';

const MB = 1024 * 1024;

/** 1 MB of random bytes in random-sized chunks (1-64 bytes, as a UART delivers them). */
function* chunks(seedBytes = randomBytes(MB)): Generator<Buffer> {
  let i = 0;
  while (i < seedBytes.length) {
    const n = 1 + (seedBytes[i]! % 64);
    yield seedBytes.subarray(i, i + n);
    i += n;
  }
}

describe('parsers take 1 MB of random bytes without throwing, and stay bounded', () => {
  it('VISCA over IP datagrams (each chunk one datagram, some with a plausible header)', () => {
    let decoded = 0;
    for (const c of chunks()) {
      // Half the datagrams get a header whose length field matches, so the payload path runs too.
      const datagram =
        c.length > 8 && c[0]! % 2 === 0
          ? Buffer.concat([
              c.subarray(0, 2),
              Buffer.from([0, Math.min(16, c.length - 8)]),
              c.subarray(4, 8),
              c.subarray(8, 8 + Math.min(16, c.length - 8)),
            ])
          : c;
      const m = decodeIp(datagram);
      if (!m) continue;
      decoded++;
      expect(m.payload.length).toBeGreaterThanOrEqual(1);
      expect(m.payload.length).toBeLessThanOrEqual(16);
      decodeReply(m.payload);
    }
    expect(decoded).toBeGreaterThan(0);
  });

  it('VISCA framer and reply decoder (both directions)', () => {
    for (const direction of ['replies', 'commands'] as const) {
      const framer = new ViscaFramer(direction);
      let frames = 0;
      for (const c of chunks()) {
        for (const f of framer.push(c)) {
          frames++;
          expect(f.length).toBeLessThanOrEqual(16);
          expect(f.at(-1)).toBe(0xff);
          const r = decodeReply(f);
          if (r.kind === 'completion') {
            inquiryAnswers.panTiltPosition(r.data);
            inquiryAnswers.zoomPosition(r.data);
          }
        }
      }
      expect(frames).toBeGreaterThan(0);
    }
  });

  it('Pelco framer: only frames with a valid checksum come out', () => {
    const framer = new PelcoFramer();
    for (const c of chunks()) {
      for (const f of framer.push(c)) expect(f.bytes).toHaveLength(4);
    }
  });

  it('line framer and the PJLink / ESC/VP21 answer parsers', () => {
    const framer = new LineFramer('\r:', 512);
    let lines = 0;
    for (const c of chunks()) {
      for (const line of framer.push(c)) {
        lines++;
        expect(line.length).toBeLessThanOrEqual(513);
        parseGreeting(line);
        const a = parsePjlink(line);
        if (a?.ok) {
          parseLamps(a.value);
          parseErrorStatus(a.value);
        }
        parseEpson(line);
      }
    }
    expect(lines).toBeGreaterThan(1000);
  });

  it('a line with no terminator for 1 MB is cut, not grown', () => {
    const framer = new LineFramer('\r', 512);
    for (let i = 0; i < 1024; i++) framer.push(Buffer.alloc(1024, 0x41));
    expect(framer.pending.length).toBe(512);
  });
});
