import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()));
      cb();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes NDJSON with child bindings per part and device', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, level: 'debug' });
    log.child({ part: 'ptz', device: 'teacher-cam' }).debug({ bytes: '81 01 06 01 FF' }, 'sent');
    expect(lines[0]).toMatchObject({ service: 'classbox', part: 'ptz', device: 'teacher-cam', bytes: '81 01 06 01 FF', msg: 'sent' });
  });

  it('redacts passwords and tokens at any depth config and requests use', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    log.info(
      {
        password: 'a',
        mqtt: { password: 'b', username: 'box' },
        devices: { projectors: { main: { password: 'c' } } },
        http: { token: 'd' },
      },
      'config',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ['"a"', '"b"', '"c"', '"d"']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ mqtt: { password: '[redacted]', username: 'box' }, http: { token: '[redacted]' } });
  });
});
