import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { recordOutputs, type Config } from '../config/schema.js';
import { ClassboxError } from '../core/errors.js';
import type { EventBus, MediaPipelineState } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import { buildGraph, canvasOf, channelName, initialLayout, INTER_TIMEOUT_NS, type MediaGraph, type PipelineSpec } from './graph.js';
import { launchString } from './launch.js';
import { layoutRects } from './layouts.js';
import type { BoardProfile } from './profiles.js';
import type { SrtLinkStats } from './srt-stats.js';
import type { BusMessage, PipelineRunner, RunningPipeline, SampleTiming } from './runner.js';
import { AudioLevels, pathOfMeter } from './audio-levels.js';
import { isSpeakerFault, lessonFrames, lessonScreen } from './lesson.js';
import { SupervisedPipeline } from './supervised-pipeline.js';
import { Inputs, remoteProgress } from './inputs.js';
import { NetworkOutputs, type OutputStats } from './network-outputs.js';
import { RateMeter } from './rate-meter.js';
import { singleSource } from '../core/layout-names.js';
import { recordingPrefix } from './recording-names.js';
import { Screens, type ScreenStats } from './screens.js';
import { screenEnv } from './displays.js';
import { lessonSource } from '../config/display-schema.js';
import { isSrtListener } from './sources.js';

const MAIN_BACKOFF_MS = [500, 1000, 2000, 5000, 10_000];
/** Network outputs: a live platform that is down is retried patiently. */
/** The composite counts as stalled when no encoded frame left it for this long. */
const MAIN_STALL_MS = 5000;
/** The preview feed of the composite; the others are named by their source. */
export const COMPOSITE = 'composite';

export interface MediaEngineContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  runner: PipelineRunner;
  /** For the display pipeline (a sink that may crash): a runner that keeps it in a process of its own. Default: `runner`. */
  isolatedRunner?: PipelineRunner;
  profile: BoardProfile;
  /** Whether the record outputs run from the start (default true); the classroom records during classes only. */
  recording?: boolean;
  /**
   * Whether the network outputs start with the engine (default true). The classroom streams during
   * classes only: started and stopped at once, a caller output would connect to its listener just to
   * hang up, and a listener that takes one connection (ffmpeg) is then gone for the class.
   */
  streaming?: boolean;
}

export type { OutputStats } from './network-outputs.js';

export interface MediaStats {
  fps: number;
  droppedFrames: number;
  latencyMs: number | null;
  outputs: Record<string, OutputStats>;
  sources: Record<string, { state: 'live' | 'lost' | 'starting'; srt?: SrtLinkStats }>;
  /** dBFS per metered path (`mic`, `speaker`), RMS over the last second; -100 for silence. */
  audio: Record<string, number>;
}

/**
 * Runs a classroom's media as separate supervised pipelines: one per source (into intervideo channels),
 * the composite (layout, one encode, recording, appsink), and one per network output (appsrc). A source
 * that fails shows its NO SIGNAL slate while everything else goes on; an output that fails reconnects
 * alone; the composite restarts with backoff without touching sources or outputs.
 */
export class MediaEngine implements Part {
  readonly name = 'media';
  private graph: MediaGraph | undefined;
  private currentLayout: string;
  private main: SupervisedPipeline | undefined;
  /** Every input pipeline by name: video sources, `audio`, the speakers and the received lesson. */
  private readonly inputs: Inputs;
  private readonly outputs: NetworkOutputs;
  private readonly screens: Screens;
  private readonly encoded = new RateMeter();
  private lastEncodedFrames = 0;
  private lastFrameAt = 0;
  private readonly log: Logger;
  private filePrefix = '';
  private recording: boolean;
  /** Put into recording names while a class records (its name), so a class's files are found by name. */
  private recordTag: string | undefined;

  constructor(private readonly ctx: MediaEngineContext) {
    this.currentLayout = initialLayout(ctx.config, ctx.config.role);
    this.log = ctx.log.child({ part: 'media' });
    this.recording = ctx.recording ?? true;
    this.outputs = new NetworkOutputs({
      config: ctx.config,
      log: this.log,
      bus: ctx.bus,
      runner: ctx.runner,
      requestKeyFrame: () => this.main?.pipeline?.forceKeyUnit('net-out'),
      changed: () => this.emitState(),
    });
    this.inputs = new Inputs({
      config: ctx.config,
      log: this.log,
      bus: ctx.bus,
      runner: ctx.runner,
      compositeSlate: (name, visible) => this.main?.pipeline?.set(`${name}-slate`, 'silent', !visible),
      preview: (name) => this.previewSinks.get(name),
      onMessage: (m) => this.onMeter(m),
      changed: () => this.emitState(),
    });
    this.screens = new Screens({
      config: ctx.config,
      profile: ctx.profile,
      canvas: canvasOf(ctx.config),
      log: this.log,
      bus: ctx.bus,
      runner: ctx.runner,
      isolatedRunner: ctx.isolatedRunner ?? ctx.runner,
      channel: (source) => channelName(ctx.config, source),
      interTimeoutNs: INTER_TIMEOUT_NS,
      lessonMoved: () => this.rebuildLesson(),
    });
  }

