import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../core/events.js';
import type { PipelineSpec } from './graph.js';
import { launchString } from './launch.js';
import { renderedFrames, type BusMessage, type PipelineRunner, type RunningPipeline } from './runner.js';
import type { SourceStats } from './engine-types.js';
import { parseSrtStats } from './srt-stats.js';
import { SOUND_LINK_SETTLE_MS } from './sound-link.js';
import { SupervisedPipeline, type SupervisedOptions } from './supervised-pipeline.js';

/** Source restarts: quick at first (a replugged camera), never slower than 4 s, so a returning source shows within 5 s. */
const SOURCE_BACKOFF_MS = [300, 1000, 2000, 4000];
/** A stream from another box (the lesson, a classroom's uplink) that delivers nothing new this long is lost: about 1.5 s after its sender stops. */
const REMOTE_STALL_MS = 1000;
/** A lost remote stream that has not come back on its own this long (SRT reconnects by itself) is rebuilt. */
const REMOTE_REBUILD_MS = 30_000;
/**
 * A listener whose caller stopped sending is opened anew this long after it was lost. libsrt keeps a
 * silent peer's connection for its idle time-out (5 s), and the listener takes no other caller
 * meanwhile: a classroom that restarted and called back in that time waited it out, then its own
 * backoff (5.5 s to come back instead of half a second). At once, not a second later: a classroom
 * whose box restarted called again 1.8-3 s after it died (the two-way test), and a call that reached
 * the old listener just before it closed was lost with it: back 3.4-5.6 s after the box was online
 * instead of 0.3-0.7, in about one run in two. A listener nobody has called yet is never rebuilt for
 * it (it is not running until a caller's frames arrive).
 */
const LISTENER_REOPEN_MS = 0;
/** A classroom that has not called its listener this long after it started is shown lost (NO SIGNAL). */
const LISTENER_WAIT_MS = 3000;

/**
 * A stream from another box watched by the frames reaching `sink`: lost when they stop, rebuilt if they
 * stay away. `listener`: an SRT listener (see LISTENER_REOPEN_MS). `caller`: the SRT caller element to
 * call anew, alone, when the frames stop. A sender that
 * vanished without closing its call (its power cut, its process killed, the network down) leaves the call
 * open on this side for libsrt's idle time-out, about 5 s whatever `peeridletimeo` says (it also waits
 * for 16 of its retransmission timers, each at least 300 ms), and srtsrc calls again only after it: a
 * lesson whose anchor was back at once came back 4-5 s later. Called anew when it stalls, it is back as
 * soon as the anchor answers, while the rest of the pipeline (the screen, the speakers) plays on.
 */
export const remoteProgress = (
  sink: string,
  { listener = false, caller }: { listener?: boolean; caller?: string } = {},
): NonNullable<SupervisedOptions['progress']> => ({
  count: (p) => renderedFrames(p.get(sink, 'stats')),
  stallMs: REMOTE_STALL_MS,
  stallRestartMs: listener ? LISTENER_REOPEN_MS : REMOTE_REBUILD_MS,
  // A listener (no watchdog: it waits for its caller) is lost when nobody has called this long after a start.
  ...(listener ? { startMs: LISTENER_WAIT_MS } : {}),
  ...(caller ? { onStall: (p: RunningPipeline) => void p.restartElement(caller) } : {}),
});

export interface InputOptions {
  /** A video source with a NO SIGNAL slate in the composite and a preview branch. */
  slate?: boolean;
  runner?: PipelineRunner;
  create?: SupervisedOptions['create'];
  /** The launch line at each (re)start, when it can change. */
  launch?: () => string;
  progress?: SupervisedOptions['progress'];
  watch?: SupervisedOptions['watch'];
  /** True for a failure the pipeline handles itself (not a lost source); it is restarted all the same. */
  ownFault?: (reason: string) => boolean;
  /** A slate of the input's own pipeline (the receiving classroom's screen), shown while it is down. */
  ownSlate?: (p: RunningPipeline, visible: boolean) => void;
  /** The valve of its sound link (a classroom heard on the speakers): opened once it has delivered SOUND_LINK_SETTLE_MS. */
  soundLinkValve?: string;
}

export interface InputsContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  runner: PipelineRunner;
  /** Shows or hides a source's NO SIGNAL slate in the composite. */
  compositeSlate: (name: string, visible: boolean) => void;
  /** Who watches a source's preview now, if anyone. */
  preview: (name: string) => ((frame: Buffer) => void) | undefined;
  /** Every bus message of an input's pipeline (the sound meters). */
  onMessage: (m: BusMessage) => void;
  /** An input came up or went down: the media state may have changed. */
  changed: () => void;
}

interface Input {
  sp: SupervisedPipeline;
  /** Since when it is lost (null: it delivers). */
  lostAt: number | null;
  /** The sink whose rendered frames say it delivers. */
  sink: string;
  /** How far a lesson played earlier was moved from the timing it came with (ms; see LeadPace). */
  pacedMs?: number | undefined;
}

/**
 * Every input pipeline by name: video sources (into their intervideo channels), the microphone
 * (`audio`), the anchor's speakers and the received lesson. Each is supervised alone: lost and
 * restored as its frames stop and come back, its slate shown meanwhile.
 */
export class Inputs {
  private readonly inputs = new Map<string, Input>();

  constructor(private readonly ctx: InputsContext) {}

