import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitForPort } from './net.js';

const SCRIPT = fileURLToPath(new URL('./rtsp-server.py', import.meta.url));

export interface RtspServer {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A picture white for the first two seconds of every four of the wall clock, black for the other two. */
export interface FlipPicture {
  width: number;
  height: number;
  fps: number;
}

/** An IP camera on loopback: Debian's python3-gi + gir1.2-gst-rtsp-server-1.0 (installed by setup.sh). */
export function rtspServer(port: number, flip?: FlipPicture): RtspServer {
  let child: ChildProcess | undefined;
  return {
    url: `rtsp://127.0.0.1:${port}/cam`,
    async start() {
      child = spawn(
        '/usr/bin/python3',
        [SCRIPT, String(port), ...(flip ? ['flip', String(flip.width), String(flip.height), String(flip.fps)] : [])],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<never>((_, reject) =>
        child!.once('exit', (code) => reject(new Error(`RTSP server exited (${code}): ${err}`))),
      );
      await Promise.race([waitForPort(port, 10_000), exited]);
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGKILL');
      await gone;
    },
  };
}
