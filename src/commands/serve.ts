import type { Logger } from 'pino';
import { createService, type Service, type ServiceParts } from '../app.js';
import type { Config } from '../config/schema.js';
import { ChildProcessRunner } from '../media/child-runner.js';
import { GstRunner } from '../media/gst-runner.js';
import { resolveProfile } from '../media/resolve-profile.js';
import { DataDirInUse, lockDataDir } from '../core/data-dir-lock.js';
import { FAULT_STOPS } from '../core/lifecycle.js';

/** The source folder of the innermost classbox frame of an error's stack: the part it came from. */
export function partOf(err: unknown): string {
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  const m = /\/src\/([a-z-]+)\/([a-z-]+)\.ts/.exec(stack);
  return m ? `${m[1]}/${m[2]}` : 'unknown';
}

/** Whole-process shutdown budget: Balena and systemd send SIGKILL soon after SIGTERM. */
const SHUTDOWN_DEADLINE_MS = 5000;

/**
 * Runs a service until SIGTERM/SIGINT, then stops every part in reverse order within the deadline.
 * `extraStop` runs after the service (the demo closes its broker there).
 */
export async function serve(
  config: Config,
  log: Logger,
  extraStop?: () => Promise<void>,
  parts: Pick<ServiceParts, 'gpioChip'> = {},
): Promise<Service> {
  let unlock: () => void;
  try {
    unlock = lockDataDir(config.dataDir);
  } catch (err) {
    if (!(err instanceof DataDirInUse)) throw err;
    log.fatal({ dataDir: err.dir, pid: err.pid }, err.message);
    log.flush();
    process.stderr.write(`classbox: ${err.message}\n`);
    process.exit(1);
  }
  process.once('exit', () => unlock());
  const { profile, reason } = await resolveProfile(config);
  log.info({ profile: profile.name, reason }, 'board profile');
  // Display sinks and played lessons run in processes of their own: a crash there costs that picture.
  const service = createService(config, log, { runner: new GstRunner(), isolatedRunner: new ChildProcessRunner(), profile, ...parts });
  let stopping = false;
  /** Stops every part within the deadline, then exits with `code` (a failed stop exits 1). */
  const stopAndExit = (reason: string, code: number) => {
    stopping = true;
    const force = setTimeout(() => {
      log.error('shutdown deadline passed; exiting');
      service.media?.halt();
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    force.unref();
    void service
      .stop(reason)
      .then(() => extraStop?.())
      .then(
        () => code,
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          return 1;
        },
      )
      .then((exitCode) => {
        service.media?.halt();
        log.flush();
        process.exit(exitCode);
      });
  };
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    log.info({ signal }, 'shutting down');
    stopAndExit(signal, 0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  // SIGHUP (a closed terminal, an init system's reload) used to kill the process outright, leaving the
  // open recording segment at 0 bytes: it stops the service cleanly like SIGTERM.
  process.once('SIGHUP', shutdown);
  // A fault nothing caught is a bug in one part; the process must not go on in an unknown state, nor
  // die without a word: say which part, stop what can be stopped (the segment closes), exit non-zero,
  // and let the supervisor (systemd, Balena) start it again.
  const fatal = (kind: (typeof FAULT_STOPS)[number]) => (err: unknown) => {
    log.fatal({ err, part: partOf(err) }, `${kind}: stopping the service`);
    if (stopping) return process.exit(1);
    stopAndExit(kind, 1);
  };
  process.on('unhandledRejection', fatal(FAULT_STOPS[0]));
  process.on('uncaughtException', fatal(FAULT_STOPS[1]));
  await service.start();
  return service;
}
