import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { recordOutputs, type Config } from '../config/schema.js';
import type { EventBus } from '../core/events.js';
import { encodedCodecs, soundTap, type AudioCodec } from './audio.js';
import type { MediaGraph, PipelineSpec } from './graph.js';
import { launchString } from './launch.js';
import type { Rect } from './layouts.js';
import type { CompositeFeed, OutputStats } from './network-outputs.js';
import { RateMeter } from './rate-meter.js';
import { recordingPrefix } from './recording-names.js';
import type { PipelineRunner, RunningPipeline, SampleTiming } from './runner.js';
import { SupervisedPipeline } from './supervised-pipeline.js';

const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000];
/** The composite counts as stalled when no encoded frame left it for this long. */
const STALL_MS = 5000;
/** The preview feed of the composite; the others are named by their source. */
export const COMPOSITE = 'composite';

export interface CompositeContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  runner: PipelineRunner;
  /** The pipelines as they are to run now (the live layout, the recording name). */
  render: () => MediaGraph;
  /** Encoded picture and sound for the network outputs. */
  onVideo: (buf: Buffer, timing: SampleTiming) => void;
  onAudio: (codec: AudioCodec, buf: Buffer, timing: SampleTiming) => void;
  /** Whether the room's microphone has a pipeline (the composite then carries its sound). */
  hasAudio: () => boolean;
  /** Who watches the composite's preview now, if anyone. */
  preview: () => ((frame: Buffer) => void) | undefined;
  /** Sources lost now: their NO SIGNAL slates are shown again in a restarted composite. */
  lostSources: () => string[];
  /** A composite pipeline started: the outputs take its samples from it (see feed). */
  started: () => void;
  changed: () => void;
}

/** The composite's encoded picture, for the network outputs. */
const PICTURE_TAP = 'net-out';

/**
 * The composite: sources laid out, one encode, the recording (Matroska segments named per class and
 * start) and the encoded stream for the network outputs. Supervised alone: restarted with backoff when
 * it stalls, without touching sources or outputs.
 */
export class Composite {
  private main: SupervisedPipeline | undefined;
  private readonly encoded = new RateMeter();
  private lastEncodedFrames = 0;
  private lastFrameAt = 0;
  private filePrefix = '';
  private recording: boolean;
  /** Put into recording names while a class records (its name), so a class's files are found by name. */
  private recordTag: string | undefined;
  /** The prefix of the files the composite is closing while its end-of-stream comes through (see setRecording). */
  private closingPrefix: string | undefined;
  /** The codecs of the sound the running composite carries to the outputs. */
  private soundCodecs: AudioCodec[] = [];

  constructor(
    private readonly ctx: CompositeContext,
    recording: boolean,
  ) {
    this.recording = recording;
    this.filePrefix = this.prefix();
  }

  /** For the graph: the file name prefix and whether the record outputs are in. */
  get recordingOptions(): { filePrefix: string; record: boolean } {
    return { filePrefix: this.filePrefix, record: this.recording };
  }

  get pipeline(): RunningPipeline | undefined {
    return this.main?.pipeline;
  }

  /** The running composite's encoded stream, where the network outputs take it from; undefined while none runs. */
  feed(): CompositeFeed | undefined {
    const pipeline = this.main?.pipeline;
    if (!pipeline) return undefined;
    const codecs = this.soundCodecs;
    return { pipeline, picture: PICTURE_TAP, soundTap: (codec) => (codecs.includes(codec) ? soundTap(codec) : undefined) };
  }

  get supervised(): SupervisedPipeline | undefined {
    return this.main;
  }

  /** The name prefix of the files being written now; undefined when nothing records. */
  get recordingPrefix(): string | undefined {
    return this.closingPrefix ?? (this.isRecording && this.main?.state !== 'stopped' ? this.filePrefix : undefined);
  }

  get isRecording(): boolean {
    return this.recording && recordOutputs(this.ctx.config).length > 0;
  }

  /** `<site>-<room>[-<class>]-<time>`: a fresh name at every composite start, so no segment is overwritten. */
  private prefix(): string {
    return recordingPrefix(this.ctx.config, this.recordTag);
  }

  /**
   * Starts or stops the record outputs. The composite is ended with end-of-stream first, so the open
   * segment is closed whole, and started again with or without them (a second's gap on the network
   * outputs, at the start and end of a class).
   */
  async setRecording(on: boolean, tag?: string): Promise<void> {
    if (on === this.recording && (on ? tag : undefined) === this.recordTag) return;
    const closing = this.recordingPrefix;
    this.recording = on;
    this.recordTag = on ? tag : undefined;
    const main = this.main;
    if (!main) return;
    // Its open segment is written until the end-of-stream has come through (up to 1.5 s under load):
    // measured before that, a segment's duration, size and SHA-256 were of a file still growing, and
    // the lesson joined from it had more frames than its segments said (544 against 501), and failed.
    this.closingPrefix = closing;
    try {
      await main.stop(1500);
    } finally {
      this.closingPrefix = undefined;
    }
    this.filePrefix = this.prefix();
    main.start();
    this.ctx.log.info({ recording: on, tag }, on ? 'recording started' : 'recording stopped');
    this.ctx.changed();
  }

