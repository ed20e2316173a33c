// The box between classes, as `classbox run` runs it: how long from the command to a healthy /healthz,
// and how much memory it holds once settled, beside gst-launch-1.0 running the printed line of the
// same room (the media alone).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/load.js';
import { buildGraph } from '../src/media/graph.js';
import { loadBoardProfile } from '../src/media/profiles.js';
import { median, table } from './lib.js';

const SETTLE_S = 20;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** VmRSS and VmHWM of a process, MB. */
function memory(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMB: Math.round(kb('VmRSS') / 1024), peakMB: Math.round(kb('VmHWM') / 1024) };
}

function roomDoc(dir: string, mqttPort: number, httpPort: number): Record<string, unknown> {
  return {
    site: 'bench',
    room: 'idle',
    profile: 'software',
    dataDir: join(dir, 'data'),
    mqtt: { url: `mqtt://127.0.0.1:${mqttPort}` },
    http: { host: '127.0.0.1', port: httpPort },
    video: { width: 1280, height: 720, fps: 30, bitrateKbps: 2500 },
    sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball' }, students: { kind: 'test', pattern: 'pinwheel' } },
    layout: 'pip',
    outputs: [{ name: 'archive', kind: 'record', dir: join(dir, 'rec') }],
  };
}

interface IdleRun {
  healthyMs: number;
  rssMB: number;
  peakMB: number;
  gstRssMB: number;
}

async function once(): Promise<IdleRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-idle-'));
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'm.conf'), `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\n`);
  const broker = spawn('mosquitto', ['-c', join(dir, 'm.conf')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const doc = roomDoc(dir, mqttPort, httpPort);
  writeFileSync(join(dir, 'room.yaml'), stringify(doc));
  const t0 = performance.now();
  // Exactly as a school runs it (`npx classbox run` runs the bin by its first line), no extra environment.
  const box = spawn('bin/classbox.js', ['run', '--config', join(dir, 'room.yaml')], { stdio: 'ignore' });
  let healthyMs = -1;
  while (healthyMs < 0 && performance.now() - t0 < 30_000) {
    const ok = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) healthyMs = Math.round(performance.now() - t0);
    else await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const mem = memory(box.pid!);
  box.kill('SIGTERM');
  await new Promise((r) => box.once('exit', r));
  broker.kill();
  // The media alone: gst-launch-1.0 with the printed line of the same room (without the recording, as between classes).
  const config = loadConfig({ base: { ...doc, outputs: [] }, env: {} });
  const line = buildGraph(config, loadBoardProfile('software'), 'broadcast').printable.replace(
    /^gst-launch-1.0 -e/,
    'gst-launch-1.0 -q -e',
  );
  const gst = spawn('sh', ['-c', `exec ${line}`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const gstMem = memory(gst.pid!);
  gst.kill('SIGINT');
  await new Promise((r) => gst.once('exit', r));
  return { healthyMs, ...mem, gstRssMB: gstMem.rssMB };
}

export async function idle(runs: number): Promise<void> {
  const results: IdleRun[] = [];
  for (let i = 0; i < runs; i++) results.push(await once());
  const m = (k: keyof IdleRun) => median(results.map((r) => r[k]));
  console.log(
    `\n### The box between classes: \`classbox run\`, 720p30 room of three test sources, ${SETTLE_S} s settled (median of ${runs})\n`,
  );
  console.log(
    table([
      { measure: 'command to /healthz 200, ms', classbox: m('healthyMs'), 'goal / reference': '< 2000' },
      { measure: 'RSS settled, MB', classbox: m('rssMB'), 'goal / reference': `< 200; gst-launch of the printed line: ${m('gstRssMB')}` },
      { measure: 'peak RSS, MB', classbox: m('peakMB'), 'goal / reference': '' },
    ]),
  );
}
