import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DisplayConfig } from '../config/display-schema.js';
import type { Config } from '../config/schema.js';
import { ClassboxError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { screensOf, showsProblem } from '../config/display-schema.js';
import { SCREEN_FRAMES, screenEnv, screenLines, screenSocket } from './displays.js';
import type { BoardProfile } from './profiles.js';
import { renderedFrames, type PipelineRunner } from './runner.js';
import type { Canvas } from './sources.js';
import { SupervisedPipeline } from './supervised-pipeline.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * What screens of a process that died (a crash, a power cut during a kill) left: shmsink's shared
 * memory in /dev/shm (`shmpipe.<pid>.<n>`, RAM on a Pi, up to a few frames each) and the screens'
 * sockets. A box in a crash loop would otherwise lose that memory at every start.
 */
export function sweepDeadScreens(dirs = { shm: '/dev/shm', sockets: tmpdir() }): string[] {
  const swept: string[] = [];
  const sweep = (dir: string, pattern: RegExp) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = Number(pattern.exec(name)?.[1] ?? NaN);
      if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
      rmSync(join(dir, name), { force: true });
      swept.push(join(dir, name));
    }
  };
  sweep(dirs.shm, /^shmpipe\.(\d+)\./);
  sweep(dirs.sockets, /^classbox-(\d+)-screen-/);
  return swept;
}

/** A screen's pipelines are quick to rebuild: its sink waits for the feed's socket to appear. */
const SCREEN_BACKOFF_MS = [300, 1000, 2000, 5000];

export interface ScreenStats {
  shows: string;
  /** `lesson`: the lesson's pipeline shows it (its state is the lesson source's). */
  state: 'running' | 'starting' | 'down' | 'lesson';
  frames: number;
}

export interface ScreensContext {
  config: Config;
  profile: BoardProfile;
  canvas: Canvas;
  log: Logger;
  bus: EventBus;
  /** Where the pictures are (the intervideo channels): this process. */
  runner: PipelineRunner;
  /** The display sink's own process (a driver that crashes costs that screen). */
  isolatedRunner: PipelineRunner;
  channel: (source: string) => string;
  interTimeoutNs: number;
  /** The lesson moved onto or off a screen: its pipeline is built again with its new display sink. */
  lessonMoved: () => Promise<void>;
  /** The lesson's frames decoded since its pipeline last started (what the screen showing it shows). */
  lessonFrames: () => number;
}

interface Screen {
  display: DisplayConfig;
  shows: string;
  /** What it shows, into its channel: rebuilt by `display/set`. */
  feed?: SupervisedPipeline;
  /** Its channel to shared memory, and the display sink's process: kept through a switch. */
  share?: SupervisedPipeline;
  sink?: SupervisedPipeline;
}

/**
 * The room's screens other than the lesson's (which its own pipeline drives): each a feed in this
 * process (what it shows, into the screen's channel), a share (that channel to shared memory) and a
 * sink in a process of its own (shared memory to the display). `display/set` rebuilds the feed alone;
 * recordings, streams and the other screens go on.
 */
export class Screens {
  private readonly screens = new Map<string, Screen>();
  private readonly log: Logger;
  private started = false;

  constructor(private readonly ctx: ScreensContext) {
    this.log = ctx.log.child({ part: 'screens' });
    for (const d of screensOf(ctx.config)) this.screens.set(d.name, { display: d, shows: d.shows });
  }

  /** What each screen shows now. */
  current(): Record<string, string> {
    return Object.fromEntries([...this.screens].map(([n, s]) => [n, s.shows]));
  }

  /** The screen that shows the lesson now, if any. */
  lessonScreen(): DisplayConfig | undefined {
    return [...this.screens.values()].find((s) => s.shows === 'lesson')?.display;
  }

  start(): void {
    this.started = true;
    if (this.ctx.config.displays) {
      const swept = sweepDeadScreens();
      if (swept.length > 0) this.log.info({ swept }, 'removed what screens of a process that died had left');
    }
    for (const s of this.screens.values()) this.startScreen(s);
  }