  /** Supervises the composite of `spec` (built, not started). */
  supervise(spec: PipelineSpec): void {
    this.filePrefix = this.prefix();
    const { ctx } = this;
    this.main = new SupervisedPipeline({
      id: spec.id,
      runner: ctx.runner,
      log: ctx.log,
      // Rebuilt at each restart: the live layout and a fresh recording name.
      launch: () => this.ensureDirs() && launchString(ctx.render().main!.tokens),
      backoffMs: BACKOFF_MS,
      checkMs: 500,
      isUp: () => this.encoded.frames > this.lastEncodedFrames,
      fault: () => (Date.now() - this.lastFrameAt < STALL_MS ? undefined : 'stalled: no new frames'),
      onStarted: (p) => {
        this.lastEncodedFrames = this.encoded.frames;
        this.lastFrameAt = Date.now();
        p.pullLoop(PICTURE_TAP, (buf, timing) => this.onEncoded(buf, timing));
        p.pullLoop('preview-out', (buf) => ctx.preview()?.(buf), 2);
        p.set('preview-valve', 'drop', ctx.preview() === undefined);
        this.soundCodecs = ctx.hasAudio() ? encodedCodecs(ctx.config) : [];
        for (const codec of this.soundCodecs) p.pullLoop(soundTap(codec), (buf, timing) => ctx.onAudio(codec, buf, timing), 200);
        // A restarted composite starts with every slate hidden: show the ones whose source is still lost.
        for (const name of ctx.lostSources()) p.set(`${name}-slate`, 'silent', false);
        ctx.started();
      },
      onUp: () => ctx.changed(),
      onDown: (reason, attempt) => {
        this.filePrefix = this.prefix();
        ctx.bus.emit('pipeline.restarted', { pipeline: 'composite', reason, attempt });
        ctx.changed();
      },
    });
  }

  start(): void {
    this.main?.start();
  }

  /** `pipeline/restart`: rebuilds the composite (sources and outputs keep running). */
  restart(): void {
    this.main?.restart('restart requested');
  }

  stop(eosMs: number): Promise<void> {
    return this.main?.stop(eosMs) ?? Promise.resolve();
  }

  /** Each source's picture to its place: compositor pad geometry only, nothing restarts. */
  applyLayout(pads: Record<string, string>, rects: Record<string, Rect>): void {
    const p = this.main?.pipeline;
    if (!p) return;
    for (const [source, pad] of Object.entries(pads)) {
      // zorder first and alpha last, so a picture never shows at its old size in its new place.
      const r = rects[source]!;
      for (const k of ['zorder', 'xpos', 'ypos', 'width', 'height', 'alpha'] as const) p.setPad('mix', pad, k, r[k]);
    }
  }

  /** Shows or hides a source's NO SIGNAL slate. */
  setSlate(name: string, visible: boolean): void {
    this.main?.pipeline?.set(`${name}-slate`, 'silent', !visible);
  }

  /** Whether the NO SIGNAL slate of a source shows now; null without a composite. */
  slateVisible(name: string): boolean | null {
    const silent = this.main?.pipeline?.get(`${name}-slate`, 'silent');
    return typeof silent === 'boolean' ? !silent : null;
  }

  /** A record output's state: running only while it records (between classes the composite runs without it). */
  recordStats(kind: string): OutputStats {
    if (!this.isRecording) return { kind, state: 'stopped', bitrateKbps: 0 };
    const up = this.main?.state === 'running';
    return {
      kind,
      state: up ? 'running' : this.main?.state === 'down' ? 'reconnecting' : this.main ? 'starting' : 'stopped',
      bitrateKbps: up ? this.encoded.rates().kbps : 0,
    };
  }

  /** Encoded frames a second (and kbit/s) over the last window. */
  rates(): { fps: number; kbps: number } {
    return this.encoded.rates();
  }

  /** GStreamer's configured live latency up to the encoded stream (sources, compositor, encoder). */
  latencyMs(): number | null {
    return this.main?.state === 'running' ? (this.main.pipeline?.latencyMs(PICTURE_TAP) ?? null) : null;
  }

  /** Recording and HLS folders, made at each composite start (a USB disk may have been remounted). */
  private ensureDirs(): true {
    for (const o of this.ctx.config.outputs) {
      if (o.kind === 'record' || o.kind === 'hls') {
        try {
          mkdirSync(o.dir, { recursive: true });
        } catch (err) {
          this.ctx.log.error({ output: o.name, dir: o.dir, err }, 'cannot create output folder');
        }
      }
    }
    return true;
  }

  private onEncoded(buf: Buffer, timing: SampleTiming): void {
    this.encoded.add(buf.length);
    this.lastFrameAt = Date.now();
    this.ctx.onVideo(buf, timing);
  }
}
