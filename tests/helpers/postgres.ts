import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.js';
import { tempDir } from './temp-dir.js';

export interface Postgres {
  url: string;
  stop(): Promise<void>;
}

/** Debian's PostgreSQL server binaries (postgresql-15), newest version first. */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')));
  if (!dir) throw new Error('PostgreSQL server not installed (firmware-scripts/setup.sh installs postgresql-15)');
  return dir;
}

/**
 * A real PostgreSQL server for one test file: a fresh cluster in a temporary folder on a free loopback
 * port, trust authentication, fsync off. PostgreSQL refuses to run as root: as root it runs as the
 * `postgres` user Debian's package creates.
 */
export async function startPostgres(): Promise<Postgres> {
  const bin = binDir();
  const dir = tempDir('classbox-pg-');
  const asRoot = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  if (asRoot) spawnSync('chown', ['postgres:postgres', dir]);
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const init = spawnSync(...as(join(bin, 'initdb'), ['-D', data, '-U', 'classbox', '--auth=trust', '-E', 'UTF8', '--no-sync']), {
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const [cmd, args] = as(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`postgres exited (${code}): ${stderr}`))));
  await Promise.race([waitForPort(port, 15_000), exited]);
  // The port opens before the server takes connections: wait until it answers.
  for (let i = 0; i < 100; i++) {
    const ready = spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]);
    if (ready.status === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `postgres://classbox@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        // The server itself (below runuser): SIGINT is its fast shutdown, which ends every session.
        const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
        process.kill(pid, 'SIGINT');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
