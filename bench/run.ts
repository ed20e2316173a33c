// The benchmark suite: `npm run bench` (all) or `npm run bench -- composite|layout|live|rtt|devices|fleet|central|preview|idle|lesson|screens|receive`;
// not part of all: the long run, `npm run bench -- soak [minutes]` (default 120), and `npm run bench --
// latency` (camera to screen, on Xvfb screens).
// Results are printed as Markdown tables for docs/benchmarks.md.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { buildGraph } from '../src/media/graph.js';
import { launchString } from '../src/media/launch.js';
import { loadBoardProfile } from '../src/media/profiles.js';
import { compositeJob, ffmpegJob, FPS, FRAMES, H, W } from './composite-job.js';
import { interleave, measure, requireBenchTools, table, type Measured } from './lib.js';
import { liveConfigDoc, type LiveOutputs } from './media-live.js';
import { startNginxRtmp } from '../tests/helpers/nginx-rtmp.js';
import { rtt } from './mqtt-rtt.js';
import { deviceLatency } from './device-latency.js';
import { fleet } from './fleet.js';
import { centralBench } from './central.js';
import { preview } from './preview.js';
import { idle } from './idle.js';
import { soak } from './soak.js';
import { screens } from './screens.js';
import { receive } from './receive.js';
import { latency } from './latency.js';
import { lesson } from './lesson.js';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const which = process.argv[2] ?? 'all';
const dir = mkdtempSync(join(tmpdir(), 'classbox-bench-'));
const tsx = ['--import', 'tsx'];

async function inputs(): Promise<string[]> {
  const patterns = ['testsrc', 'smptebars', 'mandelbrot'];
  return Promise.all(
    patterns.map(async (p, i) => {
      const file = join(dir, `in${i}.mp4`);
      await run('ffmpeg', [
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `${p}=size=${W}x${H}:rate=${FPS}`,
        '-frames:v',
        String(FRAMES),
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        file,
      ]);
      return file;
    }),
  );
}

const ratio = (a: number, b: number) => (a / b).toFixed(2);

async function composite(files: string[]): Promise<void> {
  const tokens = compositeJob(files, join(dir, 'out-classbox.mkv'), 'pads');
  const gstTokens = compositeJob(files, join(dir, 'out-gst.mkv'), 'pads');
  const [classbox, gst, ffmpeg] = (await interleave(RUNS, [
    () => measure(process.execPath, [...tsx, 'bench/job-runner.ts', launchString(tokens)]),
    () => measure('gst-launch-1.0', gstTokens),
    () => measure('ffmpeg', ffmpegJob(files, join(dir, 'out-ffmpeg.mkv'))),
  ])) as [Measured, Measured, Measured];
  console.log(`\n### Composite job: ${FRAMES} frames, ${W}x${H}, three H.264 files -> pip -> x264 ultrafast (median of ${RUNS})\n`);
  console.log(
    table([
      {
        runner: 'classbox (GstRunner in Node)',
        'pipeline s': classbox.pipelineS,
        'process wall s': classbox.wallS,
        'CPU s': classbox.cpuS,
        'peak RSS MB': classbox.maxRssMB,
        'pipeline vs gst-launch': ratio(classbox.pipelineS, gst.pipelineS),
        'process wall vs gst-launch': ratio(classbox.wallS, gst.wallS),
        'CPU vs gst-launch': ratio(classbox.cpuS, gst.cpuS),
      },
      {
        runner: 'gst-launch-1.0 (same line)',
        'pipeline s': gst.pipelineS,
        'process wall s': gst.wallS,
        'CPU s': gst.cpuS,
        'peak RSS MB': gst.maxRssMB,
        'pipeline vs gst-launch': '1.00',
        'process wall vs gst-launch': '1.00',
        'CPU vs gst-launch': '1.00',
      },
      {
        runner: 'ffmpeg -filter_complex',
        'pipeline s': '-',
        'process wall s': ffmpeg.wallS,
        'CPU s': ffmpeg.cpuS,
        'peak RSS MB': ffmpeg.maxRssMB,
        'pipeline vs gst-launch': '-',
        'process wall vs gst-launch': ratio(ffmpeg.wallS, gst.wallS),
        'CPU vs gst-launch': ratio(ffmpeg.cpuS, gst.cpuS),
      },
    ]),
  );
}

async function layout(files: string[]): Promise<void> {
  const [pads, elements] = (await interleave(RUNS, [
    () => measure('gst-launch-1.0', ['-q', ...compositeJob(files, join(dir, 'out-pads.mkv'), 'pads')]),
    () => measure('gst-launch-1.0', ['-q', ...compositeJob(files, join(dir, 'out-elements.mkv'), 'elements')]),
  ])) as [Measured, Measured];
  console.log(`\n### Where the layout lives: the same job with each geometry (gst-launch-1.0, median of ${RUNS})\n`);
  console.log(
    table([
      {
        geometry: 'compositor pad properties (chosen)',
        'wall s': pads.wallS,
        'CPU s': pads.cpuS,
        'CPU per frame ms': ((pads.cpuS / FRAMES) * 1000).toFixed(1),
      },
      {
        geometry: 'element properties (videoscale + capsfilter + videobox, AYUV)',
        'wall s': elements.wallS,
        'CPU s': elements.cpuS,
        'CPU per frame ms': ((elements.cpuS / FRAMES) * 1000).toFixed(1),
      },
    ]),
  );
  console.log(`\nelement geometry costs ${ratio(elements.cpuS, pads.cpuS)}x the CPU of pad geometry`);
}

