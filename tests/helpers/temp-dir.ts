import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/**
 * A fresh temporary folder, removed with everything in it at the end: under a test run's own folder
 * (`temp-root.ts`, removed when the run ends), or, elsewhere (a benchmark), when this process exits.
 * Left behind, every run of the suite added some two hundred folders of configs, recordings and broker
 * files to /tmp, thirteen thousand on a busy machine.
 */
export function tempDir(prefix = 'classbox-test-'): string {
  const dir = mkdtempSync(join(process.env.CLASSBOX_TEST_TMP ?? tmpdir(), prefix));
  if (made.length === 0) process.once('exit', removeAll);
  made.push(dir);
  return dir;
}

function removeAll(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
