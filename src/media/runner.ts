import type { PaceSpec } from './lead-pace.js';
/** The one edge between classbox and GStreamer: a pipeline from a launch string, its bus, and its named elements. */
export interface BusMessage {
  type: string;
  /** Name of the element that posted it; the pipeline itself is `pipelineN`. */
  source: string;
  /** Error and warning text. */
  text?: string;
  newState?: string;
  /** A `level` meter's reading: RMS over its interval, dBFS, the channels' power mean. */
  levelDb?: number;
  /** A `pace` message: how far a remote stream's timing was moved to play it earlier (ms). */
  paceMs?: number;
  /** A `pace` message: how much earlier than the sound the picture plays (ms). */
  pictureAheadMs?: number;
  /** With a move earlier: what each kind of frame could spare in the measure that decided it (ms). */
  spareMs?: Record<string, number>;
}

/** Timing of an encoded sample as the encoder stamped it (nanoseconds; -1 when none). */
export interface SampleTiming {
  pts: number;
  dts: number;
  duration: number;
  /** Not a key frame. */
  delta: boolean;
  /**
   * How long ago it was made (its PTS) by its own pipeline's clock when it was handed on, read in the
   * same turn of the event loop (see `push`). Unset: not known.
   */
  ageNs?: number;
}

export interface RunningPipeline {
  play(): void;
  pause(): void;
  /**
   * To NULL, and the pipeline is let go of: devices released, files closed, its threads, bus and
   * memory freed. A stopped pipeline is not played again; build a new one.
   */
  stop(): void;
  sendEos(): void;
  /** Flushing, accurate seek to whole seconds (what the binding takes). */
  seek(seconds: number): boolean;
  position(): number;
  duration(): number;
  get(element: string, property: string): unknown;
  /** False when no such element. */
  set(element: string, property: string, value: string | number | boolean): boolean;
  setPad(element: string, pad: string, property: string, value: number | string | boolean): boolean;
  /**
   * Delivers each sample of an appsink as it arrives, until the pipeline stops. No thread waits for
   * samples: the appsink wakes the event loop. At most `maxQueued` wait for JS; older ones are dropped.
   */
  pullLoop(appsink: string, onSample: (buf: Buffer, timing: SampleTiming) => void, maxQueued?: number): void;
  /**
   * Pushes into an appsrc with the encoder's timing, moved onto this pipeline's clock by one offset
   * (shared by all its appsrcs, so sound and picture stay together; taken anew when the source's
   * timeline jumps, as after a composite restart).
   */
  push(appsrc: string, buf: Buffer, timing: SampleTiming): boolean;
  /**
   * From now on each sample of this pipeline's appsink (fed by `pullLoop`) is also pushed into `to`'s
   * appsrc on GStreamer's streaming thread, placed as `push` places it (one offset for all that `to`
   * is handed), until `to` stops: no event loop between the two pipelines. `dtsBeforePtsNs` orders
   * each sample that far before its time (see muxedAhead). False where it cannot be (another runner,
   * no such element): the caller pushes.
   */
  handOver(appsink: string, to: RunningPipeline, appsrc: string, dtsBeforePtsNs?: number): boolean;
  forceKeyUnit(element: string): void;
  /**
   * One element to NULL and back to the pipeline's state while the rest plays on: a network source
   * called anew. False when there is no such element (or the pipeline is stopped).
   */
  restartElement(element: string): boolean;
  /** Milliseconds of live latency upstream of a sink element; null when not live or not known yet. */
  latencyMs(sink: string): number | null;
  onMessage(fn: (m: BusMessage) => void): void;
}

export interface CreateOptions {
  /** Environment of the pipeline's own process (a screen's DISPLAY); a runner in this process has one for all and ignores it. */
  env?: Record<string, string>;
  /** Play an SRT lesson earlier by what it has to spare (see LeadPace). */
  pace?: PaceSpec;
  /**
   * The pipeline's latency, fixed (ms): what its sinks on the clock wait beyond each buffer's time,
   * whatever its elements report and whenever they are linked (see LESSON_LATENCY_MS).
   */
  latencyMs?: number;
}

export interface PipelineRunner {
  /** Throws when the line does not parse or an element is missing (`no element "x"`). */
  create(launch: string, options?: CreateOptions): RunningPipeline;
}

/** Parses `rendered=(guint64)29` out of a GstBaseSink `stats` structure string. */
export function renderedFrames(stats: unknown): number {
  const m = /rendered=\(guint64\)(\d+)/.exec(String(stats ?? ''));
  return m ? Number(m[1]) : 0;
}
