// What `npm run test:arm64` proves inside the emulated arm64 board (firmware-scripts/arm64-board.sh
// builds it and runs this with the board's root): the README's commands work there, with addons built
// for arm64. Exits 1 with what failed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startMosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt } from '../helpers/mqtt-watch.js';
import { probe } from '../helpers/media.js';
import { sleep, waitUntil } from '../helpers/net.js';

const BOARD = process.argv[2] ?? '';
const RUN = fileURLToPath(new URL('../../firmware-scripts/arm64-run.sh', import.meta.url));
const APP = '/opt/classbox';
const failures: string[] = [];
const started = Date.now();

/** A process inside the board, from the project's folder there (arm64 through qemu). */
function boardProcess(args: string[]) {
  const child = spawn('bash', [RUN, BOARD, ...args], {
    env: { PATH: process.env.PATH, BOARD_WORKDIR: APP },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/** A command inside the board, to its end. */
function inBoard(args: string[], timeoutMs = 600_000): Promise<{ code: number | null; out: string }> {
  const { child, output } = boardProcess(args);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out: output() });
    });
  });
}

function check(ok: boolean, what: string, detail = ''): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok || !detail ? '' : `\n${detail.slice(-2000)}`}`);
  if (!ok) failures.push(what);
}

const arch = await inBoard(['node', '-p', 'process.arch + " " + process.version']);
check(arch.out.trim().startsWith('arm64 v20'), `Node in the board is arm64 Node 20 (${arch.out.trim()})`, arch.out);
const addon = await inBoard([
  'node',
  '-e',
  "require('gstreamer-superficial'); require('better-sqlite3'); require('@serialport/bindings-cpp'); console.log('loaded')",
]);
check(addon.out.includes('loaded'), 'the native addons load on arm64 (GStreamer binding, SQLite, serial port)', addon.out);

for (const example of ['classroom.yaml', 'receiving-classroom.yaml', 'demo.yaml']) {
  const r = await inBoard(['node', 'bin/classbox.js', 'check', '--config', `examples/${example}`]);
  check(r.code === 0, `classbox check examples/${example}`, r.out);
}
const pipeline = await inBoard(['node', 'bin/classbox.js', 'pipeline', '--config', 'examples/classroom.yaml']);
check(pipeline.code === 0 && pipeline.out.includes('gst-launch-1.0'), 'classbox pipeline examples/classroom.yaml', pipeline.out);
const doctor = await inBoard(['node', 'bin/classbox.js', 'doctor']);
// No camera or board model in the emulator: problems are expected (exit 1), a crash is not.
check(
  (doctor.code === 0 || doctor.code === 1) && /GStreamer 1\.22/.test(doctor.out),
  'classbox doctor runs and finds GStreamer 1.22',
  doctor.out,
);
console.log(doctor.out.split('\n').slice(0, 30).join('\n'));

// A recorded class of 10 s from two test pictures at 320x240, started and stopped over MQTT as the
// centre does, read back by ffprobe.
const broker = await startMosquitto();
const watch = await watchMqtt(broker.url, 'classbox/arm/#');
const rec = join(BOARD, 'tmp/arm-recordings');
// The board is kept between runs: a run stopped midway left its class running in the box's data (the
// next run's class/start was refused, "class is running since...") and its segments among the new.
for (const dir of [rec, join(BOARD, 'tmp/arm-data')]) rmSync(dir, { recursive: true, force: true });
mkdirSync(rec, { recursive: true });
writeFileSync(
  join(BOARD, 'tmp/arm.yaml'),
  stringify({
    site: 'arm',
    room: 'board',
    profile: 'software',
    dataDir: '/tmp/arm-data',
    mqtt: { url: broker.url },
    video: { width: 320, height: 240, fps: 15, bitrateKbps: 300 },
    sources: { teacher: { kind: 'test', pattern: 'ball' }, board: { kind: 'test', pattern: 'smpte' } },
    layout: 'side-by-side',
    outputs: [{ name: 'archive', kind: 'record', dir: '/tmp/arm-recordings', segmentS: 10 }],
  }),
);
const { child: box, output: boxOutput } = boardProcess(['node', 'bin/classbox.js', 'run', '--config', '/tmp/arm.yaml']);
try {
  const exited = new Promise<never>((_, reject) => box.once('exit', (code) => reject(new Error(`the box exited (${code})`))));
  // Stopped at the end on purpose: only a wait it loses to matters.
  exited.catch(() => undefined);
  await Promise.race([watch.waitFor('classbox/arm/board/availability', (p) => p === 'online', 300_000), exited]);
  const ask = requester(watch, 'classbox/arm/board', 120_000);
  const start = await ask('class/start', { mode: 'recorded', name: 'Arm' });
  check(start.status === 'ok', 'a recorded class starts on the board', JSON.stringify(start));
  await sleep(12_000);
  const stop = await ask('class/stop');
  check(stop.status === 'ok', 'the class stops', JSON.stringify(stop));
  await waitUntil(() => readdirSync(rec).some((f) => f.endsWith('.mkv') || f.endsWith('.mp4')), 'segments', 60_000);
  await sleep(5000);
  const files = readdirSync(rec).filter((f) => /\.(mkv|mp4)$/.test(f));
  let seconds = 0;
  let size = '';
  for (const f of files) {
    const p = await probe(join(rec, f));
    seconds += p.durationS;
    size = `${p.width}x${p.height}`;
  }
  check(
    seconds >= 8 && size === '320x240',
    `the recording reads back in ffprobe: ${files.length} files, ${seconds.toFixed(1)} s at ${size}`,
    boxOutput(),
  );
} catch (err) {
  check(false, `the recorded class: ${(err as Error).message}`, boxOutput());
} finally {
  box.kill('SIGTERM');
  await sleep(3000);
  box.kill('SIGKILL');
  await watch.close();
  await broker.stop();
}

console.log(
  `\n${failures.length === 0 ? 'arm64 board: all checks passed' : `arm64 board: ${failures.length} failed`} (${Math.round((Date.now() - started) / 1000)} s)`,
);
if (!existsSync(BOARD)) console.log(`no board at ${BOARD}`);
process.exit(failures.length === 0 ? 0 : 1);
