// CPU of a process and everything below it, read from /proc: what a box (`classbox run` with its
// pipeline processes) or a bare gst-launch-1.0 client costs, in CPU seconds per minute.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../tests/helpers/net.js';

const MEASURE_S = 30;
const SETTLE_S = 10;
const TICKS = 100; // USER_HZ

/** User + system CPU seconds of a process and all its descendants. */
export function cpuSeconds(root: number): number {
  const stat = new Map<number, { ppid: number; ticks: number }>();
  for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const f = readFileSync(`/proc/${e}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      stat.set(Number(e), { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) });
    } catch {
      // gone meanwhile
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, s] of stat)
      if (!tree.has(pid) && tree.has(s.ppid)) {
        tree.add(pid);
        grew = true;
      }
  }
  return [...tree].reduce((n, pid) => n + (stat.get(pid)?.ticks ?? 0), 0) / TICKS;
}

/** CPU seconds per minute of a process and its descendants, measured MEASURE_S after SETTLE_S. */
export async function perMinute(pid: number): Promise<number> {
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const a = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, MEASURE_S * 1000));
  return Math.round(((cpuSeconds(pid) - a) / MEASURE_S) * 60 * 10) / 10;
}

export async function stop(p: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const gone = new Promise((r) => p.once('exit', r));
  p.kill(signal);
  await gone;
}

/**
 * `classbox run` with `room` (a config without its site, data directory, broker and page: a broker
 * nobody answers on and a free port are given), its CPU seconds per minute, then stopped.
 */
export async function boxPerMinute(name: string, room: Record<string, unknown>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const config = join(dir, 'room.yaml');
  writeFileSync(
    config,
    stringify({
      site: 'bench',
      room: name,
      profile: 'software',
      dataDir: join(dir, 'data'),
      mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` },
      http: { host: '127.0.0.1', port: await freePort() },
      ...room,
    }),
  );
  const p = spawn('bin/classbox.js', ['run', '--config', config], { stdio: 'ignore' });
  try {
    return await perMinute(p.pid!);
  } finally {
    await stop(p, 'SIGTERM');
  }
}

/** gst-launch-1.0 with `line`, its CPU seconds per minute, then stopped. */
export async function gstPerMinute(line: string): Promise<number> {
  const p = spawn('gst-launch-1.0', ['-q', ...line.split(' ')], { stdio: 'ignore' });
  try {
    return await perMinute(p.pid!);
  } finally {
    await stop(p, 'SIGINT');
  }
}
