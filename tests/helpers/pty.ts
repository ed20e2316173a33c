import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './net.js';
import { requireTool } from './tools.js';

export interface PtyPair {
  /** The end the gateway opens (as it would open /dev/ttyUSB0). */
  a: string;
  /** The end a simulator or a test opens (the "device"). */
  b: string;
  close(): Promise<void>;
}

/** A real pseudo-terminal pair from socat: bytes written to one end come out of the other. */
export async function createPtyPair(): Promise<PtyPair> {
  const socat = requireTool('socat');
  const dir = mkdtempSync(join(tmpdir(), 'classbox-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child = spawn(socat, [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  await waitUntil(() => existsSync(a) && existsSync(b), 'socat pty links');
  return {
    a,
    b,
    close: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
