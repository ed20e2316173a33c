import { spawn } from 'node:child_process';

export interface StreamReport {
  /** Video frames received in the window. */
  frames: number;
  /** Frames per second by the stream's own timestamps (frames over the span of their PTS). */
  fps: number;
  /** The longest step between consecutive frames, seconds: a lost frame doubles it. */
  maxGapS: number;
  /** Key frames, and those without an SPS and a PPS in their access unit (Annex B streams only). */
  keyFrames: number;
  keyFramesWithoutParameterSets: number | null;
  /** Decode timestamps that did not increase, and the first few of them (previous -> this, seconds). */
  nonMonotonicDts: number;
  dtsProblems: string[];
  /** Audio packets whose timestamp went backwards. */
  audioBackwards: number;
  audioProblems: string[];
  /** The largest distance of a step between two sound frames from the usual step, in seconds. */
  audioJitterS: number;
  /** Where the largest step was, and the timestamps around it. */
  audioJitterAt: string;
}

/**
 * Pulls `seconds` of a live stream with ffmpeg (the client nobody here wrote), copies it unchanged into
 * MPEG-TS, and reads every packet's timing with ffprobe; for streams that are Annex B on the wire
 * (SRT, HLS: MPEG-TS) it also checks each key frame carries its SPS and PPS.
 */
export async function pullStream(url: string, seconds: number, options: { annexB: boolean; inputArgs?: string[] }): Promise<StreamReport> {
  const ts = await run(
    'ffmpeg',
    ['-v', 'error', ...(options.inputArgs ?? []), '-i', url, '-t', String(seconds), '-map', '0', '-c', 'copy', '-f', 'mpegts', '-'],
    (seconds + 25) * 1000,
  );
  return analyzeTs(ts, options.annexB);
}

/** The same report for MPEG-TS already at hand (HLS segments read from their folder). */
export async function analyzeTs(ts: Buffer, annexB: boolean): Promise<StreamReport> {
  const options = { annexB };
  const packets = await run(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'packet=codec_type,pts_time,dts_time,flags', '-of', 'csv=p=0', '-i', 'pipe:0'],
    30_000,
    ts,
  );
  const video: Array<{ pts: number; dts: number; key: boolean }> = [];
  const audio: number[] = [];
  for (const line of packets.toString().split('\n')) {
    const [type, pts, dts, flags] = line.split(',');
    if (type === 'video') video.push({ pts: Number(pts), dts: Number(dts), key: (flags ?? '').includes('K') });
    else if (type === 'audio') audio.push(Number(pts));
  }
  const ptsSorted = video
    .map((v) => v.pts)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const span = ptsSorted.length > 1 ? ptsSorted.at(-1)! - ptsSorted[0]! : 0;
  const maxGapS = ptsSorted.slice(1).reduce((m, t, i) => Math.max(m, t - ptsSorted[i]!), 0);
  let nonMonotonicDts = 0;
  const dtsProblems: string[] = [];
  for (let i = 1; i < video.length; i++) {
    if (video[i]!.dts > video[i - 1]!.dts) continue;
    nonMonotonicDts++;
    if (dtsProblems.length < 5) dtsProblems.push(`#${i}: ${video[i - 1]!.dts} -> ${video[i]!.dts}`);
  }
  let audioBackwards = 0;
  const audioProblems: string[] = [];
  for (let i = 1; i < audio.length; i++) {
    if (audio[i]! >= audio[i - 1]!) continue;
    audioBackwards++;
    if (audioProblems.length < 5) audioProblems.push(`#${i} of ${audio.length}: ${audio[i - 1]} -> ${audio[i]}`);
  }
  const keys = options.annexB
    ? keyFrameParameterSets(
        await run('ffmpeg', ['-v', 'error', '-i', 'pipe:0', '-map', '0:v:0', '-c', 'copy', '-f', 'h264', '-'], 30_000, ts),
      )
    : null;
  return {
    frames: video.length,
    fps: span > 0 ? (ptsSorted.length - 1) / span : 0,
    maxGapS,
    keyFrames: keys?.keyFrames ?? video.filter((v) => v.key).length,
    keyFramesWithoutParameterSets: keys ? keys.withoutParameterSets : null,
    nonMonotonicDts,
    dtsProblems,
    audioBackwards,
    audioProblems,
    audioJitterS: jitter(audio).jitter,
    audioJitterAt: jitter(audio).at,
  };
}

/** The sound frames' largest step off their usual one (s), and where it was, for the failure's message. */
function jitter(times: number[]): { jitter: number; at: string } {
  const steps = times.slice(1).map((t, i) => t - times[i]!);
  if (steps.length === 0) return { jitter: 0, at: 'no sound frames' };
  const usual = [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)]!;
  let worst = 0;
  steps.forEach((s, i) => {
    if (Math.abs(s - usual) > Math.abs(steps[worst]! - usual)) worst = i;
  });
  const around = times.slice(Math.max(0, worst - 2), worst + 4).map((t) => t.toFixed(4));
  return {
    jitter: Math.abs(steps[worst]! - usual),
    at: `step ${worst + 1} of ${steps.length} (${(times[worst]! - times[0]!).toFixed(2)} s in), usual ${usual.toFixed(4)}: ${around.join(', ')}`,
  };
}

/** Walks an Annex B H.264 stream: for each IDR slice, whether its access unit carried an SPS (7) and a PPS (8). */
export function keyFrameParameterSets(h264: Buffer): { keyFrames: number; withoutParameterSets: number } {
  let keyFrames = 0;
  let without = 0;
  let sps = false;
  let pps = false;
  let idrInUnit = false;
  for (let i = 0; i + 3 < h264.length; i++) {
    if (h264[i] !== 0 || h264[i + 1] !== 0 || h264[i + 2] !== 1) continue;
    const type = h264[i + 3]! & 0x1f;
    if (type === 9) {
      // Access unit delimiter: a new unit starts.
      sps = pps = idrInUnit = false;
    } else if (type === 7) sps = true;
    else if (type === 8) pps = true;
    else if (type === 5 && !idrInUnit) {
      idrInUnit = true;
      keyFrames++;
      if (!sps || !pps) without++;
    } else if (type === 1) {
      sps = pps = idrInUnit = false;
    }
    i += 3;
  }
  return { keyFrames, withoutParameterSets: without };
}

function run(cmd: string, args: string[], timeoutMs: number, input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const buf = Buffer.concat(out);
      if (code === 0 || buf.length > 0) resolve(buf);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code ?? signal}): ${err.slice(0, 500)}`));
    });
    child.stdin.on('error', () => undefined);
    if (input) child.stdin.end(input);
    else child.stdin.end();
  });
}
