import { statfsSync } from 'node:fs';

/** Megabytes free to an unprivileged writer on the filesystem holding `path` (throws if it is not there). */
export function megabytesFree(path: string): number {
  const s = statfsSync(path);
  return Math.floor((s.bavail * s.bsize) / 1024 / 1024);
}
