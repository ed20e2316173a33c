import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BusMessage, CreateOptions, PipelineRunner, RunningPipeline, SampleTiming } from './runner.js';

export type HostCommand =
  | { op: 'play' | 'pause' | 'eos' | 'stop' }
  | { op: 'seek'; seconds: number }
  | { op: 'set'; element: string; property: string; value: string | number | boolean }
  | { op: 'pad'; element: string; pad: string; property: string; value: string | number | boolean }
  | { op: 'keyframe' | 'restart'; element: string }
  | { op: 'watch'; element: string; property: string };

export type HostReport =
  { type: 'bus'; message: BusMessage } | { type: 'snapshot'; values: Record<string, unknown>; position: number; duration: number };

const HOST = fileURLToPath(new URL('./pipeline-host.ts', import.meta.url));
/**
 * tsx found from this file, not from the working directory: `classbox run` started from anywhere
 * (a service unit's own directory, a technician's home) would otherwise start no pipeline process.
 */
export const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/** A stopped pipeline's process that has not exited by then is killed. */
const STOP_GRACE_MS = 2000;

/**
 * A pipeline in a process of its own, for what can crash GStreamer: display sinks (a driver, a
 * headless host) and decoders of media the box did not make. Its crash is a bus error of that
 * pipeline, which its supervisor handles like any other (the picture is lost and retried, the room
 * goes on). Properties are read from a snapshot the process sends every 200 ms; commands are sent
 * and not waited for.
 */
class ChildPipeline implements RunningPipeline {
  private readonly child: ChildProcess;
  private readonly listeners: Array<(m: BusMessage) => void> = [];
  private readonly values = new Map<string, unknown>();
  private readonly watched = new Set<string>();
  private pos = -1;
  private dur = -1;
  private stopped = false;

  constructor(launch: string, options: CreateOptions) {
    this.child = fork(HOST, [], {
      env: { ...process.env, ...options.env, CLASSBOX_PIPELINE: launch, CLASSBOX_CREATE: JSON.stringify({ ...options, env: undefined }) },
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (r: HostReport) => {
      if (r.type === 'bus') this.emit(r.message);
      else {
        for (const [k, v] of Object.entries(r.values)) this.values.set(k, v);
        this.pos = r.position;
        this.dur = r.duration;
      }
    });
    this.child.on('error', () => undefined);
    this.child.on('exit', (code, signal) => {
      if (this.stopped) return;
      this.stopped = true;
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.emit({ type: 'error', source: 'pipeline', text: `the pipeline's own process was ${how}` });
    });
  }

  private emit(m: BusMessage): void {
    for (const fn of this.listeners) fn(m);
  }

  private send(c: HostCommand): void {
    if (this.stopped || !this.child.connected) return;
    this.child.send(c, (err) => err && undefined);
  }

  play(): void {
    this.send({ op: 'play' });
  }
  pause(): void {
    this.send({ op: 'pause' });
  }
  stop(): void {
    if (this.stopped) return;
    this.send({ op: 'stop' });
    this.stopped = true;
    const kill = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    kill.unref();
    this.child.once('exit', () => clearTimeout(kill));
  }
  sendEos(): void {
    this.send({ op: 'eos' });
  }
  seek(seconds: number): boolean {
    if (this.stopped || this.dur <= 0) return false;
    this.send({ op: 'seek', seconds });
    return true;
  }
  position(): number {
    return this.pos;
  }
  duration(): number {
    return this.dur;
  }
  get(element: string, property: string): unknown {
    const key = `${element}\u0000${property}`;
    if (!this.watched.has(key)) {
      this.watched.add(key);
      this.send({ op: 'watch', element, property });
    }
    return this.values.get(key);
  }
  set(element: string, property: string, value: string | number | boolean): boolean {
    this.send({ op: 'set', element, property, value });
    return !this.stopped;
  }
  setPad(element: string, pad: string, property: string, value: string | number | boolean): boolean {
    this.send({ op: 'pad', element, pad, property, value });
    return !this.stopped;
  }
  pullLoop(): void {
    throw new Error('samples are not carried across processes: run this pipeline in the service');
  }
  handOver(): boolean {
    return false;
  }
  push(_appsrc: string, _buf: Buffer, _timing: SampleTiming): boolean {
    return false;
  }
  forceKeyUnit(element: string): void {
    this.send({ op: 'keyframe', element });
  }
  restartElement(element: string): boolean {
    this.send({ op: 'restart', element });
    return !this.stopped;
  }
  latencyMs(): number | null {
    return null;
  }
  onMessage(fn: (m: BusMessage) => void): void {
    this.listeners.push(fn);
  }
}

/** Runs each pipeline in a process of its own (see ChildPipeline). */
export class ChildProcessRunner implements PipelineRunner {
  create(launch: string, options: CreateOptions = {}): RunningPipeline {
    return new ChildPipeline(launch, options);
  }
}