/** ffmpeg as the far ends of a live room: a receiver calling the box's SRT listener, a centre listening for its caller. */
function farEnds(out: LiveOutputs, seconds: number): ChildProcess[] {
  return [
    spawn(
      'ffmpeg',
      ['-v', 'quiet', '-i', `srt://127.0.0.1:${out.srtCall}?mode=listener`, '-t', String(seconds + 5), '-c', 'copy', '-f', 'null', '-'],
      { stdio: 'ignore' },
    ),
    spawn('sh', ['-c', `sleep 3; exec ffmpeg -v quiet -i 'srt://127.0.0.1:${out.srtListen}?mode=caller' -t ${seconds} -c copy -f null -`], {
      stdio: 'ignore',
    }),
  ];
}

async function live(): Promise<void> {
  const seconds = 20;
  const nginx = await startNginxRtmp();
  const ours: LiveOutputs = { srtListen: 47781, srtCall: 47783, rtmpUrl: nginx.url('live', 'classbox') };
  const ends = farEnds(ours, seconds);
  // The engine turns every output on (nothing else in this process: what the main thread does is the box's).
  const { stdout } = await run(process.execPath, [...tsx, 'bench/media-live.ts', String(seconds), JSON.stringify(ours)]);
  for (const e of ends) e.kill();
  const node = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number> & { outputs: Record<string, string> };
  // gst-launch with the printed line of the same room, for the same time, plus start-up, its far ends the same.
  const theirs: LiveOutputs = { srtListen: 47782, srtCall: 47784, rtmpUrl: nginx.url('live', 'gst') };
  const gstDir = mkdtempSync(join(tmpdir(), 'bench-gst-'));
  const config = loadConfig({ base: liveConfigDoc(gstDir, theirs), env: {} });
  const { mkdirSync } = await import('node:fs');
  for (const o of config.outputs) if (o.kind === 'record' || o.kind === 'hls') mkdirSync(o.dir, { recursive: true });
  const line = buildGraph(config, loadBoardProfile('software'), 'broadcast').printable;
  const gstEnds = farEnds(theirs, seconds);
  const gst = await measure('timeout', [
    '-s',
    'INT',
    String(seconds + 3),
    'sh',
    '-c',
    `exec ${line.replace(/^gst-launch-1.0 -e/, 'gst-launch-1.0 -q -e')}`,
  ]);
  for (const e of gstEnds) e.kill();
  await nginx.stop();
  console.log(
    `\n### Live 720p30 broadcast (three test sources, pip; record, SRT listener and caller, RTMP to nginx, HLS), ${seconds} s steady state\n`,
  );
  console.log(
    table([
      { measure: 'Node main thread busy (event-loop utilisation, % of one core)', classbox: node.mainThreadPercent!, goal: '< 2' },
      { measure: 'event-loop lag p99 / max, ms', classbox: `${node.lagP99Ms} / ${node.lagMaxMs}`, goal: 'p99 < 20' },
      {
        measure: 'whole process CPU, % of one core (GStreamer threads included)',
        classbox: node.processCpuPercent!,
        goal: `gst-launch: ${Math.round((gst.cpuS / gst.wallS) * 1000) / 10}`,
      },
      { measure: 'peak RSS, MB', classbox: node.rssMB!, goal: `gst-launch: ${gst.maxRssMB}` },
      { measure: 'encoded fps', classbox: node.fps!, goal: '30' },
      {
        measure: 'outputs at the end',
        classbox: Object.entries(node.outputs)
          .map(([n, o]) => `${n}: ${o}`)
          .join('; '),
        goal: 'all running',
      },
    ]),
  );
}

requireBenchTools();
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; node ${process.version}`);
const files = ['live', 'rtt', 'devices', 'fleet', 'central', 'preview', 'idle', 'soak', 'latency', 'lesson', 'screens', 'receive'].includes(
  which,
)
  ? []
  : await inputs();
if (which === 'all' || which === 'composite') await composite(files);
if (which === 'all' || which === 'layout') await layout(files);
if (which === 'all' || which === 'live') await live();
if (which === 'all' || which === 'rtt') await rtt();
if (which === 'all' || which === 'devices') await deviceLatency();
if (which === 'all' || which === 'fleet') await fleet();
if (which === 'all' || which === 'central') await centralBench();
if (which === 'all' || which === 'preview') await preview();
if (which === 'all' || which === 'idle') await idle(RUNS);
if (which === 'all' || which === 'lesson') await lesson(dir, RUNS);
if (which === 'all' || which === 'screens') await screens(RUNS);
if (which === 'all' || which === 'receive') await receive(RUNS);
if (which === 'latency') await latency();
if (which === 'soak') await soak(Number(process.argv[3] ?? 120));
process.exit(0);
