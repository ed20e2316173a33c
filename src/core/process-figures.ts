import { readdirSync, readFileSync } from 'node:fs';

/** What a process holds, read from /proc (null where the kernel has no /proc, or the process is gone). */
export interface ProcFigures {
  rssMB: number | null;
  /** Anonymous resident memory: the heap, GStreamer's buffers, allocator arenas; not shared libraries. */
  rssAnonMB: number | null;
  fds: number | null;
  /** The soft limit on open descriptors (1,024 under many service managers). */
  fdLimit: number | null;
  threads: number | null;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function statusMB(status: string, key: string): number | null {
  const kb = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  return kb === undefined ? null : round1(Number(kb) / 1024);
}

function count(dir: string): number | null {
  try {
    return readdirSync(dir).length;
  } catch {
    return null;
  }
}

export function readProcFigures(pid: number | 'self' = 'self'): ProcFigures {
  let status = '';
  let limits = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
    limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  } catch {
    // not Linux, or the process is gone
  }
  const fds = count(`/proc/${pid}/fd`);
  const limit = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
  return {
    rssMB: statusMB(status, 'VmRSS'),
    rssAnonMB: statusMB(status, 'RssAnon'),
    // Reading our own folder opens one descriptor for the time of the read.
    fds: fds === null ? null : pid === 'self' || pid === process.pid ? fds - 1 : fds,
    fdLimit: limit === undefined ? null : Number(limit),
    threads: count(`/proc/${pid}/task`),
  };
}

/** Least-squares slope of `y` over `t` (seconds), per hour: the trend of a noisy figure. */
export function slopePerHour(points: ReadonlyArray<{ t: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.t - mt) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return den > 0 ? (num / den) * 3600 : 0;
}
