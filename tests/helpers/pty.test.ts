import { closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPtyPair } from './pty.js';

describe('test harness: socat pty pairs', () => {
  it('carries bytes from one end to the other unchanged (raw, no echo)', async () => {
    const pair = await createPtyPair();
    try {
      const a = openSync(pair.a, 'r+');
      const b = openSync(pair.b, 'r+');
      const bytes = Buffer.from([0x81, 0x01, 0x04, 0x00, 0x02, 0xff, 0x0d, 0x0a]);
      writeSync(a, bytes);
      const got = Buffer.alloc(8);
      let n = 0;
      while (n < 8) n += readSync(b, got, n, 8 - n, null);
      expect(got).toEqual(bytes);
      closeSync(a);
      closeSync(b);
    } finally {
      await pair.close();
    }
  });

  it('leaves nothing behind: a pair that made its own folder removes it on close', async () => {
    const pair = await createPtyPair();
    expect(existsSync(pair.a)).toBe(true);
    await pair.close();
    expect(existsSync(dirname(pair.a))).toBe(false);
  });
});
