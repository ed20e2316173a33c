import type { Config } from '../config/schema.js';
import { lessonSource } from '../config/display-schema.js';
import type { EventBus } from '../core/events.js';
import { screenEnv } from './displays.js';
import type { MediaGraph, PipelineSpec } from './graph.js';
import { remoteProgress, type Inputs } from './inputs.js';
import { launchString } from './launch.js';
import { isSpeakerFault, LESSON_LATENCY_MS, lessonFrames, showSlate } from './lesson.js';
import type { PipelineRunner, RunningPipeline } from './runner.js';
import type { Screens } from './screens.js';
import { isSrtCaller, remoteSourceElement } from './sources.js';

export interface RoomPlaybackContext {
  config: Config;
  bus: EventBus;
  inputs: Inputs;
  screens: Screens;
  /** The runner of pipelines that may crash (a display sink): a process of their own. */
  isolatedRunner: PipelineRunner;
  render: () => MediaGraph;
  /** A source's pipeline upkeep (its SRT latency fitted to the link), if any. */
  watch: (source: string) => ((p: RunningPipeline) => void) | undefined;
}

/**
 * What the room plays: the receiving classroom's lesson (the anchor's picture on its screen, its sound
 * on the speakers, in one pipeline) and the anchor's speakers (the classrooms' sound). Speakers that
 * cannot be opened (no sound card) cost the sound once, not the picture: from then on the sound is
 * metered only.
 */
export class RoomPlayback {
  private speakerFailed = false;
  private playsLesson = false;

  constructor(private readonly ctx: RoomPlaybackContext) {}

  /** For the graph: the speakers to play on, when not `audio.speaker`. */
  get graphOptions(): { speaker?: string } {
    return this.speakerFailed ? { speaker: 'none' } : {};
  }

  /** Supervises what the graph plays, if anything. */
  add(graph: MediaGraph): void {
    if (graph.speaker) this.superviseSpeaker(graph.speaker);
    if (graph.display) this.superviseLesson(graph.display);
  }

  /** The lesson's pipeline built again (its screen changed): a second of picture and sound, nothing else. */
  async rebuildLesson(): Promise<void> {
    if (this.playsLesson) await this.ctx.inputs.rebuild(this.lessonName());
  }

  /** The lesson's frames decoded since its pipeline last started; 0 where the room plays no lesson. */
  lessonFrames(): number {
    return this.playsLesson ? this.ctx.inputs.frames(this.lessonName()) : 0;
  }

  private lessonName(): string {
    return lessonSource(this.ctx.config) ?? 'remote';
  }

  private superviseLesson(spec: PipelineSpec): void {
    const { ctx } = this;
    const lesson = this.lessonName();
    this.playsLesson = true;
    // Counted where the lesson is decoded: the display also shows the slate's frames.
    const frames = lessonFrames(lesson);
    const source = ctx.config.sources[lesson];
    const caller = source?.kind === 'remote' && isSrtCaller(source.url) ? remoteSourceElement(lesson) : undefined;
    const watch = ctx.watch(lesson);
    ctx.inputs.add(spec, lesson, frames, {
      runner: ctx.isolatedRunner,
      ...(watch ? { watch } : {}),
      // srtsrc reconnects by itself when the anchor comes back: the lesson is reported lost while it
      // stalls (an SRT caller called anew at once), and rebuilt only if it does not come back on its own.
      progress: remoteProgress(frames, { caller }),
      ownSlate: (p, visible) => showSlate(p, lesson, visible),
      // Rebuilt at each start: `display/set` may have moved the lesson to another screen, or off every one.
      launch: () => launchString(ctx.render().display!.tokens),
      create: () => {
        const env = screenEnv(ctx.screens.lessonScreen());
        const pace = ctx.render().display?.pace;
        // The pace keeps what each kind needs beyond the fixed latency; a lesson without one (RTMP, HLS)
        // keeps the latency its elements report.
        return { ...(env ? { env } : {}), ...(pace ? { pace, latencyMs: LESSON_LATENCY_MS } : {}) };
      },
      ownFault: (reason) => this.speakerFault(reason),
    });
  }

  /** The anchor's speakers: the classrooms' sound mixed; without a card, metered only. */
  private superviseSpeaker(spec: PipelineSpec): void {
    this.ctx.inputs.add(spec, 'speaker', 'speaker', {
      launch: () => launchString(this.ctx.render().speaker!.tokens),
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
}
