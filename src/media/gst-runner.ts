import { createRequire } from 'node:module';
import { LeadPace, type PacedKind, type PaceSpec } from './lead-pace.js';
import { parseLevel } from './audio-levels.js';
import { SRT_PACKET_BYTES } from './outputs.js';
import type { BusMessage, CreateOptions, PipelineRunner, RunningPipeline, SampleTiming } from './runner.js';

interface GstElement {
  [property: string]: unknown;
  /** Each sample as the appsink gets it with its timing (ns, -1 for none); null at end of stream. A null callback stops the feed. */
  onSample?(
    cb: ((buf: Buffer | null, pts: number, dts: number, duration: number, delta: boolean) => void) | null,
    maxQueued?: number,
  ): void;
  /** Drops the element reference the wrapper holds (the pipeline cannot be freed before). */
  release?(): void;
  push?(buf: Buffer, pts: number, dts: number, duration: number, delta: boolean): void;
  /** An appsink with a feed hands each sample to an appsrc of another pipeline on its streaming thread (see handOver). */
  handTo?(appsrc: GstElement, dtsBeforePtsNs: number, rebaseNs: number, lateAfterNs: number): boolean;
}

/** How often a paced lesson's probes ask what the elements before their sinks report they need (ns). */
const LATENCY_ASKED_NS = 2_000_000_000;

/** A source timeline more than this far from the pipeline's clock has jumped (a restarted composite). */
const REBASE_NS = 1_000_000_000;
/**
 * What a sample may take from being made to being handed to another pipeline (ns): encoding (x264's
 * frame at 720p, 8-35 ms at the anchor's output) and a turn of the event loop. Beyond it, a sample is
 * late, not the stream's timing.
 */
const HANDOVER_NS = 100_000_000;

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
  /** To NULL and let go: elements, threads, bus and its sockets are freed (after the element wrappers are released). */
  dispose(): void;
  /** Clock time minus base time, in ns; -1 before the pipeline has a clock. */
  runningTime(): number;
  /** One element to NULL and back to the pipeline's state; false when there is none or it did not come back. */
  restartElement(name: string): boolean;
  /** Every element of a factory takes each buffer list it is pushed as buffers of up to `maxBytes`; how many there are. */
  packPackets(factory: string, maxBytes: number): number;
  /** The pipeline's latency in seconds, fixed once set (GstPipeline's `latency`). */
  latency: number;
}

type Binding = { Pipeline: new (launch: string) => GstPipeline; trimMemory?: (done: (released: boolean) => void) => void };

const TRIM_EVERY_MS = 60_000;
let lastTrimAt = -Infinity;
let trims = 0;

/**
 * Gives the memory malloc keeps but nothing uses back to the system (see the binding), on a worker
 * thread: it walks every arena under its lock, which took up to a second on a loaded box. Only where
 * GStreamer is loaded; resolves false when there was nothing to give back (or when it last trimmed
 * under a minute ago).
 */
export function trimMemory(): Promise<boolean> {
  const trim = binding?.trimMemory;
  // At most once a minute: while it walks an arena, every streaming thread that allocates from it
  // waits, and a classroom's uplink waiting for its caller is rebuilt every few seconds.
  if (!trim || Date.now() - lastTrimAt < TRIM_EVERY_MS) return Promise.resolve(false);
  lastTrimAt = Date.now();
  trims++;
  return new Promise((resolve) => trim(resolve));
}

/** How many trims this process has made. */
export const trimsMade = () => trims;