  /** Up once frames reach `sink`; a pipeline that plays but delivers nothing is not back. */
  add(spec: PipelineSpec, name: string, sink: string, opts: InputOptions = {}): void {
    const { ctx } = this;
    const slate = opts.slate ?? false;
    const entry: Input = { sp: undefined as unknown as SupervisedPipeline, lostAt: null, sink };
    const setSlate = (visible: boolean) => {
      if (slate) ctx.compositeSlate(name, visible);
      const own = entry.sp.pipeline;
      if (opts.ownSlate && own) opts.ownSlate(own, visible);
    };
    const source = ctx.config.sources[name];
    let settling: NodeJS.Timeout | undefined;
    // Shut while it is down or stalled, opened once what it delivers has settled (see SOUND_LINK_SETTLE_MS).
    const soundLink = (p: RunningPipeline | undefined, open: boolean) => {
      clearTimeout(settling);
      const valve = opts.soundLinkValve;
      if (!valve || !p) return;
      if (!open) p.set(valve, 'drop', true);
      else settling = setTimeout(() => entry.sp.pipeline === p && p.set(valve, 'drop', false), SOUND_LINK_SETTLE_MS).unref();
    };
    entry.sp = new SupervisedPipeline({
      id: spec.id,
      runner: opts.runner ?? ctx.runner,
      log: ctx.log,
      launch: opts.launch ?? (() => launchString(spec.tokens)),
      ...(opts.create ? { create: opts.create } : {}),
      backoffMs: SOURCE_BACKOFF_MS,
      checkMs: 200,
      loopOnEos: source?.kind === 'file' && source.loop,
      isUp: (p) => renderedFrames(p.get(sink, 'stats')) > 0,
      ...(opts.progress ? { progress: opts.progress } : {}),
      ...(opts.watch ? { watch: opts.watch } : {}),
      onStarted: (p: RunningPipeline) => {
        entry.pacedMs = undefined;
        p.onMessage((m) => {
          if (m.paceMs !== undefined) {
            entry.pacedMs = m.paceMs;
            ctx.log.info(
              { source: name, movedMs: m.paceMs, pictureAheadMs: m.pictureAheadMs, spareMs: m.spareMs },
              'lesson played earlier by what it has to spare',
            );
          }
          ctx.onMessage(m);
        });
        if (!slate) return;
        p.pullLoop(`${name}-preview-out`, (buf) => ctx.preview(name)?.(buf), 2);
        p.set(`${name}-preview-valve`, 'drop', ctx.preview(name) === undefined);
      },
      onUp: (p) => {
        soundLink(p, true);
        setSlate(false);
        if (entry.lostAt !== null) {
          ctx.bus.emit('source.restored', { source: name, downS: Math.round((Date.now() - entry.lostAt) / 100) / 10 });
          entry.lostAt = null;
        }
        ctx.changed();
      },
      onDown: (reason) => {
        soundLink(entry.sp.pipeline, false);
        // A fault of the pipeline's own making (the speakers missing) is not a lost source.
        if (opts.ownFault?.(reason)) return;
        setSlate(true);
        if (entry.lostAt === null) {
          entry.lostAt = Date.now();
          ctx.bus.emit('source.lost', { source: name, reason });
        }
        ctx.changed();
      },
    });
    this.inputs.set(name, entry);
  }

  has(name: string): boolean {
    return this.inputs.has(name);
  }

  pipeline(name: string): RunningPipeline | undefined {
    return this.inputs.get(name)?.sp.pipeline;
  }

  /** Built again now (its screen changed), quietly: not a loss. */
  async rebuild(name: string): Promise<void> {
    const entry = this.inputs.get(name);
    if (!entry) return;
    await entry.sp.stop();
    entry.sp.start();
  }

  /** The names of the inputs lost now. */
  lost(): string[] {
    return [...this.inputs].filter(([, s]) => s.lostAt !== null).map(([n]) => n);
  }

  /** Frames an input has delivered since its pipeline last started (0 when it is not running). */
  frames(name: string): number {
    const s = this.inputs.get(name);
    return s ? renderedFrames(s.sp.pipeline?.get(s.sink, 'stats')) : 0;
  }

  /** The first input's supervision (what a box without a composite is judged by). */
  first(): SupervisedPipeline | undefined {
    return [...this.inputs.values()][0]?.sp;
  }

  stats(): { sources: Record<string, SourceStats>; dropped: number } {
    let dropped = 0;
    const sources: Record<string, SourceStats> = {};
    for (const [name, s] of this.inputs) {
      const srt = parseSrtStats(s.sp.pipeline?.get(`${name}-src`, 'stats'));
      sources[name] = {
        state: s.lostAt !== null ? 'lost' : s.sp.state === 'running' ? 'live' : 'starting',
        ...(srt ? { srt } : {}),
        ...(s.pacedMs !== undefined ? { pacedMs: s.pacedMs } : {}),
      };
      const stats = String(s.sp.pipeline?.get(s.sink, 'stats') ?? '');
      dropped += Number(/dropped=\(guint64\)(\d+)/.exec(stats)?.[1] ?? 0);
    }
    return { sources, dropped };
  }

  supervised(): SupervisedPipeline[] {
    return [...this.inputs.values()].map((s) => s.sp);
  }

  startAll(): void {
    for (const s of this.inputs.values()) s.sp.start();
  }

  async stopAll(): Promise<void> {
    for (const s of this.inputs.values()) await s.sp.stop();
  }
}
