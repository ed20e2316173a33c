/** The one edge between classbox and GStreamer: a pipeline from a launch string, its bus, and its named elements. */
export interface BusMessage {
  type: string;
  /** Name of the element that posted it; the pipeline itself is `pipelineN`. */
  source: string;
  /** Error and warning text. */
  text?: string;
  newState?: string;
}

export interface RunningPipeline {
  play(): void;
  pause(): void;
  /** To NULL: releases devices, closes files, unblocks pulls and the bus poll. */
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
  /** Pulls samples from an appsink until the pipeline stops; `onSample` gets each buffer. */
  pullLoop(appsink: string, onSample: (buf: Buffer) => void): void;
  push(appsrc: string, buf: Buffer): boolean;
  forceKeyUnit(element: string): void;
  /** Milliseconds of live latency upstream of a sink element; null when not live or not known yet. */
  latencyMs(sink: string): number | null;
  onMessage(fn: (m: BusMessage) => void): void;
}

export interface PipelineRunner {
  /** Throws when the line does not parse or an element is missing (`no element "x"`). */
  create(launch: string): RunningPipeline;
}

/** Parses `rendered=(guint64)29` out of a GstBaseSink `stats` structure string. */
export function renderedFrames(stats: unknown): number {
  const m = /rendered=\(guint64\)(\d+)/.exec(String(stats ?? ''));
  return m ? Number(m[1]) : 0;
}
