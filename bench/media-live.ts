// Streams 720p30 (three test sources, pip, every kind of output) in this process for a while
// and reports what the Node side costs: main-thread busy share (event-loop utilisation), event-loop
// lag, RSS and the whole process's CPU. Run as a child of bench/run.ts.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.js';
import { EventBus } from '../src/core/events.js';
import { MediaEngine } from '../src/media/engine.js';
import { GstRunner } from '../src/media/gst-runner.js';
import { loadBoardProfile } from '../src/media/profiles.js';

export interface LiveOutputs {
  /** The box listens here (receivers call in). */
  srtListen: number;
  /** The box calls a centre listening here. */
  srtCall: number;
  rtmpUrl: string;
}

/** The live room: three test sources, pip, 720p30, and every kind of output on. */
export function liveConfigDoc(dir: string, out: LiveOutputs): Record<string, unknown> {
  return {
    site: 'bench',
    room: 'live',
    profile: 'software',
    video: { width: 1280, height: 720, fps: 30, bitrateKbps: 2500 },
    sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball' }, students: { kind: 'test', pattern: 'pinwheel' } },
    layout: 'pip',
    outputs: [
      { name: 'archive', kind: 'record', dir: join(dir, 'rec') },
      { name: 'link', kind: 'srt', url: `srt://127.0.0.1:${out.srtListen}?mode=listener` },
      { name: 'centre', kind: 'srt', url: `srt://127.0.0.1:${out.srtCall}?mode=caller` },
      { name: 'platform', kind: 'rtmp', url: out.rtmpUrl },
      { name: 'web', kind: 'hls', dir: join(dir, 'hls'), segmentS: 2 },
    ],
  };
}

if (process.argv[1]?.endsWith('media-live.ts')) {
  const seconds = Number(process.argv[2] ?? 20);
  const out = JSON.parse(process.argv[3] ?? '{}') as LiveOutputs;
  const config = loadConfig({ base: liveConfigDoc(mkdtempSync(join(tmpdir(), 'bench-live-')), out), env: {} });
  const engine = new MediaEngine({
    config,
    log: pino({ level: 'silent' }),
    bus: new EventBus(),
    runner: new GstRunner(),
    profile: loadBoardProfile('software'),
  });
  await engine.start();
  // Measure the steady state, after start-up.
  await new Promise((r) => setTimeout(r, 3000));
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let rssMax = 0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 500);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(sampler);
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - t0) / 1000;
  lag.disable();
  const stats = engine.stats();
  const outputs = Object.fromEntries(Object.entries(stats.outputs).map(([name, o]) => [name, `${o.state} ${o.bitrateKbps} kbit/s`]));
  await engine.stop();
  process.stdout.write(
    `${JSON.stringify({
      seconds: Math.round(wall),
      mainThreadPercent: Math.round(elu.utilization * 1000) / 10,
      processCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 1000) / 10,
      lagP99Ms: Math.round((lag.percentile(99) / 1e6) * 10) / 10,
      lagMaxMs: Math.round((lag.max / 1e6) * 10) / 10,
      rssMB: Math.round(rssMax / 1024 / 1024),
      fps: stats.fps,
      outputs,
    })}\n`,
  );
  process.exit(0);
}
