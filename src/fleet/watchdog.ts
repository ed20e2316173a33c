import { execFile } from 'node:child_process';
import type { Logger } from 'pino';
import type { Part } from '../core/lifecycle.js';

/**
 * systemd's service watchdog (Type=notify, WatchdogSec=): READY=1 once the service is up, then
 * WATCHDOG=1 at half the interval systemd asks for, for as long as the box is healthy. A hung event
 * loop or a media engine that stopped for good stops the pings, and systemd restarts the service.
 * A broker that is away is not a reason: the box records and keeps its events through outages.
 * Does nothing outside systemd (no NOTIFY_SOCKET), e.g. under balena.
 */
export class SystemdWatchdog implements Part {
  readonly name = 'watchdog';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    private readonly healthy: () => boolean,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private notify(message: string): void {
    execFile('systemd-notify', [`--pid=${process.pid}`, message], { env: this.env, timeout: 5000 }, (err) => {
      if (err) this.log.warn({ part: 'watchdog', err, message }, 'systemd-notify failed');
    });
  }

  async start(): Promise<void> {
    if (!this.env.NOTIFY_SOCKET) return;
    this.notify('READY=1');
    const usec = Number(this.env.WATCHDOG_USEC);
    if (!Number.isFinite(usec) || usec <= 0) return;
    this.timer = setInterval(
      () => {
        if (this.healthy()) this.notify('WATCHDOG=1');
        else this.log.warn({ part: 'watchdog' }, 'unhealthy: watchdog ping withheld');
      },
      Math.max(100, usec / 2000),
    );
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.env.NOTIFY_SOCKET) this.notify('STOPPING=1');
  }
}
