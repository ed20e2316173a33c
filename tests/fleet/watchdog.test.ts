import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemdWatchdog } from '../../src/fleet/watchdog.js';
import { waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';

/** A real notify socket (a unix datagram socket, as systemd's) that records what it is told. */
function notifySocket(path: string): { child: ChildProcess; messages: string[] } {
  const messages: string[] = [];
  const child = spawn(
    'python3',
    [
      '-u',
      '-c',
      `import socket,sys\ns=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint('ready', flush=True)\nwhile True:\n  print(s.recv(4096).decode().strip(), flush=True)`,
      path,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  child.stdout.on('data', (d: Buffer) => messages.push(...d.toString().split('\n').filter(Boolean)));
  return { child, messages };
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});

describe('systemd watchdog', () => {
  it('says READY=1, pings WATCHDOG=1 while healthy, stops pinging when not', async () => {
    const path = join(tempDir(), 'notify.sock');
    const sock = notifySocket(path);
    children.push(sock.child);
    await waitUntil(() => sock.messages.includes('ready') && existsSync(path), 'notify socket');
    let healthy = true;
    const w = new SystemdWatchdog(pino({ level: 'silent' }), () => healthy, {
      ...process.env,
      NOTIFY_SOCKET: path,
      WATCHDOG_USEC: '400000',
    });
    await w.start();
    await waitUntil(() => sock.messages.filter((m) => m === 'WATCHDOG=1').length >= 3, 'three pings', 5000);
    expect(sock.messages.indexOf('READY=1')).toBeGreaterThan(0);
    expect(sock.messages.indexOf('READY=1')).toBeLessThan(sock.messages.indexOf('WATCHDOG=1'));
    healthy = false;
    await new Promise((r) => setTimeout(r, 300));
    const pings = sock.messages.filter((m) => m === 'WATCHDOG=1').length;
    await new Promise((r) => setTimeout(r, 800));
    expect(sock.messages.filter((m) => m === 'WATCHDOG=1').length).toBe(pings);
    await w.stop();
    await waitUntil(() => sock.messages.includes('STOPPING=1'), 'STOPPING=1');
  });

  it('does nothing outside systemd', async () => {
    const w = new SystemdWatchdog(pino({ level: 'silent' }), () => true, {});
    await w.start();
    await w.stop();
  });
});
