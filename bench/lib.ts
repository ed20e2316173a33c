import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Measured {
  wallS: number;
  cpuS: number;
  maxRssMB: number;
  /** Play to end of stream, as the program itself reports it (no process start-up). */
  pipelineS: number;
}

/** Wall time, user+system CPU and peak RSS of a command, from GNU time. */
export async function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  // A run ended by `timeout` (exit 124) is a measured run too.
  const { stdout, stderr } = await run('/usr/bin/time', ['-f', 'BENCH %e %U %S %M', cmd, ...args], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { code?: number; stdout: string; stderr: string }) => {
    if (err.code === 124) return { stdout: err.stdout, stderr: err.stderr };
    throw err;
  });
  const m = /BENCH ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
  if (!m) throw new Error(`no timing for ${cmd}: ${stderr.slice(-500)}`);
  // gst-launch: "Execution ended after 0:00:05.274632843"; job-runner: "PIPELINE_S 5.27".
  const gst = /Execution ended after (\d+):(\d+):([\d.]+)/.exec(stdout);
  const own = /PIPELINE_S ([\d.]+)/.exec(stdout);
  const pipelineS = gst ? Number(gst[1]) * 3600 + Number(gst[2]) * 60 + Number(gst[3]) : own ? Number(own[1]) : Number(m[1]);
  return {
    wallS: Number(m[1]),
    cpuS: Math.round((Number(m[2]) + Number(m[3])) * 100) / 100,
    maxRssMB: Math.round(Number(m[4]) / 1024),
    pipelineS: Math.round(pipelineS * 100) / 100,
  };
}

export function requireBenchTools(): void {
  for (const t of ['/usr/bin/time', 'gst-launch-1.0', 'ffmpeg']) {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`]);
    } catch {
      throw new Error(`the benchmark needs ${t} (apt-get install time gstreamer1.0-tools ffmpeg)`);
    }
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function medianOf(all: Measured[]): Measured {
  return {
    wallS: median(all.map((m) => m.wallS)),
    cpuS: median(all.map((m) => m.cpuS)),
    maxRssMB: median(all.map((m) => m.maxRssMB)),
    pipelineS: median(all.map((m) => m.pipelineS)),
  };
}

/**
 * Runs the contenders in turn, round after round, and takes each one's median: a machine whose speed
 * drifts (a shared VM) then drifts for all of them alike.
 */
export async function interleave(rounds: number, contenders: Array<() => Promise<Measured>>): Promise<Measured[]> {
  const all: Measured[][] = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < contenders.length; i++) all[i]!.push(await contenders[i]!());
  }
  return all.map(medianOf);
}

export function table(rows: Array<Record<string, string | number>>): string {
  const cols = Object.keys(rows[0]!);
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(cols), line(cols.map(() => '---')), ...rows.map((r) => line(cols.map((c) => r[c]!)))].join('\n');
}
