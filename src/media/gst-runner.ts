import { createRequire } from 'node:module';
import type { BusMessage, PipelineRunner, RunningPipeline } from './runner.js';

interface GstElement {
  [property: string]: unknown;
  /** A sample, null at end of stream or once stopped, undefined when none came within the binding's wait. */
  pull?(cb: (buf: Buffer | null | undefined) => void): void;
  push?(buf: Buffer): void;
}

interface GstPipeline {
  play(): void;
  pause(): void;
  stop(): void;
  sendEOS(): void;
  seek(seconds: number, flags?: number): boolean;
  queryPosition(): number;
  queryDuration(): number;
  forceKeyUnit(name: string, count: number): void;
  findChild(name: string): GstElement | undefined;
  setPadProperty(element: string, pad: string, property: string, value: unknown): boolean;
  queryLatency(sink: string): number;
  pollBus(cb: (m: Record<string, unknown>) => void): void;
}

type Binding = { Pipeline: new (launch: string) => GstPipeline };

const SEEK_FLUSH = 1 << 0;
const SEEK_ACCURATE = 1 << 1;

let binding: Binding | undefined;
function load(): Binding {
  // A CommonJS native addon: ESM cannot import a .node file directly.
  binding ??= createRequire(import.meta.url)('gstreamer-superficial') as Binding;
  return binding;
}

class GstRunningPipeline implements RunningPipeline {
  private readonly listeners: Array<(m: BusMessage) => void> = [];
  /**
   * findChild wraps the element anew each call (listing every GObject property and defining an
   * accessor for each) and takes a reference it never drops: once per element, not once per frame.
   */
  private readonly elements = new Map<string, GstElement | undefined>();
  private stopped = false;
  private polling = false;

  constructor(private readonly p: GstPipeline) {}

  play(): void {
    this.startPolling();
    this.p.play();
  }
  pause(): void {
    this.p.pause();
  }
  stop(): void {
    this.stopped = true;
    this.p.stop();
  }
  sendEos(): void {
    this.p.sendEOS();
  }
  seek(seconds: number): boolean {
    // FLUSH | ACCURATE. Without FLUSH a seek while paused waits for the prerolled sink forever.
    // The binding takes whole seconds.
    return this.p.seek(Math.round(seconds), SEEK_FLUSH | SEEK_ACCURATE);
  }
  position(): number {
    return this.p.queryPosition();
  }
  duration(): number {
    return this.p.queryDuration();
  }
  private child(name: string): GstElement | undefined {
    if (!this.elements.has(name)) this.elements.set(name, this.p.findChild(name));
    return this.elements.get(name);
  }
  get(element: string, property: string): unknown {
    return this.child(element)?.[property];
  }
  set(element: string, property: string, value: string | number | boolean): boolean {
    const e = this.child(element);
    if (!e) return false;
    e[property] = value;
    return true;
  }
  setPad(element: string, pad: string, property: string, value: number | string | boolean): boolean {
    return this.p.setPadProperty(element, pad, property, value);
  }
  pullLoop(appsink: string, onSample: (buf: Buffer) => void): void {
    const sink = this.child(appsink);
    if (!sink?.pull) throw new Error(`no appsink "${appsink}"`);
    const next = () => {
      if (this.stopped) return;
      sink.pull!((buf) => {
        if (buf === null || this.stopped) return;
        if (buf !== undefined) onSample(buf);
        next();
      });
    };
    next();
  }
  push(appsrc: string, buf: Buffer): boolean {
    const src = this.child(appsrc);
    if (!src?.push || this.stopped) return false;
    src.push(buf);
    return true;
  }
  forceKeyUnit(element: string): void {
    if (this.child(element)) this.p.forceKeyUnit(element, 1);
  }
  latencyMs(sink: string): number | null {
    const s = this.stopped ? -1 : this.p.queryLatency(sink);
    return s >= 0 ? Math.round(s * 1000) : null;
  }
  onMessage(fn: (m: BusMessage) => void): void {
    this.listeners.push(fn);
  }

  private startPolling(): void {
    if (this.polling) return;
    this.polling = true;
    this.p.pollBus((raw) => {
      const m: BusMessage = { type: String(raw.type), source: String(raw._src_element_name ?? '') };
      if (typeof raw.message === 'string') m.text = raw.message;
      if (typeof raw['new-state'] === 'string') m.newState = raw['new-state'].replace('GST_STATE_', '').toLowerCase();
      for (const fn of this.listeners) fn(m);
    });
  }
}

/** The real runner: gstreamer-superficial, in this process. */
export class GstRunner implements PipelineRunner {
  create(launch: string): RunningPipeline {
    return new GstRunningPipeline(new (load().Pipeline)(launch));
  }
}
