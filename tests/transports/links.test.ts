import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReconnectingLink } from '../../src/transports/reconnecting-link.js';
import { SerialLink } from '../../src/transports/serial.js';
import { TcpLink } from '../../src/transports/tcp.js';
import { freePort, waitUntil } from '../helpers/net.js';
import { createPtyPair } from '../helpers/pty.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('transports', () => {
  it('serial: bytes both ways over a real pty, 8N1 at 9600 as configured', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    const a = new SerialLink({ path: pty.a, baudRate: 9600 });
    const b = new SerialLink({ path: pty.b, baudRate: 9600 });
    const got: Buffer[] = [];
    b.onData((c) => got.push(c));
    await a.open();
    await b.open();
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    await a.write(Buffer.from([0x81, 0x01, 0x06, 0x04, 0xff]));
    await waitUntil(() => Buffer.concat(got).length === 5, 'bytes at the other end');
    expect(Buffer.concat(got).toString('hex')).toBe('81010604ff');
  });

  it('serial rs485 on a port without RTS: a clear error at open, not a silent half-working link', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    const link = new SerialLink({ path: pty.a, baudRate: 9600, rs485: true });
    await expect(link.open()).rejects.toThrow(/rs485: .* has no RTS line/);
  });

  it('reconnecting link: down while the host is away, up by itself with backoff when it comes back', async () => {
    const port = await freePort();
    const link = new ReconnectingLink(() => new TcpLink('127.0.0.1', port, 500), `127.0.0.1:${port}`, {
      initialDelayMs: 20,
      maxDelayMs: 100,
    });
    const statuses: boolean[] = [];
    link.onStatus((s) => statuses.push(s.up));
    await link.start();
    cleanups.push(() => link.stop());
    expect(link.isUp).toBe(false);
    expect(link.downReason).toMatch(/ECONNREFUSED/);
    await expect(link.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'device_unavailable' });
    const received: string[] = [];
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      s.on('data', (d) => received.push(d.toString()));
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    });
    await waitUntil(() => link.isUp, 'link up', 3000);
    await link.write(Buffer.from('hello'));
    await waitUntil(() => received.join('') === 'hello', 'bytes at the server');
    expect(statuses).toEqual([true]);
    await link.stop();
  });
});
