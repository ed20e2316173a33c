import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../core/events.js';
import type { EchoStats } from './echo/echo-cancel.js';
import type { OutputStats } from './network-outputs.js';
import type { BoardProfile } from './profiles.js';
import type { PipelineRunner } from './runner.js';
import type { SrtLinkStats } from './srt-stats.js';

export type { OutputStats } from './network-outputs.js';

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

export interface SourceStats {
  state: 'live' | 'lost' | 'starting';
  srt?: SrtLinkStats;
  /** A lesson played earlier: how far its timing was moved (ms, negative: earlier; see LeadPace). */
  pacedMs?: number;
}

export interface MediaStats {
  fps: number;
  droppedFrames: number;
  latencyMs: number | null;
  outputs: Record<string, OutputStats>;
  sources: Record<string, SourceStats>;
  /** dBFS per metered path (`mic`, `speaker`), RMS over the last second; -100 for silence. */
  audio: Record<string, number>;
  /** The echo canceller, where the box both plays and captures sound. */
  echo?: EchoStats;
}
