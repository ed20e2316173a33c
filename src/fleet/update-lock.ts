import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The balena update lock: while the file exists the Supervisor neither kills the service for an
 * update nor reboots for a config change. It must be created exclusively (O_CREAT | O_EXCL, as the
 * lockfile library the Supervisor itself uses does: a plain touch is not enough), and /tmp is cleared
 * on reboot, so it is taken again whenever it is needed after a restart.
 *
 * Host OS updates (and newer Supervisors) honour only an exclusive flock() on the same file, which
 * Node cannot take: util-linux's `flock` holds it in a small child process for as long as the lock is
 * wanted. The child reads our end of a pipe, so if classbox dies the pipe closes, the child exits and
 * the kernel drops the flock: a crashed box never blocks updates for good.
 */
export class UpdateLock {
  private heldByUs = false;
  private holder: ChildProcess | undefined;

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
    if (!this.holder || this.holder.exitCode !== null) {
      const holder = spawn('flock', ['--exclusive', '--nonblock', this.path, 'cat'], { stdio: ['pipe', 'ignore', 'ignore'] });
      holder.on('error', () => undefined); // no flock on this system: the file alone
      holder.stdin?.on('error', () => undefined);
      holder.unref();
      this.holder = holder;
    }
  }

  /** Whether the flock is held by this service's holder process now. */
  get flockHeld(): boolean {
    return this.holder !== undefined && this.holder.exitCode === null && this.holder.pid !== undefined;
  }

  release(): void {
    this.heldByUs = false;
    if (this.holder) {
      // Closing its input ends `cat`, then `flock` exits and the kernel lets go.
      this.holder.stdin?.end();
      this.holder = undefined;
    }
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
