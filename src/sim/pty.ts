import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** The end the gateway opens (as it would open /dev/ttyUSB0). */
  a: string;
  /** The end a simulator opens (the "device"). */
  b: string;
  /** Pulls the "USB adapter": both ends vanish until plug() makes them again at the same paths. */
  unplug(): Promise<void>;
  plug(): Promise<void>;
  /** Both ends gone; the folder too, when the pair made its own. */
  close(): Promise<void>;
}

function socatPath(): string {
  const found = spawnSync('sh', ['-c', 'command -v socat'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error('socat is not installed (firmware-scripts/setup.sh installs it)');
  return found;
}

/**
 * A real pseudo-terminal pair from socat: bytes written to one end come out of the other. Its two links
 * go in `dir`, or in a folder of its own, removed on close (one left in /tmp per pair made before: 93
 * after one test run).
 */
export async function createPtyPair(dir?: string, names: [string, string] = ['a', 'b']): Promise<PtyPair> {
  const own = dir === undefined ? mkdtempSync(join(tmpdir(), 'classbox-pty-')) : undefined;
  dir ??= own!;
  const socat = socatPath();
  const a = join(dir, names[0]);
  const b = join(dir, names[1]);
  let child: ReturnType<typeof spawn> | undefined;
  const plug = async () => {
    child = spawn(socat, [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
    const until = Date.now() + 5000;
    while (!(existsSync(a) && existsSync(b))) {
      if (Date.now() > until) throw new Error('socat made no pty pair within 5 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const unplug = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await gone;
  };
  await plug();
  const close = async () => {
    await unplug();
    if (own) rmSync(own, { recursive: true, force: true });
  };
  return { a, b, plug, unplug, close };
}
