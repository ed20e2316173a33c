import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ClassboxError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { OutputSpec } from './graph.js';
import { outputCodec, type AudioCodec } from './audio.js';
import { launchString } from './launch.js';
import { RateMeter } from './rate-meter.js';
import type { PipelineRunner, RunningPipeline, SampleTiming } from './runner.js';
import { SrtAnswerWatch } from './srt-answer.js';
import { parseSrtStats, type SrtLinkStats } from './srt-stats.js';
import { SupervisedPipeline } from './supervised-pipeline.js';

/**
 * Output reconnects: a platform or a listener that is down is retried, at most every 30 s. The first
 * retry is quick: a listener that stopped answering has most often just been opened anew.
 */
const OUTPUT_BACKOFF_MS = [250, 1000, 2000, 5000, 10_000, 30_000];

export interface OutputStats {
  kind: string;
  state: 'starting' | 'running' | 'reconnecting' | 'stopped';
  bitrateKbps: number;
  /** An SRT output's link (every caller of a listener summed). */
  srt?: SrtLinkStats;
}

/** Where the network outputs take the composite's encoded stream from (see Composite.feed). */
export interface CompositeFeed {
  pipeline: RunningPipeline;
  /** The appsink of the encoded picture. */
  picture: string;
  /** The appsink of a codec's encoded sound; undefined when the composite carries no such sound. */
  soundTap: (codec: AudioCodec) => string | undefined;
}

export interface NetworkOutputsContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  runner: PipelineRunner;
  /** A joining output needs a key frame (with SPS/PPS) to start from: asked of the composite. */
  requestKeyFrame: () => void;
  /** The composite's encoded stream as it runs now, if it does. */
  composite: () => CompositeFeed | undefined;
  /** An output came up or went down: the engine's state may have changed. */
  changed: () => void;
}

/**
 * Whether a network output really delivers: an RTMP or SRT caller output once bytes left its socket (a
 * caller to nowhere is not up, however long it tries); an SRT listener is up while it listens, HLS
 * while it writes.
 */
function outputDelivers(output: Config['outputs'][number], p: RunningPipeline): boolean {
  const stats = String(p.get(`${output.name}-sink`, 'stats') ?? '');
  if (output.kind === 'rtmp') return Number(/out-bytes-total=\(guint64\)(\d+)/.exec(stats)?.[1] ?? 0) > 0;
  if (isSrtCaller(output)) return Number(/bytes-sent-total=\(guint64\)(\d+)/.exec(stats)?.[1] ?? 0) > 0;
  return true;
}

/**
 * An Opus frame as its output's muxer is to take it: decoded at its time as before (its PTS), but
 * ordered one picture interval earlier (its DTS; MPEG-TS carries no DTS for sound, only the order
 * changes). `mpegtsmux` waits for data on every pad and has no live timeout: it held each 10 ms sound
 * frame until the next picture had come (up to a frame interval and the picture's encoding; 500 ms at 2
 * fps), and at the receiving room the sound's lead then followed the anchor's pictures. Ordered so, a
 * sound frame goes out as it comes, and each picture waits for the sound of its time instead (a few
 * milliseconds: Opus comes 2-7 ms after its time). In the latency bench (720p30, three runs each in
 * turns): the receiving room's projector 214-268 ms against 263-332, its speakers 240-271 against 307-319,
 * the students' voice on the anchor's speakers 295-331 against 374-413, their picture 286-317 against
 * 246-259.
 */
function muxedAhead(timing: SampleTiming, aheadNs: number): SampleTiming {
  return aheadNs > 0 && timing.pts >= 0 ? { ...timing, dts: timing.pts - aheadNs } : timing;
}
/** How far before its time a codec's sound frame is ordered for its output's muxer (see muxedAhead): Opus's only. */
const soundAheadNs = (codec: AudioCodec, fps: number) => (codec === 'opus' ? Math.round(1e9 / fps) : 0);

const isSrtCaller = (output: Config['outputs'][number]) => output.kind === 'srt' && !/[?&]mode=listener/.test(output.url);

interface Output {
  sp: SupervisedPipeline;
  kind: string;
  /** The codec of its sound. */
  codec: AudioCodec;
  meter: RateMeter;
  /** On by request (a class streams, `stream/start`); an output not wanted is not a fault. */
  wanted: boolean;
  /** The output's pipeline that takes the composite's picture, and its sound, on the streaming thread (see handOver). */
  pictureTo?: RunningPipeline;
  soundTo?: RunningPipeline;
}

/**
 * The network outputs (RTMP, SRT, HLS), each in a supervised pipeline of its own fed through an appsrc
 * from the composite's one encode: one that fails reconnects alone while the recording and the others
 * go on.
 */
export class NetworkOutputs {
  private readonly outputs = new Map<string, Output>();

  constructor(private readonly ctx: NetworkOutputsContext) {}