  private startScreen(s: Screen): void {
    if (s.shows === 'lesson' || !this.started) return;
    const { ctx } = this;
    const name = s.display.name;
    const socket = screenSocket(name);
    s.feed = this.feed(s);
    s.share = this.inProcess(`screen:${name}:share`, () => {
      // A socket left by a process that was killed would keep shmsink from listening.
      rmSync(socket, { force: true });
      return this.lines(s).share;
    });
    s.sink = new SupervisedPipeline({
      id: `screen:${name}`,
      runner: ctx.isolatedRunner,
      log: this.log,
      launch: () => this.lines(s).sink,
      create: () => {
        const env = screenEnv(s.display);
        return env ? { env } : {};
      },
      backoffMs: SCREEN_BACKOFF_MS,
      checkMs: 500,
      isUp: (p) => renderedFrames(p.get(SCREEN_FRAMES, 'stats')) > 0,
      onUp: (_p, attempt) => {
        if (attempt > 0) ctx.bus.emit('display.restored', { display: name, shows: s.shows });
      },
      onDown: (reason, attempt) => {
        if (attempt === 1) ctx.bus.emit('display.lost', { display: name, shows: s.shows, reason });
      },
    });
    s.feed.start();
    s.share.start();
    s.sink.start();
  }

  private lines(s: Screen): ReturnType<typeof screenLines> {
    const { ctx } = this;
    return screenLines(
      ctx.config,
      s.display,
      s.shows,
      ctx.profile,
      ctx.canvas,
      screenSocket(s.display.name),
      ctx.channel,
      ctx.interTimeoutNs,
    );
  }

  /** The pipeline that puts what the screen shows now into its channel. */
  private feed(s: Screen): SupervisedPipeline {
    return this.inProcess(`screen:${s.display.name}:feed`, () => this.lines(s).feed);
  }

  /** A screen's pipeline in this process (where the intervideo channels are). */
  private inProcess(id: string, launch: () => string): SupervisedPipeline {
    return new SupervisedPipeline({
      id,
      runner: this.ctx.runner,
      log: this.log,
      launch,
      backoffMs: SCREEN_BACKOFF_MS,
      checkMs: 500,
      isUp: () => true,
    });
  }

  private async stopScreen(s: Screen): Promise<void> {
    for (const sp of [s.sink, s.share, s.feed]) await sp?.stop();
    s.sink = s.share = s.feed = undefined;
    rmSync(screenSocket(s.display.name), { force: true });
  }

  /**
   * `display/set`: one screen shows something else. The lesson is on one screen at a time: a screen
   * set to it takes it from the one that had it, which gets this screen's old picture (the two swap).
   */
  async set(name: string, shows: string): Promise<{ display: string; shows: string; previous: string }> {
    const s = this.screens.get(name);
    if (!s) throw new ClassboxError('not_found', `no display "${name}" (displays: ${[...this.screens.keys()].join(', ') || 'none'})`);
    const problem = showsProblem(this.ctx.config, shows);
    if (problem) throw new ClassboxError(problem.code, `display "${name}": ${problem.message}`);
    const previous = s.shows;
    if (previous === shows) return { display: name, shows, previous };
    const changed: Array<[Screen, string]> = [[s, shows]];
    const lessonOn = [...this.screens.values()].find((x) => x.shows === 'lesson');
    if (shows === 'lesson' && lessonOn) changed.push([lessonOn, previous]);
    if (shows === 'lesson' || previous === 'lesson') {
      // The lesson's own pipeline drives the screen it is on: the screens it leaves and joins are rebuilt.
      for (const [x] of changed) await this.stopScreen(x);
      for (const [x, to] of changed) x.shows = to;
      await this.ctx.lessonMoved();
      for (const [x] of changed) this.startScreen(x);
    } else {
      // Only the feed: the screen's process stays connected and shows the new picture at its next frame.
      await s.feed?.stop();
      s.shows = shows;
      s.feed = this.feed(s);
      s.feed.start();
    }
    for (const [x, to] of changed) this.log.info({ display: x.display.name, shows: to }, 'display changed');
    for (const [x, to] of changed)
      this.ctx.bus.emit('display.changed', { display: x.display.name, shows: to, previous: x === s ? previous : shows });
    return { display: name, shows, previous };
  }

  stats(): Record<string, ScreenStats> {
    return Object.fromEntries(
      [...this.screens].map(([n, s]): [string, ScreenStats] => {
        if (s.shows === 'lesson') return [n, { shows: s.shows, state: 'lesson', frames: this.ctx.lessonFrames() }];
        const sp = s.sink;
        const state = sp?.state === 'running' ? 'running' : sp?.state === 'down' ? 'down' : 'starting';
        return [n, { shows: s.shows, state, frames: renderedFrames(sp?.pipeline?.get(SCREEN_FRAMES, 'stats')) }];
      }),
    );
  }

  supervised(): SupervisedPipeline[] {
    return [...this.screens.values()].flatMap((s) => [s.sink, s.share, s.feed].filter((x): x is SupervisedPipeline => x !== undefined));
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const s of this.screens.values()) await this.stopScreen(s);
  }
}