  /** The lesson's speakers could not be opened: it plays on, metered only. */
  private speakerFailed = false;
  readonly levels = new AudioLevels();
  private readonly previewSinks = new Map<string, (frame: Buffer) => void>();

  /** What can be previewed: the composite, and each local source on its own. */
  previewFeeds(): string[] {
    return [COMPOSITE, ...(this.graph?.padOrder ?? [])];
  }

  /**
   * Small I420 frames (PREVIEW size) of the composite or of one source for the technician's WebRTC
   * preview, or none: each branch's valve is open only while someone watches it.
   */
  setPreviewSink(feed: string, sink: ((frame: Buffer) => void) | undefined): void {
    if (!this.previewFeeds().includes(feed))
      throw new ClassboxError('not_found', `nothing to preview as "${feed}" (${this.previewFeeds().join(', ')})`);
    if (sink) this.previewSinks.set(feed, sink);
    else this.previewSinks.delete(feed);
    if (feed === COMPOSITE) this.main?.pipeline?.set('preview-valve', 'drop', sink === undefined);
    else this.inputs.pipeline(feed)?.set(`${feed}-preview-valve`, 'drop', sink === undefined);
  }

  /** The name prefix of the files being written now; undefined when nothing records. */
  get recordingPrefix(): string | undefined {
    return this.isRecording && this.main?.state !== 'stopped' ? this.filePrefix : undefined;
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
    this.recording = on;
    this.recordTag = on ? tag : undefined;
    const main = this.main;
    if (!main) return;
    await main.stop(1500);
    this.filePrefix = this.prefix();
    main.start();
    this.log.info({ recording: on, tag }, on ? 'recording started' : 'recording stopped');
    this.emitState();
  }

  get layout(): string {
    return this.currentLayout;
  }

  /** The pipelines as the service runs them (for `classbox pipeline` and tests). */
  render(): MediaGraph {
    return buildGraph(this.ctx.config, this.ctx.profile, this.ctx.config.role, {
      layout: this.currentLayout,
      filePrefix: this.filePrefix,
      record: this.recording,
      displays: this.screens.current(),
      // The speakers could not be opened once: the lesson and the classrooms' sound are metered only.
      ...(this.speakerFailed ? { speaker: 'none' } : {}),
    });
  }

  async start(): Promise<void> {
    this.filePrefix = this.prefix();
    this.graph = this.render();
    const g = this.graph;
    if (g.main) this.main = this.superviseMain(g.main);
    for (const spec of g.sources) {
      const name = spec.id.replace(/^source:/, '');
      const out = `${name}-out`;
      // Another classroom over the network: lost as soon as its frames stop (its SRT connection only
      // times out after 5 s), rebuilt only if it does not come back by itself.
      const source = this.ctx.config.sources[name];
      const progress = source?.kind === 'remote' ? { progress: remoteProgress(out, isSrtListener(source.url)) } : {};
      this.inputs.add(spec, name, out, { slate: true, ...progress });
    }
    if (g.audio) this.inputs.add(g.audio, 'audio', 'audio-out');
    if (g.speaker) this.superviseSpeaker(g.speaker);
    if (g.display) this.superviseDisplay(g.display);
    for (const spec of g.outputs) this.outputs.add(spec);
    this.main?.start();
    this.inputs.startAll();
    this.outputs.startAll(this.ctx.streaming ?? true);
    this.screens.start();
    this.log.info(
      { role: g.role, profile: this.ctx.profile.name, layout: this.currentLayout, sources: g.padOrder, outputs: this.outputs.names() },
      'media started',
    );
  }

