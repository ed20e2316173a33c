import type { Logger } from 'pino';

/** A unit of the service with side-effect-free construction; work happens in start() and stop(). */
/**
 * The reasons a service stops for a fault nothing caught (not a decision): a class running then did not
 * end on purpose, and counts towards its crash loop.
 */
export const FAULT_STOPS = ['unhandled rejection', 'uncaught exception'] as const;

export interface Part {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts parts in order and stops them in reverse. A part that fails to start stops the ones
 * already started (so nothing is left half-running); a part that hangs in stop() is abandoned
 * after its share of the deadline so the process can still exit in time.
 */
export class Lifecycle {
  private readonly started: Part[] = [];

  constructor(
    private readonly parts: readonly Part[],
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    for (const part of this.parts) {
      try {
        await part.start();
        this.started.push(part);
        this.log.debug({ part: part.name }, 'started');
      } catch (err) {
        this.log.error({ part: part.name, err }, 'failed to start');
        await this.stop(5000);
        throw err;
      }
    }
  }

  async stop(deadlineMs = 5000): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (this.started.length > 0) {
      const part = this.started.pop()!;
      const left = Math.max(50, until - Date.now());
      // Most parts stop at once; the slow one (media closing its recording) may use what the others do
      // not, keeping a tenth of a second for each part still to stop.
      const budget = Math.max(50, left - 100 * this.started.length);
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        part.stop().then(
          () => 'stopped' as const,
          (err: unknown) => {
            this.log.error({ part: part.name, err }, 'failed to stop cleanly');
            return 'failed' as const;
          },
        ),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), budget);
        }),
      ]);
      clearTimeout(timer);
      if (outcome === 'timeout') this.log.warn({ part: part.name, budgetMs: budget }, 'stop timed out; abandoned');
      else this.log.debug({ part: part.name }, outcome);
    }
  }
}
