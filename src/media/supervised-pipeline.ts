import type { Logger } from 'pino';
import type { CreateOptions, PipelineRunner, RunningPipeline } from './runner.js';

export type SupervisedState = 'starting' | 'running' | 'down' | 'stopped';

export interface SupervisedOptions {
  id: string;
  runner: PipelineRunner;
  log: Logger;
  /** The launch string, rebuilt at each (re)start so it reflects the current layout. */
  launch: () => string;
  /** What the pipeline is created with (a screen's DISPLAY, a lesson's pace and latency), read at each (re)start. */
  create?: () => CreateOptions;
  /** Waits between restarts; the last one repeats. */
  backoffMs: readonly number[];
  /** True once the pipeline really delivers (frames rendered, state PLAYING...). Polled every `checkMs`. */
  isUp: (p: RunningPipeline) => boolean;
  /** Called at each check while running: why it must be rebuilt (treated like an error), undefined while it is well. */
  fault?: (p: RunningPipeline) => string | undefined;
  /**
   * For a pipeline that recovers by itself (an SRT caller reconnects on its own): a counter that grows
   * while it delivers (frames rendered). Unchanged for `stallMs`: `onDown` while it keeps running; growing
   * again: `onUp`; still unchanged after `stallRestartMs`: rebuilt like a failure.
   */
  progress?: {
    count: (p: RunningPipeline) => number;
    stallMs: number;
    stallRestartMs: number;
    /** Still nothing delivered this long after a start: `onDown` once, and it waits on (a listener for its caller). */
    startMs?: number;
    /** Called once when it stalls, after `onDown`: what helps it recover while the rest plays on. */
    onStall?: (p: RunningPipeline) => void;
  };
  checkMs?: number;
  /** Called at each check while it starts or runs: the pipeline's own upkeep (an SRT receiver's latency). */
  watch?: (p: RunningPipeline) => void;
  onStarted?: (p: RunningPipeline) => void;
  onUp?: (p: RunningPipeline, attempt: number) => void;
  onDown?: (reason: string, attempt: number) => void;
  /** End of stream is the end of one loop (a looping file): rebuild at once, quietly. */
  loopOnEos?: boolean;
}

/**
 * One pipeline kept alive: built, played, watched (bus errors, end of stream, stalls), and rebuilt
 * with backoff when it fails. Its failure never touches another pipeline.
 */
export class SupervisedPipeline {
  state: SupervisedState = 'stopped';
  pipeline: RunningPipeline | undefined;
  /** Consecutive failed attempts; reset when the pipeline comes up. */
  attempt = 0;
  lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checker: NodeJS.Timeout | undefined;
  private generation = 0;
  private lastCount = -1;
  private lastProgressAt = 0;
  /** Since when a running pipeline has delivered nothing new (undefined: it delivers). */
  private stalledSince: number | undefined;
  private startedAt = 0;

  constructor(private readonly o: SupervisedOptions) {}

  get id(): string {
    return this.o.id;
  }

  start(): void {
    if (this.state !== 'stopped') return;
    this.attempt = 0;
    this.launch();
  }

  private launch(): void {
    const generation = ++this.generation;
    this.state = 'starting';
    this.startedAt = Date.now();
    let p: RunningPipeline;
    try {
      p = this.o.runner.create(this.o.launch(), this.o.create?.() ?? {});
    } catch (err) {
      this.fail((err as Error).message, generation);
      return;
    }
    this.pipeline = p;
    p.onMessage((m) => {
      if (generation !== this.generation) return;
      if (m.type === 'error') this.fail(`${m.source}: ${m.text ?? 'error'}`, generation);
      else if (m.type === 'eos') {
        if (this.o.loopOnEos && this.state === 'running') this.loop(generation);
        else this.fail('end of stream', generation);
      }
    });
    try {
      p.play();
    } catch (err) {
      this.fail((err as Error).message, generation);
      return;
    }
    this.o.onStarted?.(p);
    this.checker = setInterval(() => this.check(generation), this.o.checkMs ?? 250);
  }

