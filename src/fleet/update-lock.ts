import { closeSync, existsSync, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The balena update lock: while the file exists the Supervisor neither kills the service for an
 * update nor reboots for a config change. It must be created exclusively (O_CREAT | O_EXCL, as the
 * lockfile library the Supervisor itself uses does: a plain touch is not enough), and /tmp is cleared
 * on reboot, so it is taken again whenever it is needed after a restart.
 */
export class UpdateLock {
  private heldByUs = false;

  constructor(readonly path = '/tmp/balena/updates.lock') {}

  get held(): boolean {
    return this.heldByUs && existsSync(this.path);
  }

  take(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    try {
      closeSync(openSync(this.path, 'wx'));
    } catch (err) {
      // Already there: left by this service before a restart (nothing else on the box takes it).
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.heldByUs = true;
  }

  release(): void {
    this.heldByUs = false;
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
