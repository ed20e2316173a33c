import { servicePid } from '../core/data-dir-lock.js';
import { readProcFigures } from '../core/process-figures.js';
import type { Check } from './check.js';

/** Past this share of its descriptor limit a service is a few hours from failing everything at once. */
const FD_WARN_SHARE = 0.8;

/** What the service running on this dataDir holds: memory, descriptors against their limit, threads. */
export function serviceFiguresCheck(dataDir: string): Check {
  const pid = servicePid(dataDir);
  if (pid === null) return { name: 'service', status: 'info', detail: `no classbox service running on ${dataDir}` };
  const f = readProcFigures(pid);
  if (f.fds === null)
    return {
      name: 'service',
      status: 'info',
      detail: `pid ${pid} on ${dataDir}; its figures are not readable by this user (run doctor as the service's user or root)`,
    };
  const limit = f.fdLimit ?? Infinity;
  const status = f.fds > limit * FD_WARN_SHARE ? 'warn' : 'ok';
  return {
    name: 'service',
    status,
    detail: `pid ${pid}: RSS ${f.rssMB} MB (anonymous ${f.rssAnonMB} MB), ${f.fds} of ${f.fdLimit ?? '?'} descriptors, ${f.threads} threads${status === 'warn' ? ': close to the descriptor limit, restart it and report this' : ''}`,
  };
}
