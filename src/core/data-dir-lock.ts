import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirInUse extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`${dir} is in use by another classbox (pid ${pid}): one service per dataDir (give each room its own)`);
  }
}

/** Whether `pid` is a live classbox process other than this one. */
function liveClassbox(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A pid reused by something else after a power cut does not hold the folder.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('classbox');
  } catch {
    return true;
  }
}

/**
 * One service per dataDir: two on the same folder interleave the outbox, the upload queue and the
 * recording index unnoticed. The lock is a file holding the owner's pid, taken with O_EXCL; a file
 * left by a process that is gone (a crash, a power cut) is taken over. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'classbox.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
        } catch {
          // gone already
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (liveClassbox(owner)) throw new DataDirInUse(dir, owner);
      rmSync(file, { force: true });
    }
  }
  throw new DataDirInUse(dir, Number(readFileSync(file, 'utf8').trim()));
}

/** The pid of the classbox service holding `dir`, or null when none runs there. */
export function servicePid(dir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dir, 'classbox.pid'), 'utf8').trim());
    return liveClassbox(pid) ? pid : null;
  } catch {
    return null;
  }
}
