import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.js';
import { tempDir } from './temp-dir.js';
import { requireTool } from './tools.js';

export interface Mosquitto {
  port: number;
  url: string;
  /** Stops the broker (SIGTERM, then SIGKILL); persistence is off, so retained messages go too. */
  stop(): Promise<void>;
  /** Starts it again on the same port (a broker restart as dashboards see it). */
  start(): Promise<void>;
}

/** A real mosquitto for one test file, on a free loopback port. `extraConfig` adds lines (TLS, ACL...). */
export async function startMosquitto(options: { extraConfig?: string; port?: number } = {}): Promise<Mosquitto> {
  const bin = requireTool('mosquitto');
  const port = options.port ?? (await freePort());
  const dir = tempDir('classbox-mosq-');
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, options.extraConfig ?? 'allow_anonymous true', 'persistence false', 'log_dest none', ''].join('\n'),
  );
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<never>((_, reject) =>
      child!.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${stderr}`))),
    );
    await Promise.race([waitForPort(port, 5000), exited]);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 2000);
    await gone;
    clearTimeout(timer);
  };
  await start();
  return { port, url: `mqtt://127.0.0.1:${port}`, stop, start };
}
