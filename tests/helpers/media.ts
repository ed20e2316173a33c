import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { requireTool } from './tools.js';

const run = promisify(execFile);

/** ffmpeg's test picture (and any other inputs and options) encoded to H.264 at `path`. */
async function encodeTestPicture(path: string, picture: string, more: { inputs?: string[]; options?: string[] } = {}): Promise<string> {
  requireTool('ffmpeg');
  const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', picture, ...(more.inputs ?? []), ...x264, ...(more.options ?? []), path]);
  return path;
}

/** A small H.264 MP4 made by ffmpeg's test source, for file sources. */
export function makeTestVideo(path: string, seconds: number, width = 640, height = 360, fps = 30): Promise<string> {
  return encodeTestPicture(path, `testsrc=size=${width}x${height}:rate=${fps}:duration=${seconds}`);
}

/** A lesson file with picture and sound: the test picture and a 440 Hz tone at `volume` of full scale (AAC). */
export function makeTestLesson(path: string, seconds: number, volume = 0.1): Promise<string> {
  return encodeTestPicture(path, `testsrc=size=320x180:rate=25:duration=${seconds}`, {
    inputs: ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
    options: ['-filter:a', `volume=${volume / 0.125}`, '-ac', '2', '-c:a', 'aac', '-shortest'],
  });
}

export interface Probe {
  width: number;
  height: number;
  fps: number;
  durationS: number;
  frames: number;
  /** Largest gap between consecutive video frames, in seconds, after the first five (the composite's start). */
  maxGapS: number;
}

/** What ffprobe reads from a media file, decoding every frame (so a broken file fails here). */
export async function probe(path: string): Promise<Probe> {
  requireTool('ffprobe');
  const { stdout } = await run(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=width,height,r_frame_rate:format=duration:frame=pts_time',
      '-of',
      'json',
      path,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const j = JSON.parse(stdout) as {
    streams: Array<{ width: number; height: number; r_frame_rate: string }>;
    format: { duration?: string };
    frames: Array<{ pts_time?: string }>;
  };
  const s = j.streams[0]!;
  const [num, den] = s.r_frame_rate.split('/').map(Number);
  const times = j.frames
    .map((f) => Number(f.pts_time))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b);
  let maxGapS = 0;
  for (let i = 6; i < times.length; i++) maxGapS = Math.max(maxGapS, times[i]! - times[i - 1]!);
  return {
    width: s.width,
    height: s.height,
    fps: num! / (den || 1),
    durationS: Number(j.format.duration ?? 0),
    frames: times.length,
    maxGapS,
  };
}

/**
 * Another classroom over SRT as an encoder sends it: a live test picture (no sound), H.264 in MPEG-TS,
 * as a gst-launch-1.0 description (for `gst-launch-1.0` or an in-process runner).
 */
export function srtTestSender(uri: string, pattern = 'smpte', size = { width: 320, height: 180, fps: 15 }): string {
  return (
    `videotestsrc is-live=true pattern=${pattern} ! video/x-raw,format=I420,width=${size.width},height=${size.height},framerate=${size.fps}/1 ` +
    `! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=${size.fps} ! h264parse config-interval=-1 ! mpegtsmux alignment=7 ` +
    `! srtsink uri=${uri} wait-for-connection=false`
  );
}

/** Video frames ffprobe decodes in a file. */
export function decodedFrames(file: string): number {
  const out = execFileSync('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames',
    '-of',
    'csv=p=0',
    file,
  ]);
  return Number(out.toString().trim().split(/\s+/)[0]);
}
