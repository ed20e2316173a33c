import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest's global set-up: one folder for everything a run's tests put in temporary folders
 * (`tempDir()`), removed when the run ends. Test workers are stopped without an exit of their own, so
 * a worker cannot clean up after itself.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'classbox-tests-'));
  // Open to other users, as /tmp is: servers that drop root (mosquitto, Postgres' initdb) reach their
  // files through it. Each folder under it keeps its own permissions.
  chmodSync(root, 0o755);
  process.env.CLASSBOX_TEST_TMP = root;
  return () => rmSync(root, { recursive: true, force: true });
}
