// A screen nobody here wrote, read by a grabber nobody here wrote: Xvfb shows what the display sinks
// draw, and ffmpeg's x11grab reads a patch of it 60 times a second, each frame stamped with the wall
// clock. A picture that flips black/white on the wall clock's even seconds (tests/helpers/rtsp-server.py
// `flip`) then gives, at each flip seen on the screen, the time from the camera to the glass.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delayAfterFlip, edgesOf, type Edges } from './flip-edges.js';

export type { Edges } from './flip-edges.js';

/** A square patch of the screen as it is now: its grey pixels, read by ffmpeg's x11grab. */
export function screenPatch(display: string, at: { x: number; y: number; size: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const ff = spawn(
      'ffmpeg',
      [
        '-v',
        'error',
        '-f',
        'x11grab',
        '-video_size',
        `${at.size}x${at.size}`,
        '-i',
        `${display}+${at.x},${at.y}`,
        '-frames:v',
        '1',
        '-pix_fmt',
        'gray',
        '-f',
        'rawvideo',
        '-',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const chunks: Buffer[] = [];
    let err = '';
    ff.stdout.on('data', (d: Buffer) => chunks.push(d));
    ff.stderr.on('data', (d: Buffer) => (err += d.toString()));
    ff.once('error', reject);
    ff.once('exit', () => {
      const px = Buffer.concat(chunks);
      if (px.length === 0) return reject(new Error(`x11grab read nothing from ${display}: ${err}`));
      resolve(px);
    });
  });
}

/** How bright a patch of the screen is now (mean of its bytes, 0-255). */
export async function screenBrightness(display: string, at: { x: number; y: number; size: number }): Promise<number> {
  const px = await screenPatch(display, at);
  return px.reduce((n, v) => n + v, 0) / px.length;
}

export interface Screen {
  display: string;
  stop(): Promise<void>;
}

/** An X server with no monitor, at the first free display number from `from`. */
export async function startScreen(width: number, height: number, from = 90): Promise<Screen> {
  let n = from;
  while (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) n++;
  // Xvfb writes its display's number to `-displayfd` once it takes connections: its socket is there
  // before that, and a box whose display sink connected then failed ("Could not initialise X output"),
  // rebuilt its lesson's pipeline at the start of the call and, in the latency bench, was heard late on
  // the way back in most such runs.
  const x: ChildProcess = spawn('Xvfb', [`:${n}`, '-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    x.stdio[3]!.once('data', () => {
      clearTimeout(timer);
      resolve(true);
    });
    x.once('exit', () => resolve(false));
  });
  if (!ready) throw new Error('Xvfb did not start (apt-get install xvfb)');
  return {
    display: `:${n}`,
    stop: async () => {
      if (x.exitCode !== null) return;
      const gone = new Promise((r) => x.once('exit', r));
      x.kill('SIGTERM');
      await gone;
    },
  };
}

/** The flips seen in a patch of the screen for `seconds`, each against the wall-clock instant it was made. */
export function watchFlips(display: string, seconds: number, at = { x: 100, y: 100 }): Promise<Edges> {
  return new Promise((resolve, reject) => {
    // -copyts keeps x11grab's wall-clock stamps (microseconds since the epoch) on every frame.
    const ff = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-copyts',
        '-f',
        'x11grab',
        '-framerate',
        '60',
        '-video_size',
        '32x32',
        '-i',
        `${display}+${at.x},${at.y}`,
        '-frames:v',
        String(seconds * 60),
        '-vf',
        'showinfo',
        '-f',
        'null',
        '-',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let text = '';
    ff.stderr.on('data', (d: Buffer) => (text += d.toString()));
    ff.once('error', reject);
    ff.once('exit', () => {
      const frames = [...text.matchAll(/ pts:(\d+) .*? mean:\[(\d+)/g)].map((m) => ({ tUs: Number(m[1]), white: Number(m[2]) > 95 }));
      if (frames.length === 0) return reject(new Error(`x11grab read nothing from ${display}: ${text.slice(-400)}`));
      const delaysMs: number[] = [];
      for (let i = 1; i < frames.length; i++) {
        const f = frames[i]!;
        if (f.white === frames[i - 1]!.white) continue;
        delaysMs.push(delayAfterFlip(f.tUs / 1e6, f.white));
      }
      resolve(edgesOf(delaysMs));
    });
  });
}
