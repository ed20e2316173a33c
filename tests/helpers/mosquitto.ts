import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.js';
import { tempDir } from './temp-dir.js';
import { requireTool } from './tools.js';

export interface Mosquitto {
  port: number;
  url: string;
  /** Stops the broker (SIGTERM, then SIGKILL); without `persistent`, retained messages and sessions go too. */
  stop(): Promise<void>;
  /** Starts it again on the same port (a broker restart as dashboards see it). */
  start(): Promise<void>;
}

/**
 * A real mosquitto for one test file, on a free loopback port. `extraConfig` adds lines (TLS, ACL...);
 * `persistent`: sessions, their subscriptions and what is queued for them kept across stop() and
 * start() (saved to disk on SIGTERM).
 */
export async function startMosquitto(options: { extraConfig?: string; port?: number; persistent?: boolean } = {}): Promise<Mosquitto> {
  const bin = requireTool('mosquitto');
  const port = options.port ?? (await freePort());
  const dir = tempDir('classbox-mosq-');
  const conf = join(dir, 'mosquitto.conf');
  // Its database in a folder of its own that anyone may write: run as root, mosquitto drops to its
  // own user before it saves (a folder only root may write: "Error saving in-memory database").
  const db = join(dir, 'db');
  if (options.persistent) {
    chmodSync(dir, 0o755);
    mkdirSync(db);
    chmodSync(db, 0o777);
  }
  const persistence = options.persistent
    ? ['persistence true', `persistence_location ${db}/`, 'max_queued_messages 10000', 'autosave_interval 0']
    : ['persistence false'];
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, options.extraConfig ?? 'allow_anonymous true', ...persistence, 'log_dest none', ''].join('\n'),
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
