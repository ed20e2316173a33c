// What a second screen costs: `classbox run` (720p30, two test sources, no outputs) with no screen and
// with one screen showing a source (its feed and share in the box, its display sink in a process of its
// own: `sink: none`, so no X server is measured), beside gst-launch-1.0 drawing the same test picture
// into a fakesink (the bare client: what showing a picture costs at least). CPU seconds per minute of
// the box and every process below it, read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../tests/helpers/net.js';
import { median, table } from './lib.js';

const MEASURE_S = 30;
const SETTLE_S = 10;
const TICKS = 100; // USER_HZ

/** User + system CPU seconds of a process and all its descendants. */
function cpuSeconds(root: number): number {
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

async function box(screens: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-screens-'));
  const config = join(dir, 'room.yaml');
  writeFileSync(
    config,
    stringify({
      site: 'bench',
      room: 'screens',
      profile: 'software',
      dataDir: join(dir, 'data'),
      mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` },
      http: { host: '127.0.0.1', port: await freePort() },
      video: { width: 1280, height: 720, fps: 30, bitrateKbps: 2500 },
      audio: { device: 'none' },
      sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball' } },
      ...(screens ? { displays: [{ name: 'side', sink: 'none', shows: 'source:teacher' }] } : {}),
    }),
  );
  const p = spawn('bin/classbox.js', ['run', '--config', config], { stdio: 'ignore' });
  try {
    return await perMinute(p.pid!);
  } finally {
    await stop(p, 'SIGTERM');
  }
}

async function bare(): Promise<number> {
  const p = spawn(
    'gst-launch-1.0',
    [
      '-q',
      'videotestsrc',
      'is-live=true',
      'pattern=ball',
      '!',
      'video/x-raw,format=I420,width=1280,height=720,framerate=30/1',
      '!',
      'fakesink',
    ],
    { stdio: 'ignore' },
  );
  try {
    return await perMinute(p.pid!);
  } finally {
    await stop(p, 'SIGINT');
  }
}

export async function screens(runs: number): Promise<void> {
  const rows = { none: [] as number[], one: [] as number[], bare: [] as number[] };
  for (let i = 0; i < runs; i++) {
    rows.none.push(await box(false));
    rows.one.push(await box(true));
    rows.bare.push(await bare());
  }
  const none = median(rows.none);
  const one = median(rows.one);
  console.log(`\n### A second screen: \`classbox run\` 720p30, CPU seconds per minute (box and its processes; median of ${runs})\n`);
  console.log(
    table([
      { run: 'classbox, no screen', 'CPU s/min': none },
      { run: 'classbox, one screen (source:teacher, sink none)', 'CPU s/min': one },
      { run: 'the screen alone (difference)', 'CPU s/min': Math.round((one - none) * 10) / 10 },
      { run: 'gst-launch-1.0: the test picture into a fakesink (bare client)', 'CPU s/min': median(rows.bare) },
    ]),
  );
}