  private superviseMain(spec: PipelineSpec): SupervisedPipeline {
    return new SupervisedPipeline({
      id: spec.id,
      runner: this.ctx.runner,
      log: this.log,
      // Rebuilt at each restart: the live layout and a fresh recording name.
      launch: () => this.ensureDirs() && launchString(this.render().main!.tokens),
      backoffMs: MAIN_BACKOFF_MS,
      checkMs: 500,
      isUp: () => this.encoded.frames > this.lastEncodedFrames,
      isAlive: () => Date.now() - this.lastFrameAt < MAIN_STALL_MS,
      onStarted: (p) => {
        this.lastEncodedFrames = this.encoded.frames;
        this.lastFrameAt = Date.now();
        p.pullLoop('net-out', (buf, timing) => this.onEncoded(buf, timing));
        p.pullLoop('preview-out', (buf) => this.previewSinks.get(COMPOSITE)?.(buf), 2);
        p.set('preview-valve', 'drop', !this.previewSinks.has(COMPOSITE));
        if (this.inputs.has('audio')) p.pullLoop('aud-out', (buf, timing) => this.onAudio(buf, timing), 200);
        this.applySlates(p);
      },
      onUp: () => this.emitState(),
      onDown: (reason, attempt) => {
        this.filePrefix = this.prefix();
        this.ctx.bus.emit('pipeline.restarted', { pipeline: 'composite', reason, attempt });
        this.emitState();
      },
    });
  }

  /** Recording and HLS folders, made at each composite start (a USB disk may have been remounted). */
  private ensureDirs(): true {
    for (const o of this.ctx.config.outputs) {
      if (o.kind === 'record' || o.kind === 'hls') {
        try {
          mkdirSync(o.dir, { recursive: true });
        } catch (err) {
          this.log.error({ output: o.name, dir: o.dir, err }, 'cannot create output folder');
        }
      }
    }
    return true;
  }

  private onEncoded(buf: Buffer, timing: SampleTiming): void {
    this.encoded.add(buf.length);
    this.lastFrameAt = Date.now();
    this.outputs.pushVideo(buf, timing);
  }

  private onAudio(buf: Buffer, timing: SampleTiming): void {
    this.outputs.pushAudio(buf, timing);
  }

  /**
   * The receiving classroom's lesson, picture and sound in one pipeline. Speakers that cannot be opened
   * (no sound card) cost the sound once, not the picture: the lesson restarts at once, metered only.
   */
  private superviseDisplay(spec: PipelineSpec): void {
    const lesson = this.lessonName();
    // Counted where the lesson is decoded: the display also shows the slate's frames.
    const frames = lessonFrames(lesson);
    this.inputs.add(spec, lesson, frames, {
      runner: this.ctx.isolatedRunner,
      // srtsrc reconnects by itself when the anchor comes back: the lesson is reported lost while it
      // stalls, and rebuilt only if it does not come back on its own.
      progress: remoteProgress(frames),
      ownSlate: (p, visible) => p.setPad(lessonScreen(lesson), 'sink_1', 'alpha', visible ? 1 : 0),
      // Rebuilt at each start: `display/set` may have moved the lesson to another screen, or off every one.
      launch: () => launchString(this.render().display!.tokens),
      env: () => screenEnv(this.screens.lessonScreen()),
      ownFault: (reason) => this.speakerFault(reason),
    });
  }

  private lessonName(): string {
    return lessonSource(this.ctx.config) ?? 'remote';
  }

  /** The lesson's pipeline built again (its screen changed): a second of picture and sound, nothing else. */
  private async rebuildLesson(): Promise<void> {
    if (this.graph?.display) await this.inputs.rebuild(this.lessonName());
  }

  /** `display/set`: one screen shows something else; recordings, streams and the other screens go on. */
  setDisplay(display: string, shows: string): ReturnType<Screens['set']> {
    return this.screens.set(display, shows);
  }

  displays(): Record<string, ScreenStats> {
    return this.screens.stats();
  }

  /** The anchor's speakers: the classrooms' sound mixed; without a card, metered only. */
  private superviseSpeaker(spec: PipelineSpec): void {
    this.inputs.add(spec, 'speaker', 'speaker', {
      launch: () => launchString(this.render().speaker!.tokens),
      ownFault: (reason) => this.speakerFault(reason),
    });
  }

  /** True (and `audio.speaker_failed`, once) when a pipeline failed for want of its speakers. */
  private speakerFault(reason: string): boolean {
    const speaker = this.ctx.config.audio.speaker;
    if (this.speakerFailed || speaker === 'none' || !isSpeakerFault(reason)) return false;
    this.speakerFailed = true;
    this.ctx.bus.emit('audio.speaker_failed', { device: speaker, reason: reason.replace(/^speaker: /, '') });
    return true;
  }

  /** A bus message of any pipeline: `level` readings become the sound meters. */
  onMeter(m: BusMessage): void {
    if (m.levelDb === undefined) return;
    const path = pathOfMeter(m.source);
    if (!path) return;
    this.levels.record(path, m.levelDb);
    this.ctx.bus.emit('audio.level', { path, dbfs: m.levelDb });
  }

