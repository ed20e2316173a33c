import type { Logger } from 'pino';
import { ClassboxError } from '../core/errors.js';
import type { MediaPipelineState } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import { buildGraph, canvasOf, channelName, initialLayout, INTER_TIMEOUT_NS, type MediaGraph } from './graph.js';
import { layoutRects } from './layouts.js';
import type { BusMessage } from './runner.js';
import { AudioLevels, pathOfMeter } from './audio-levels.js';
import { Composite, COMPOSITE } from './composite.js';
import { Inputs, remoteProgress } from './inputs.js';
import { NetworkOutputs, type OutputStats } from './network-outputs.js';
import { singleSource } from '../core/layout-names.js';
import { RoomPlayback } from './room-playback.js';
import { SrtLinks } from './srt-links.js';
import { Screens, type ScreenStats } from './screens.js';
import { startEchoCancel, type EchoCancel } from './echo/echo-cancel.js';
import type { MediaEngineContext, MediaStats } from './engine-types.js';
import type { EchoPorts } from './echo/echo-link.js';
import { launchString } from './launch.js';
import { freeLoopbackPorts, soundLinkValve } from './sound-link.js';

export { COMPOSITE } from './composite.js';

export type { MediaEngineContext, MediaStats, OutputStats } from './engine-types.js';

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
  private readonly composite: Composite;
  /** Every input pipeline by name: video sources, `audio`, the speakers and the received lesson. */
  private readonly inputs: Inputs;
  private readonly outputs: NetworkOutputs;
  private readonly screens: Screens;
  private readonly playback: RoomPlayback;
  private readonly log: Logger;
  readonly levels = new AudioLevels();
  private readonly previewSinks = new Map<string, (frame: Buffer) => void>();
  private echo: EchoCancel | undefined;
  private soundPorts: Record<string, number> | undefined;
  private readonly links: SrtLinks;

  constructor(private readonly ctx: MediaEngineContext) {
    this.currentLayout = initialLayout(ctx.config, ctx.config.role);
    this.log = ctx.log.child({ part: 'media' });
    this.links = new SrtLinks(ctx.config, this.log);
    this.outputs = new NetworkOutputs({
      config: ctx.config,
      log: this.log,
      bus: ctx.bus,
      runner: ctx.runner,
      requestKeyFrame: () => this.composite.pipeline?.forceKeyUnit('net-out'),
      composite: () => this.composite.feed(),
      changed: () => this.emitState(),
    });
    this.inputs = new Inputs({
      config: ctx.config,
      log: this.log,
      bus: ctx.bus,
      runner: ctx.runner,
      compositeSlate: (name, visible) => this.composite.setSlate(name, visible),
      preview: (name) => this.previewSinks.get(name),
      onMessage: (m) => this.onMeter(m),
      changed: () => this.emitState(),
    });
    this.composite = new Composite(
      {
        config: ctx.config,
        log: this.log,
        bus: ctx.bus,
        runner: ctx.runner,
        render: () => this.render(),
        onVideo: (buf, timing) => this.outputs.pushVideo(buf, timing),
        onAudio: (codec, buf, timing) => this.outputs.pushAudio(codec, buf, timing),
        hasAudio: () => this.inputs.has('audio'),
        preview: () => this.previewSinks.get(COMPOSITE),
        lostSources: () => this.inputs.lost(),
        started: () => this.outputs.handOverAll(),
        changed: () => this.emitState(),
      },
      ctx.recording ?? true,
    );
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
      lessonMoved: () => this.playback.rebuildLesson(),
      lessonFrames: () => this.playback.lessonFrames(),
    });
    this.playback = new RoomPlayback({
      config: ctx.config,
      bus: ctx.bus,
      inputs: this.inputs,
      screens: this.screens,
      isolatedRunner: ctx.isolatedRunner ?? ctx.runner,
      render: () => this.render(),
      watch: (source) => this.links.watch(source),
    });
  }

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
    if (feed === COMPOSITE) this.composite.pipeline?.set('preview-valve', 'drop', sink === undefined);
    else this.inputs.pipeline(feed)?.set(`${feed}-preview-valve`, 'drop', sink === undefined);
  }

  /** The name prefix of the files being written now; undefined when nothing records. */
  get recordingPrefix(): string | undefined {
    return this.composite.recordingPrefix;
  }

  get isRecording(): boolean {
    return this.composite.isRecording;
  }

  /** Starts or stops the record outputs (see Composite.setRecording). */
  setRecording(on: boolean, tag?: string): Promise<void> {
    return this.composite.setRecording(on, tag);
  }

  get layout(): string {
    return this.currentLayout;
  }

  /** The pipelines as the service runs them (for `classbox pipeline` and tests). */
  render(): MediaGraph {
    return buildGraph(this.links.apply(this.ctx.config), this.ctx.profile, this.ctx.config.role, {
      layout: this.currentLayout,
      ...this.composite.recordingOptions,
      displays: this.screens.current(),
      ...this.playback.graphOptions,
      ...(this.echoPorts ? { echo: this.echoPorts } : {}),
      ...(this.soundPorts ? { soundPorts: this.soundPorts } : {}),
    });
  }

  /** The echo canceller's ports while it runs (pipelines that play sound send it what they play). */
  get echoPorts(): EchoPorts | undefined {
    return this.echo?.graphPorts;
  }

  async start(): Promise<void> {
    // Each remote source's sound link to the speakers: one port for the life of the service, so that a
    // rebuilt source or speakers' pipeline finds the other where it was.
    const remote = Object.entries(this.ctx.config.sources)
      .filter(([, s]) => s.kind === 'remote')
      .map(([n]) => n);
    const ports = await freeLoopbackPorts(remote.length);
    this.soundPorts = Object.fromEntries(remote.map((n, i) => [n, ports[i]!]));
    this.echo = await startEchoCancel(this.ctx.config, this.render(), this.log, this.ctx.bus, () => void this.inputs.rebuild('audio'));
    this.graph = this.render();
    const g = this.graph;
    if (g.main) this.composite.supervise(g.main);
    for (const spec of g.sources) {
      // Another classroom over the network: lost as soon as its frames stop (its SRT connection only
      // times out after 5 s), rebuilt only if it does not come back by itself.
      const progress = spec.remote ? { progress: remoteProgress(spec.out, { listener: spec.remote.srtListener }) } : {};
      const watch = this.links.watch(spec.name);
      this.inputs.add(spec, spec.name, spec.out, {
        slate: true,
        ...(this.soundPorts?.[spec.name] !== undefined ? { soundLinkValve: soundLinkValve(spec.name) } : {}),
        ...progress,
        ...(watch ? { watch, launch: () => launchString(this.render().sources.find((s) => s.name === spec.name)!.tokens) } : {}),
      });
    }
    // Built anew at each start: without the echo canceller once it has failed.
    if (g.audio) this.inputs.add(g.audio, 'audio', 'audio-out', { launch: () => launchString(this.render().audio!.tokens) });
    this.playback.add(g);
    for (const spec of g.outputs) this.outputs.add(spec);
    this.composite.start();
    this.inputs.startAll();
    this.outputs.startAll(this.ctx.streaming ?? true);
    this.screens.start();
    this.log.info(
      { role: g.role, profile: this.ctx.profile.name, layout: this.currentLayout, sources: g.padOrder, outputs: this.outputs.names() },
      'media started',
    );
  }

  /** `display/set`: one screen shows something else; recordings, streams and the other screens go on. */
  setDisplay(display: string, shows: string): ReturnType<Screens['set']> {
    return this.screens.set(display, shows);
  }

  displays(): Record<string, ScreenStats> {
    return this.screens.stats();
  }

  /** A bus message of any pipeline: `level` readings become the sound meters. */
  onMeter(m: BusMessage): void {
    if (m.levelDb === undefined) return;
    const path = pathOfMeter(m.source);
    if (!path) return;
    this.levels.record(path, m.levelDb);
    this.ctx.bus.emit('audio.level', { path, dbfs: m.levelDb });
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
    this.composite.applyLayout(this.graph?.pads ?? {}, rects);
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
    return this.composite.slateVisible(name);
  }

  /** `pipeline/restart`: rebuilds the composite (sources and outputs keep running). */
  restart(): void {
    this.composite.restart();
  }

  pipelineState(): MediaPipelineState {
    if (!this.graph) return 'stopped';
    const main = this.composite.supervised ?? this.inputs.first();
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
    const outputs: Record<string, OutputStats> = {};
    for (const o of this.ctx.config.outputs)
      outputs[o.name] = o.kind === 'record' ? this.composite.recordStats(o.kind) : this.outputs.stats(o.name, o.kind);
    const { sources, dropped } = this.inputs.stats();
    // The composite's live latency up to the encoded stream, as GStreamer configured it from its elements.
    const latencyMs = this.composite.latencyMs();
    const echo = this.echo ? { echo: this.echo.stats() } : {};
    return { fps: this.composite.rates().fps, droppedFrames: dropped, latencyMs, outputs, sources, audio: this.levels.snapshot(), ...echo };
  }

  /**
   * Every pipeline to NULL at once, no end-of-stream: the last thing before the process exits, so the
   * devices the pipelines hold (cameras, the display) are released and no bus watch keeps the loop.
   */
  halt(): void {
    const main = this.composite.supervised;
    for (const sp of this.outputs.supervised().concat(main ? [main] : [], this.inputs.supervised(), this.screens.supervised())) {
      void sp.stop(0).catch(() => undefined);
    }
    this.echo?.stop();
  }

  async stop(): Promise<void> {
    await this.screens.stop();
    await this.outputs.stop();
    // End of stream through the composite lets the muxer close the last segment properly.
    await this.composite.stop(1500);
    await this.inputs.stopAll();
    this.echo?.stop();
    this.log.info('media stopped');
  }
}