  add(spec: OutputSpec): void {
    const name = spec.name;
    const output = this.ctx.config.outputs.find((o) => o.name === name)!;
    // A caller whose listener went away calls again at once, not after libsrt's 5 s.
    const answer = isSrtCaller(output) ? new SrtAnswerWatch() : undefined;
    const sp = new SupervisedPipeline({
      id: spec.id,
      runner: this.ctx.runner,
      log: this.ctx.log,
      launch: () => launchString(spec.tokens),
      backoffMs: OUTPUT_BACKOFF_MS,
      // A caller's answers are watched closely: its listener's silence is told within about a second.
      checkMs: answer ? 250 : 500,
      isUp: (p) => outputDelivers(output, p),
      ...(answer
        ? { fault: (p: RunningPipeline) => (answer.answers(p.get(`${name}-sink`, 'stats')) ? undefined : 'its listener stopped answering') }
        : {}),
      onStarted: () => {
        answer?.reset();
        this.handOver(name);
        this.ctx.requestKeyFrame();
      },
      onUp: (_p, attempt) => {
        if (attempt > 0) this.ctx.bus.emit('output.up', { output: name });
        this.ctx.changed();
      },
      onDown: (reason, attempt) => {
        this.ctx.bus.emit('output.down', { output: name, reason, attempt });
        this.ctx.changed();
      },
    });
    this.outputs.set(name, { sp, kind: output.kind, codec: outputCodec(output), meter: new RateMeter(), wanted: true });
  }

  names(): string[] {
    return [...this.outputs.keys()];
  }

  /** Every output started or left stopped, as the engine starts. */
  startAll(wanted: boolean): void {
    for (const o of this.outputs.values()) {
      o.wanted = wanted;
      if (wanted) o.sp.start();
    }
  }

  /**
   * The composite's encoded picture and sound into an output's pipeline on GStreamer's streaming
   * threads, not through the event loop: every frame crossed it, and its pauses (collections of 35-145
   * ms as a call starts, beyond 60 ms once or twice in 40 s) were the stream's, for every room that
   * plays it. Each output's pipeline as it starts, and every output's as a composite starts; what cannot
   * be handed over is pushed from the event loop as before.
   */
  private handOver(name: string): void {
    const o = this.outputs.get(name);
    const feed = this.ctx.composite();
    const to = o?.sp.pipeline;
    if (!o || !feed || !to) return;
    if (feed.pipeline.handOver(feed.picture, to, `${name}-in`)) o.pictureTo = to;
    const tap = feed.soundTap(o.codec);
    if (tap && feed.pipeline.handOver(tap, to, `${name}-ain`, soundAheadNs(o.codec, this.ctx.config.video.fps))) o.soundTo = to;
    if (o.pictureTo !== to || (tap && o.soundTo !== to))
      this.ctx.log.warn({ output: name }, "the composite's stream goes to this output through the event loop");
  }

  /** Every running output takes a newly started composite's stream. */
  handOverAll(): void {
    for (const name of this.outputs.keys()) this.handOver(name);
  }

  /** An encoded video frame to every output that runs. */
  pushVideo(buf: Buffer, timing: SampleTiming): void {
    for (const [name, o] of this.outputs) {
      if (o.sp.state === 'running' || o.sp.state === 'starting') {
        const p = o.sp.pipeline;
        if (p && (o.pictureTo === p || p.push(`${name}-in`, buf, timing))) o.meter.add(buf.length);
      }
    }
  }

  /** An encoded sound frame to every output that runs and carries that codec. */
  pushAudio(codec: AudioCodec, buf: Buffer, timing: SampleTiming): void {
    const placed = muxedAhead(timing, soundAheadNs(codec, this.ctx.config.video.fps));
    for (const [name, o] of this.outputs) {
      const p = o.sp.pipeline;
      if (o.codec === codec && p && o.soundTo !== p && (o.sp.state === 'running' || o.sp.state === 'starting'))
        p.push(`${name}-ain`, buf, placed);
    }
  }

  /** `stream/start` / `stream/stop`: a network output on or off; the recording and the other outputs go on. */
  async set(name: string, on: boolean): Promise<void> {
    const out = this.ctx.config.outputs.find((o) => o.name === name);
    if (!out)
      throw new ClassboxError(
        'not_found',
        `no output "${name}" (outputs: ${this.ctx.config.outputs.map((o) => o.name).join(', ') || 'none'})`,
      );
    const net = this.outputs.get(name);
    if (!net)
      throw new ClassboxError(
        'invalid_request',
        `output "${name}" is a ${out.kind} output; stream/start and stream/stop take network outputs (rtmp, srt, hls)`,
      );
    net.wanted = on;
    if (on) net.sp.start();
    else await net.sp.stop();
    this.ctx.changed();
  }

  /** Whether an output that should run does not. */
  anyDown(): boolean {
    return [...this.outputs.values()].some((o) => o.wanted && o.sp.state !== 'running');
  }

  stats(name: string, kind: string): OutputStats {
    const net = this.outputs.get(name);
    const st = net?.sp.state;
    const srt = kind === 'srt' ? parseSrtStats(net?.sp.pipeline?.get(`${name}-sink`, 'stats')) : null;
    return {
      kind,
      state: st === 'running' ? 'running' : st === 'down' ? 'reconnecting' : st === 'starting' ? 'starting' : 'stopped',
      bitrateKbps: net ? net.meter.rates().kbps : 0,
      ...(srt ? { srt } : {}),
    };
  }

  supervised(): SupervisedPipeline[] {
    return [...this.outputs.values()].map((o) => o.sp);
  }

  async stop(): Promise<void> {
    for (const o of this.outputs.values()) await o.sp.stop();
  }
}