  /** A restarted composite starts with every slate hidden: show the ones whose source is still lost. */
  private applySlates(p: RunningPipeline): void {
    for (const name of this.inputs.lost()) p.set(`${name}-slate`, 'silent', false);
  }

  /** Changes the layout on the running composite: compositor pad geometry only, nothing restarts. */
  setLayout(layout: string): void {
    const names = this.graph?.padOrder ?? [];
    let rects;
    try {
      rects = layoutRects(layout, names, this.ctx.config.video.width, this.ctx.config.video.height);
    } catch (err) {
      const single = singleSource(layout);
      if (single) throw new ClassboxError('not_found', `no source "${single}" (sources: ${names.join(', ')})`);
      throw new ClassboxError('invalid_request', (err as Error).message);
    }
    const previous = this.currentLayout;
    this.currentLayout = layout;
    const p = this.main?.pipeline;
    if (p) {
      names.forEach((s, i) => {
        // zorder first and alpha last, so a picture never shows at its old size in its new place.
        const r = rects[s]!;
        for (const k of ['zorder', 'xpos', 'ypos', 'width', 'height', 'alpha'] as const) p.setPad('mix', `sink_${i}`, k, r[k]);
      });
    }
    this.ctx.bus.emit('layout.changed', { layout, previous });
  }

  /** `stream/start` / `stream/stop`: a network output on or off; the recording and the other outputs go on. */
  async setOutput(name: string, on: boolean): Promise<void> {
    await this.outputs.set(name, on);
  }

  outputStates(): Array<{ name: string; kind: string; state: OutputStats['state'] }> {
    const stats = this.stats().outputs;
    return Object.entries(stats).map(([name, o]) => ({ name, kind: o.kind, state: o.state }));
  }

  /** Frames an input has delivered since its pipeline last started (0 when it is not running). */
  inputFrames(name: string): number {
    return this.inputs.frames(name);
  }

  /** Whether the NO SIGNAL slate of a source shows in the composite now; null without a composite. */
  slateVisible(name: string): boolean | null {
    const silent = this.main?.pipeline?.get(`${name}-slate`, 'silent');
    return typeof silent === 'boolean' ? !silent : null;
  }

  /** `pipeline/restart`: rebuilds the composite (sources and outputs keep running). */
  restart(): void {
    this.main?.restart('restart requested');
  }

  pipelineState(): MediaPipelineState {
    if (!this.graph) return 'stopped';
    const main = this.main ?? this.inputs.first();
    if (!main || main.state === 'stopped') return 'stopped';
    if (main.state === 'down') return 'restarting';
    if (main.state === 'starting') return 'starting';
    const degraded = this.inputs.lost().length > 0 || this.outputs.anyDown();
    return degraded ? 'degraded' : 'running';
  }

  private emitState(): void {
    this.ctx.bus.emit('media.state', { state: this.pipelineState() });
  }

  stats(): MediaStats {
    const enc = this.encoded.rates();
    const outputs: Record<string, OutputStats> = {};
    for (const o of this.ctx.config.outputs) {
      if (o.kind === 'record') {
        // Running only while it records: between classes the composite runs without it.
        if (!this.isRecording) {
          outputs[o.name] = { kind: o.kind, state: 'stopped', bitrateKbps: 0 };
          continue;
        }
        const up = this.main?.state === 'running';
        outputs[o.name] = {
          kind: o.kind,
          state: up ? 'running' : this.main?.state === 'down' ? 'reconnecting' : this.main ? 'starting' : 'stopped',
          bitrateKbps: up ? enc.kbps : 0,
        };
      } else outputs[o.name] = this.outputs.stats(o.name, o.kind);
    }
    const { sources, dropped } = this.inputs.stats();
    // The composite's live latency up to the encoded stream (sources, compositor, encoder), as GStreamer
    // configured it from its elements.
    const latencyMs = this.main?.state === 'running' ? (this.main.pipeline?.latencyMs('net-out') ?? null) : null;
    return { fps: enc.fps, droppedFrames: dropped, latencyMs, outputs, sources, audio: this.levels.snapshot() };
  }

  /**
   * Every pipeline to NULL at once, no end-of-stream: the last thing before the process exits, so the
   * devices the pipelines hold (cameras, the display) are released and no bus watch keeps the loop.
   */
  halt(): void {
    for (const sp of this.outputs.supervised().concat(this.main ? [this.main] : [], this.inputs.supervised(), this.screens.supervised())) {
      void sp.stop(0).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    await this.screens.stop();
    await this.outputs.stop();
    // End of stream through the composite lets the muxer close the last segment properly.
    await this.main?.stop(1500);
    await this.inputs.stopAll();
    this.log.info('media stopped');
  }
}