let trimTimer: NodeJS.Timeout | undefined;
/** One trim a few seconds after pipelines were let go (a restart lets go of several at once). */
function scheduleTrim(): void {
  if (trimTimer) return;
  trimTimer = setTimeout(() => {
    trimTimer = undefined;
    void trimMemory();
  }, 3000);
  trimTimer.unref();
}

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
  private readonly feeds = new Set<GstElement>();
  /** Added to incoming timestamps to put them on this pipeline's running time. */
  private offsetNs: number | undefined;
  /** The last incoming timestamp: a jump from it means the source's timeline changed. */
  private lastAt = -1;

  constructor(private readonly p: GstPipeline) {}

  play(): void {
    this.startPolling();
    this.p.play();
  }
  pause(): void {
    this.p.pause();
  }
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const f of this.feeds) f.onSample?.(null);
    this.feeds.clear();
    // A stopped pipeline is never played again (supervisors build a new one): let go of all of it.
    // Only stopped, each held its elements, threads, bus and the bus's socket pair for good: three
    // descriptors and about 1 MB per restart, segment measured or reconnect attempt.
    for (const e of this.elements.values()) e?.release?.();
    this.elements.clear();
    this.p.dispose();
    scheduleTrim();
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
  pullLoop(appsink: string, onSample: (buf: Buffer, timing: SampleTiming) => void, maxQueued = 64): void {
    const sink = this.child(appsink);
    if (!sink?.onSample) throw new Error(`no appsink "${appsink}"`);
    this.feeds.add(sink);
    sink.onSample((buf, pts, dts, duration, delta) => {
      if (!buf || this.stopped) return;
      const now = pts >= 0 ? this.p.runningTime() : -1;
      onSample(buf, { pts, dts, duration, delta, ...(now >= 0 ? { ageNs: now - pts } : {}) });
    }, maxQueued);
  }
  push(appsrc: string, buf: Buffer, timing: SampleTiming): boolean {
    const src = this.child(appsrc);
    if (!src?.push || this.stopped) return false;
    const at = timing.dts >= 0 ? Math.min(timing.dts, timing.pts >= 0 ? timing.pts : timing.dts) : timing.pts;
    if (at < 0) return false;
    // When the sample was made, for the offset: its PTS. A sound frame ordered ahead of its time for a
    // muxer (its DTS earlier, see muxedAhead) that took the offset by its DTS would have stamped the
    // whole stream that much into the future, and a sink on the clock held it that long.
    const made = timing.pts >= 0 ? timing.pts : at;
    // The clock is asked only to take an offset: at the first sample, and when the source's timeline
    // jumps (a restarted composite starts again near zero). In between, the encoder's spacing is kept.
    if (this.offsetNs === undefined || this.lastAt < 0 || Math.abs(made - this.lastAt) > REBASE_NS) {
      const now = this.p.runningTime();
      // No clock yet (still starting): nothing to place it by, and a muxer given untimed buffers
      // interleaves sound and picture wrongly.
      if (now < 0) return false;
      // Placed as it comes, less what it waited beyond HANDOVER_NS to be handed on: a first sample that
      // came late (the service's thread busy as a class starts) placed the whole stream that much into
      // the future, and a sink on the clock held every sample that long for the rest of the class.
      const late = Math.max(0, (timing.ageNs ?? 0) - HANDOVER_NS);
      if (this.offsetNs === undefined || Math.abs(made + this.offsetNs - now) > REBASE_NS) this.offsetNs = now - late - made;
    }
    this.lastAt = made;
    const offset = this.offsetNs;
    // Sound comes out of the composite behind the picture of the same instant (AAC's frame and encoder
    // delay): when a picture took the offset, the sound queued behind it would be stamped before this
    // pipeline started. Such a buffer went out at zero, a sound frame 2-20 ms after the one before it, at
    // the start of a stream now and then; it is dropped instead (a stream's first tens of milliseconds of sound).
    if (at + offset < 0) return false;
    src.push(buf, timing.pts >= 0 ? timing.pts + offset : -1, timing.dts >= 0 ? timing.dts + offset : -1, timing.duration, timing.delta);
    return true;
  }
  handOver(appsink: string, to: RunningPipeline, appsrc: string, dtsBeforePtsNs = 0): boolean {
    if (!(to instanceof GstRunningPipeline) || this.stopped || to.stopped) return false;
    const sink = this.child(appsink);
    const src = to.child(appsrc);
    return !!(sink?.handTo && src && sink.handTo(src, dtsBeforePtsNs, REBASE_NS, HANDOVER_NS));
  }
  forceKeyUnit(element: string): void {
    if (this.child(element)) this.p.forceKeyUnit(element, 1);
  }
  restartElement(element: string): boolean {
    return !this.stopped && this.p.restartElement(element);
  }
  latencyMs(sink: string): number | null {
    const s = this.stopped ? -1 : this.p.queryLatency(sink);
    return s >= 0 ? Math.round(s * 1000) : null;
  }
  /** Plays the lesson earlier by what it has to spare (see LeadPace); each change is posted as a `pace` message. */
  pace(spec: PaceSpec): void {
    const pace = new LeadPace(spec.marginMs);
    const move = (offset: number | undefined) => {
      if (offset === undefined) return;
      for (const [kind, [element, pad]] of Object.entries(spec.pads) as Array<[PacedKind, [string, string]]>)
        this.p.setPadProperty(element, pad, 'offset', pace.offsetOf(kind));
      const m: BusMessage = {
        type: 'pace',
        source: spec.probes.picture,
        paceMs: Math.round(offset / 1e6),
        pictureAheadMs: pace.pictureAheadMs,
        spareMs: pace.spareMs,
      };
      for (const fn of this.listeners) fn(m);
    };
    for (const [kind, probe] of Object.entries(spec.probes) as Array<[PacedKind, string]>) {
      // What the elements between the probe and its sink report they need (a latency query each side),
      // asked again every few seconds, not for every frame.
      let reported = 0;
      let askedAt = -Infinity;
      this.pullLoop(
        probe,
        (_buf, timing) => {
          const now = this.p.runningTime();
          if (now - askedAt > LATENCY_ASKED_NS) {
            const [sink, at] = [this.p.queryLatency(spec.sinks[kind]), this.p.queryLatency(probe)];
            reported = sink >= 0 && at >= 0 ? Math.max(0, sink - at) * 1e9 : 0;
            askedAt = now;
          }
          move(pace.frame(kind, timing.pts, now, reported));
        },
        8,
      );
    }
    // A frame a sink dropped as late (video sinks post QoS messages for each).
    this.listeners.push((m) => {
      if (m.type === 'qos') move(pace.dropped(this.p.runningTime()));
    });
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
      if (raw.name === 'level' && typeof raw.rms === 'string') m.levelDb = parseLevel(raw.rms);
      for (const fn of this.listeners) fn(m);
    });
  }
}

/** The real runner: gstreamer-superficial, in this process. */
export class GstRunner implements PipelineRunner {
  create(launch: string, options: CreateOptions = {}): RunningPipeline {
    const gst = new (load().Pipeline)(launch);
    gst.packPackets('srtsink', SRT_PACKET_BYTES);
    if (options.latencyMs !== undefined) gst.latency = options.latencyMs / 1000;
    const p = new GstRunningPipeline(gst);
    if (options.pace) p.pace(options.pace);
    return p;
  }
}
