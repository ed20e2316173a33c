import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { EventBus } from '../../core/events.js';
import { TSX } from '../child-runner.js';
import type { Config } from '../../config/schema.js';
import type { MediaGraph } from '../graph.js';
import type { EchoPorts, EchoReport } from './echo-link.js';
import { cancelsEcho } from '../audio.js';
import { freeLoopbackPorts } from '../sound-link.js';

const HOST = fileURLToPath(new URL('./echo-host.ts', import.meta.url));
/** Restarts allowed in RESTART_WINDOW_MS before the room goes on without echo cancelling. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;
const READY_TIMEOUT_MS = 10_000;

export interface EchoStats {
  /** The canceller runs and the microphone goes through it. */
  active: boolean;
  /** Something plays and the canceller hears it. */
  paired: boolean;
  echoDelayMs: number | null;
  /** Times the far end was paired with the microphone again since the canceller started (each costs what it had learnt of the echo's timing). */
  realigned: number;
  /** Microphone blocks sent on without their whole far end (it came too late): their echo went out whole. */
  farLate: number;
  /** Times the echo jumped against what the speakers were given (their skew corrected, the room changed) and was followed. */
  jumps: number;
  /** Times the echo was found before (or too near) its far end, and the far end paired newer for it. */
  echoBeforeFarEnd: number;
  /** How much faster the speakers' clock runs than the microphone's, as the canceller follows it (ppm). */
  driftPpm: number;
  /** Milliseconds of work a second (of the canceller's process). */
  busyMsPerS: number;
}

/** Three loopback UDP ports free now (the canceller's two, and the one the microphone comes back on). */
async function freePorts(): Promise<EchoPorts> {
  const [far, mic, clean] = (await freeLoopbackPorts(3)) as [number, number, number];
  return { far, mic, clean };
}

/**
 * The echo canceller's process, kept running: restarted when it dies, and given up on (the microphone
 * then goes straight to the lesson, with its echo) after MAX_RESTARTS in a minute, with
 * `audio.echo_cancel_failed`. The ports stay the same for the life of the service, so the pipelines
 * built with them need not change when the process restarts.
 */
export class EchoCancel {
  private child: ChildProcess | undefined;
  private ports: EchoPorts | undefined;
  private stopped = false;
  private failed = false;
  private restarts: number[] = [];
  private last: Extract<EchoReport, { type: 'stats' }> | undefined;
  private lastBusy = 0;
  private busyPerS = 0;

  constructor(
    private readonly log: Logger,
    private readonly bus: EventBus,
    /** The room's microphone pipeline is to be built again (without the canceller, once it has failed). */
    private readonly rebuildMic: () => void,
  ) {}

  /** The ports to build pipelines with; undefined when the canceller is not running. */
  get graphPorts(): EchoPorts | undefined {
    return this.failed ? undefined : this.ports;
  }

  /** The canceller's process now (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.ports = await freePorts();
    await this.spawn();
  }

  stats(): EchoStats {
    return {
      active: this.child !== undefined && !this.failed,
      paired: this.last?.paired ?? false,
      echoDelayMs: this.last?.echoDelayMs ?? null,
      realigned: this.last?.realigned ?? 0,
      farLate: this.last?.farLate ?? 0,
      jumps: this.last?.jumps ?? 0,
      echoBeforeFarEnd: this.last?.echoBeforeFarEnd ?? 0,
      driftPpm: this.last?.driftPpm ?? 0,
      busyMsPerS: this.busyPerS,
    };
  }

  stop(): void {
    this.stopped = true;
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }

  private spawn(): Promise<void> {
    const child = fork(HOST, [], {
      env: { ...process.env, CLASSBOX_ECHO_PORTS: JSON.stringify(this.ports) },
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.lastBusy = 0;
    const ready = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, READY_TIMEOUT_MS);
      child.on('message', (r: EchoReport) => {
        if (r.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (r.type === 'error') this.log.warn({ reason: r.text }, 'echo canceller: socket error');
        else this.onStats(r);
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => this.onExit(child, signal ? `killed by ${signal}` : `exited with code ${code}`));
    return ready;
  }

  private onStats(r: Extract<EchoReport, { type: 'stats' }>): void {
    const wasPaired = this.last?.paired ?? false;
    this.busyPerS = Math.max(0, r.busyMs - this.lastBusy);
    this.lastBusy = r.busyMs;
    this.last = r;
    if (r.paired !== wasPaired)
      this.log.info(
        { echoDelayMs: r.echoDelayMs, realigned: r.realigned },
        r.paired ? 'echo canceller: hears the speakers' : 'echo canceller: nothing plays',
      );
  }

  private onExit(child: ChildProcess, how: string): void {
    if (this.stopped || child !== this.child) return;
    this.child = undefined;
    const now = Date.now();
    this.restarts = [...this.restarts.filter((t) => now - t < RESTART_WINDOW_MS), now];
    if (this.restarts.length > MAX_RESTARTS) {
      this.failed = true;
      this.log.error({ how }, 'echo canceller: given up; the microphone goes straight out');
      this.bus.emit('audio.echo_cancel_failed', { reason: `the echo canceller ${how}, ${this.restarts.length} times in a minute` });
      this.rebuildMic();
      return;
    }
    this.log.warn({ how, attempt: this.restarts.length }, 'echo canceller: restarted');
    setTimeout(() => void (this.stopped ? undefined : this.spawn()), 1000).unref();
  }
}

/**
 * Where the box both plays sound (a lesson, the classrooms' answers) and captures it, the speakers'
 * echo is taken out of the microphone before it leaves: otherwise the far classroom hears itself.
 * `plain` is the room's graph without the canceller; undefined when the room needs none.
 */
export async function startEchoCancel(
  config: Config,
  plain: MediaGraph,
  log: Logger,
  bus: EventBus,
  rebuildMic: () => void,
): Promise<EchoCancel | undefined> {
  if (!cancelsEcho(config) || !plain.audio || !(plain.speaker || plain.display)) return undefined;
  const echo = new EchoCancel(log, bus, rebuildMic);
  await echo.start();
  return echo;
}