  private check(generation: number): void {
    const p = this.pipeline;
    if (generation !== this.generation || !p) return;
    this.o.watch?.(p);
    const fault = this.state === 'running' ? this.o.fault?.(p) : undefined;
    if (this.state === 'starting' && this.o.isUp(p)) {
      this.state = 'running';
      const attempts = this.attempt;
      this.attempt = 0;
      this.lastError = undefined;
      this.lastProgressAt = Date.now();
      this.lastCount = -1;
      this.stalledSince = undefined;
      this.o.onUp?.(p, attempts);
    } else if (this.state === 'starting' && this.o.progress?.startMs !== undefined && this.stalledSince === undefined) {
      if (Date.now() - this.startedAt < this.o.progress.startMs) return;
      this.stalledSince = Date.now();
      this.o.log.warn({ pipeline: this.o.id, waitedMs: Date.now() - this.startedAt }, 'nothing delivered yet; waiting for it');
      this.o.onDown?.('waiting: nothing delivered yet', 0);
    } else if (fault !== undefined) {
      this.fail(fault, generation);
    } else if (this.state === 'running' && this.o.progress) {
      this.watchProgress(p, generation, this.o.progress);
    }
  }

  private watchProgress(p: RunningPipeline, generation: number, progress: NonNullable<SupervisedOptions['progress']>): void {
    const count = progress.count(p);
    const now = Date.now();
    if (count !== this.lastCount) {
      this.lastCount = count;
      this.lastProgressAt = now;
      if (this.stalledSince !== undefined) {
        this.stalledSince = undefined;
        this.o.log.info({ pipeline: this.o.id }, 'delivering again');
        this.o.onUp?.(p, 0);
      }
      return;
    }
    if (this.stalledSince === undefined && now - this.lastProgressAt >= progress.stallMs) {
      this.stalledSince = now;
      this.o.log.warn({ pipeline: this.o.id, stalledMs: now - this.lastProgressAt }, 'nothing new delivered; waiting for it to recover');
      this.o.onDown?.('stalled: no new frames', 0);
      progress.onStall?.(p);
    } else if (this.stalledSince !== undefined && now - this.stalledSince >= progress.stallRestartMs) {
      this.stalledSince = undefined;
      this.fail(`stalled for ${Math.round((now - this.lastProgressAt) / 1000)} s: rebuilt`, generation);
    }
  }

  /**
   * Reopening the file each loop (rather than seeking back) notices a file that was removed or
   * replaced: the reopen fails and the normal failure path takes over.
   */
  private loop(generation: number): void {
    if (generation !== this.generation) return;
    this.teardown();
    this.launch();
    // Still the same healthy source: it stays "running" unless the reopen fails.
    if (this.state === 'starting') this.state = 'running';
  }

  /** Tears the pipeline down and schedules the next attempt. */
  private fail(reason: string, generation: number): void {
    if (generation !== this.generation || this.state === 'stopped' || this.state === 'down') return;
    this.teardown();
    this.state = 'down';
    this.lastError = reason;
    const attempt = ++this.attempt;
    this.o.log.warn({ pipeline: this.o.id, reason, attempt }, 'pipeline down');
    this.o.onDown?.(reason, attempt);
    const wait = this.o.backoffMs[Math.min(attempt - 1, this.o.backoffMs.length - 1)] ?? 1000;
    this.timer = setTimeout(() => {
      if (this.state === 'down') this.launch();
    }, wait);
  }

  /** Restart now (a `pipeline/restart` request), counting it as a failure for the events. */
  restart(reason: string): void {
    if (this.state === 'stopped') return;
    this.fail(reason, this.generation);
  }

  private teardown(): void {
    this.stalledSince = undefined;
    clearInterval(this.checker);
    this.checker = undefined;
    const p = this.pipeline;
    this.pipeline = undefined;
    this.generation++;
    try {
      p?.stop();
    } catch (err) {
      this.o.log.error({ pipeline: this.o.id, err }, 'stop failed');
    }
  }

  /**
   * Stops for good. With `eosMs`, sends end-of-stream first and waits for it (so muxers write their
   * last cluster), at most that long.
   */
  async stop(eosMs = 0): Promise<void> {
    clearTimeout(this.timer);
    const p = this.pipeline;
    if (p && eosMs > 0 && this.state === 'running') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          // Files are still closed by the muxers that saw it; a pipeline that never posts it waits here at every stop.
          this.o.log.warn({ pipeline: this.o.id, waitedMs: eosMs }, 'end-of-stream did not come through; stopped anyway');
          resolve();
        }, eosMs);
        p.onMessage((m) => {
          if (m.type === 'eos') {
            clearTimeout(t);
            resolve();
          }
        });
        this.generation++; // EOS now means "done", not "failed"
        p.sendEos();
      });
    }
    this.teardown();
    this.state = 'stopped';
  }
}
