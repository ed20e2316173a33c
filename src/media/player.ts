import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ClassboxError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { buildGraph } from './graph.js';
import { screenEnv } from './displays.js';
import { screensOf } from '../config/display-schema.js';
import { isSpeakerFault } from './lesson.js';
import type { EchoPorts } from './echo/echo-link.js';
import { launchString, LaunchError } from './launch.js';
import type { BoardProfile } from './profiles.js';
import type { BusMessage, PipelineRunner, RunningPipeline } from './runner.js';

export type PlayerState = 'idle' | 'playing' | 'paused' | 'ended' | 'failed';

export interface PlayerStatus {
  state: PlayerState;
  media: string | null;
  positionS: number | null;
  durationS: number | null;
}

export interface PlayerContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  runner: PipelineRunner;
  profile: BoardProfile;
  /** Bus messages of the playing pipeline, for the sound meters. */
  onMessage?: (m: BusMessage) => void;
  /** The echo canceller's ports while it runs: what the file plays is sent to it. */
  echoPorts?: () => EchoPorts | undefined;
}

/**
 * The implanted mode: a recorded lesson (a file on the box or a URL) played full screen inside the
 * receiving school's own teaching, with play, pause, seek and stop on command.
 */
export class Player {
  private pipeline: RunningPipeline | undefined;
  private media: string | null = null;
  private state: PlayerState = 'idle';
  private readonly log: Logger;
  /** The speakers could not be opened once: lessons play on, their sound metered only. */
  private speakerFailed = false;

  constructor(private readonly ctx: PlayerContext) {
    this.log = ctx.log.child({ part: 'player' });
  }

  /** Opens the media and starts playing it; replaces whatever was playing. */
  open(media: string): void {
    if (!/^[a-z]+:\/\//.test(media) && !existsSync(media)) throw new ClassboxError('not_found', `no such media file: ${media}`);
    if (/^[a-z]+:\/\//.test(media) && !/^(file|https?|rtsp|rtsps|srt|rtmp):\/\//.test(media))
      throw new ClassboxError('invalid_request', `unsupported media URL scheme: ${media}`);
    this.stop();
    let tokens: string[];
    try {
      const echo = this.ctx.echoPorts?.();
      tokens = buildGraph(this.ctx.config, this.ctx.profile, 'playback', {
        media,
        ...(this.speakerFailed ? { speaker: 'none' } : {}),
        ...(echo ? { echo } : {}),
      }).display!.tokens;
    } catch (err) {
      if (err instanceof LaunchError) throw new ClassboxError('invalid_request', `media ${JSON.stringify(media)}: ${err.message}`);
      throw err;
    }
    let p: RunningPipeline;
    try {
      // On the screen that shows the lesson (else the first): its X display, when it has one.
      const screens = screensOf(this.ctx.config);
      const env = screenEnv(screens.find((d) => d.shows === 'lesson') ?? screens[0]);
      p = this.ctx.runner.create(launchString(tokens), env ? { env } : {});
    } catch (err) {
      if (this.speakerFault(String((err as Error).message))) return this.open(media);
      throw err;
    }
    this.pipeline = p;
    this.media = media;
    // A sink posts its failure more than once: after the first, this pipeline is only waiting to go.
    let retired = false;
    p.onMessage((m) => {
      if (this.pipeline !== p || retired) return;
      this.ctx.onMessage?.(m);
      if (m.type === 'eos') {
        this.state = 'ended';
        this.ctx.bus.emit('playback.ended', { media });
      } else if (m.type === 'error') {
        // Speakers that cannot be opened cost the sound, not the lesson: it starts again without them.
        if (this.speakerFault(`${m.source}: ${m.text ?? ''}`)) {
          retired = true;
          return void setImmediate(() => this.pipeline === p && this.open(media));
        }
        this.state = 'failed';
        this.log.warn({ media, reason: m.text }, 'playback failed');
        this.ctx.bus.emit('playback.failed', { media, reason: `${m.source}: ${m.text ?? 'error'}` });
        this.teardown();
      }
    });
    p.play();
    this.state = 'playing';
  }

  private speakerFault(reason: string): boolean {
    const speaker = this.ctx.config.audio.speaker;
    if (this.speakerFailed || speaker === 'none' || !isSpeakerFault(reason)) return false;
    this.speakerFailed = true;
    this.log.warn({ device: speaker, reason }, 'speakers not available: lessons play without sound');
    this.ctx.bus.emit('audio.speaker_failed', { device: speaker, reason: reason.replace(/^speaker: /, '') });
    return true;
  }

  private need(): RunningPipeline {
    if (!this.pipeline || this.state === 'failed') throw new ClassboxError('conflict', 'nothing is playing (open a lesson first)');
    return this.pipeline;
  }

  play(): void {
    this.need().play();
    this.state = 'playing';
  }

  pause(): void {
    this.need().pause();
    this.state = 'paused';
  }

  /** Seconds from the start; refused past the end. */
  seek(seconds: number): void {
    const p = this.need();
    const duration = p.duration();
    if (!(seconds >= 0) || (duration > 0 && seconds > duration))
      throw new ClassboxError('invalid_request', `position must be between 0 and ${duration.toFixed(1)} s`);
    if (!p.seek(seconds)) throw new ClassboxError('conflict', 'the media cannot seek now (not yet playing, or not seekable)');
    if (this.state === 'ended') this.state = 'playing';
  }

  stop(): void {
    this.teardown();
    this.state = 'idle';
    this.media = null;
  }

  private teardown(): void {
    const p = this.pipeline;
    this.pipeline = undefined;
    p?.stop();
  }

  status(): PlayerStatus {
    const p = this.pipeline;
    const pos = p ? p.position() : -1;
    const dur = p ? p.duration() : -1;
    return {
      state: this.state,
      media: this.media,
      positionS: pos >= 0 ? Math.round(pos * 10) / 10 : null,
      durationS: dur > 0 ? Math.round(dur * 10) / 10 : null,
    };
  }
}
