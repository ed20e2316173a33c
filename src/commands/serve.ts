import type { Logger } from 'pino';
import { createService, type Service, type ServiceParts } from '../app.js';
import type { Config } from '../config/schema.js';
import { GstRunner } from '../media/gst-runner.js';
import { resolveProfile } from '../media/resolve-profile.js';

/** Whole-process shutdown budget: Balena and systemd send SIGKILL soon after SIGTERM. */
const SHUTDOWN_DEADLINE_MS = 5000;

/**
 * Runs a service until SIGTERM/SIGINT, then stops every part in reverse order within the deadline.
 * `extraStop` runs after the service (the demo closes its broker there).
 */
export async function serve(config: Config, log: Logger, extraStop?: () => Promise<void>, parts: Pick<ServiceParts, 'gpioChip'> = {}): Promise<Service> {
  const { profile, reason } = await resolveProfile(config);
  log.info({ profile: profile.name, reason }, 'board profile');
  const service = createService(config, log, { runner: new GstRunner(), profile, ...parts });
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown deadline passed; exiting');
      service.media?.halt();
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    force.unref();
    void service
      .stop(signal)
      .then(() => extraStop?.())
      .then(
        () => {
          service.media?.halt();
          log.flush();
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await service.start();
  return service;
}
