import { networkOutputs, recordOutputs, type Config } from '../config/schema.js';
import type { ClassMode } from '../core/class-session.js';
import { slug } from '../core/slug.js';
import type { MediaEngine } from '../media/engine.js';
import type { Player } from '../media/player.js';

/** What the media does for a running class, as far as this part is concerned. */
export interface ClassMediaState {
  name: string;
  mode: ClassMode;
  /** Network outputs switched on for the class, in order (kept when a later one fails). */
  outputs: string[];
  recorded: boolean;
}

/**
 * What each mode of class does with the media: live goes out to the platform and the other schools
 * and is recorded; recorded is recorded only; observation shows the anchor's lesson on the display
 * (the receive role's input runs anyway) and sends nothing; implanted plays a recorded lesson.
 */
export class ClassMedia {
  constructor(
    private readonly config: Config,
    private readonly media: MediaEngine | undefined,
    private readonly player: Player | undefined,
  ) {}

  /** Whether a class on this box can be recorded at all. */
  get canRecord(): boolean {
    return this.media !== undefined && recordOutputs(this.config).length > 0;
  }

  /** Idle: nothing goes out. */
  async outputsOff(): Promise<void> {
    await this.setOutputs(false);
  }

  async start(c: ClassMediaState, lesson: string | undefined): Promise<void> {
    if (c.mode === 'implanted') {
      this.player!.open(lesson!);
      this.player!.play();
      return;
    }
    if (!this.media) return;
    if ((c.mode === 'live' || c.mode === 'recorded') && this.canRecord) await this.record(c, true);
    await this.setOutputs(c.mode === 'live', c);
  }

  async stop(c: ClassMediaState): Promise<void> {
    if (c.mode === 'implanted') {
      this.player?.stop();
      return;
    }
    if (!this.media) return;
    await this.setOutputs(false);
    if (c.recorded) await this.record(c, false);
  }

  /**
   * Recording of the running class on or off (its files are named with its name's slug). A class once
   * recorded stays `recorded`: its files are counted when it ends.
   */
  async record(c: ClassMediaState, on: boolean): Promise<void> {
    if (!on) return this.media!.setRecording(false);
    await this.media!.setRecording(true, slug(c.name));
    c.recorded = true;
  }

  private async setOutputs(on: boolean, c?: ClassMediaState): Promise<void> {
    if (!this.media) return;
    for (const o of networkOutputs(this.config)) {
      await this.media.setOutput(o.name, on);
      if (on && c) c.outputs.push(o.name);
    }
  }
}
