import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { megabytesFree } from '../core/disk-free.js';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { recordOutputs, type Config } from '../config/schema.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { ClassboxError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import type { PipelineRunner } from '../media/runner.js';
import { lessonChapters, makeLessonFile } from './lesson-file.js';
import { startOf, type Lesson } from './lesson-record.js';
import { addToManifest, classSegments } from './lesson-sources.js';

export type { Chapter, LessonFile } from './lesson-file.js';
export { summary, type Lesson, type LessonState } from './lesson-record.js';
import type { Recorder } from './recorder.js';

export interface LessonsContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  runner: PipelineRunner;
  recorder: Recorder;
  /** Between attempts at a lesson that waits for room or failed once (ms; tests shorten it). */
  retryMs?: number;
}

const MAX_ATTEMPTS = 3;

/**
 * Makes one MP4 of each recorded class when it ends (or when a class cut off by a crash is found on the
 * next start): joined without re-encoding, the index in front, checked (every frame of the segments,
 * decoded end to end, the index before the media), a thumbnail beside it. Written under a temporary
 * name and renamed only when checked: a kill at any moment leaves the job to be done again at start,
 * never a half lesson under the final name. Until then the segments are the recording.
 */
export class Lessons implements Part {
  readonly name = 'lessons';
  private lessons: Lesson[] = [];
  private readonly file: string;
  private readonly log: Logger;
  private working: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private running: { id: string; startMs: number; changes: Lesson['layoutChanges'] } | undefined;
  private stopped = false;
  private abort = new AbortController();

  constructor(private readonly ctx: LessonsContext) {
    this.file = join(ctx.config.dataDir, 'recordings', 'lessons.json');
    this.log = ctx.log.child({ part: 'lessons' });
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.abort = new AbortController();
    try {
      this.lessons = JSON.parse(readFileSync(this.file, 'utf8')) as Lesson[];
    } catch {
      this.lessons = [];
    }
    // A join cut off by a crash or a kill is done again from the start.
    for (const l of this.lessons) if (l.state === 'joining') l.state = 'pending';
    const bus = this.ctx.bus;
    bus.on(this, 'class.started', (c) => {
      this.running = { id: c.id, startMs: Date.parse(c.startedAt), changes: [] };
    });
    bus.on(this, 'layout.changed', ({ layout }) => {
      const r = this.running;
      if (r) r.changes.push({ atS: Math.max(0, Math.round((Date.now() - r.startMs) / 1000)), layout });
    });
    bus.on(this, 'class.ended', (s) => {
      const changes = this.running?.id === s.id ? this.running.changes : [];
      this.running = undefined;
      // A class ended by the service stopping is taken up again at the next start: its lesson comes at its real end.
      if (!s.recorded || s.endReason === 'service stopping') return;
      this.add({
        id: s.id,
        name: s.name,
        mode: s.mode,
        startedAt: s.startedAt,
        endedAt: s.endedAt,
        incidents: s.incidents,
        layoutChanges: changes,
      });
    });
    // A class that was running at a crash and is not taken up again still becomes a lesson.
    bus.on(this, 'class.not_resumed', (c) => {
      if (c.mode !== 'live' && c.mode !== 'recorded') return; // the modes that record
      this.add({
        id: c.id,
        name: c.name,
        mode: c.mode,
        startedAt: startOf(c.id),
        endedAt: new Date().toISOString(),
        incidents: [],
        layoutChanges: [],
      });
    });
    this.save();
    void this.work();
    this.timer = setInterval(() => void this.work(), this.ctx.retryMs ?? 300_000);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // A lesson being made is dropped, not waited for (an hour's takes minutes): it is made again at start.
    this.abort.abort();
    clearInterval(this.timer);
    this.ctx.bus.removeAll(this);
    await this.working;
  }

  /** Newest first. */
  list(): Lesson[] {
    return [...this.lessons].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  find(id: string): Lesson | undefined {
    return this.lessons.find((l) => l.id === id);
  }

  /** Resolves when every lesson waiting to be made has had its attempt. */
  settled(): Promise<void> {
    return this.working;
  }

  /** For retention (Recorder.lessons). */
  readonly kept = {
    files: () =>
      this.lessons.flatMap((l) =>
        l.state === 'ready' && l.file
          ? [{ path: l.file.path, bytes: l.file.bytes, closedAt: l.madeAt ?? l.endedAt, class: l.id, uploaded: l.uploaded === true }]
          : [],
      ),
    covers: (cls: string) => this.lessons.some((l) => l.id === cls && l.state === 'ready'),
    remove: (path: string, reason: string) => this.remove(path, reason),
  };

  /**
   * `lessons/retry`: a lesson that waits for room or failed is made again now (after room was made or
   * the cause mended). Resolves when the attempt is over.
   */
  async retry(id: string): Promise<Lesson> {
    const l = this.lessons.find((x) => x.id === id);
    if (!l) throw new ClassboxError('not_found', `no lesson ${id} on this box (lessons/list)`);
    if (l.state === 'ready' || l.state === 'joining') throw new ClassboxError('conflict', `lesson ${id} is ${l.state}`);
    l.state = 'pending';
    l.attempts = 0;
    this.save();
    await this.work();
    return l;
  }

  /** An upload of a lesson file was verified. */
  markUploaded(path: string): void {
    const l = this.lessons.find((x) => x.file?.path === path);
    if (!l) return;
    l.uploaded = true;
    this.save();
  }

  private add(l: Omit<Lesson, 'state' | 'attempts'>): void {
    if (this.lessons.some((x) => x.id === l.id)) return;
    this.lessons.push({ ...l, state: 'pending', attempts: 0 });
    // The list stays small: past 1,000, the oldest failed ones are forgotten (a lesson with a file
    // stays listed until retention deletes it).
    const failed = this.lessons.filter((x) => x.state === 'failed');
    const over = this.lessons.length - 1000;
    if (over > 0) this.lessons = this.lessons.filter((x) => !failed.slice(0, over).includes(x));
    this.save();
    void this.work();
  }

  private work(): Promise<void> {
    this.working = this.working.then(async () => {
      for (const l of this.lessons.filter((x) => x.state === 'pending' || x.state === 'waiting')) {
        if (this.stopped) return;
        await this.make(l).catch((err: unknown) => this.failed(l, (err as Error).message));
      }
    });
    return this.working;
  }

  private async make(l: Lesson): Promise<void> {
    const { config, runner, bus } = this.ctx;
    // Every segment of the class that has closed is measured first.
    await this.ctx.recorder.scan();
    const segments = classSegments(this.ctx.recorder.segments(), config, l.id);
    const frames = segments.reduce((a, s) => a + Math.round(s.durationS * config.video.fps), 0);
    if (segments.length === 0 || frames === 0) {
      l.state = 'failed';
      l.reason = 'no frames were recorded: no lesson file';
      this.save();
      this.log.warn({ class: l.id }, l.reason);
      bus.emit('recording.lesson_failed', { class: l.id, code: 'no_frames', reason: l.reason });
      return;
    }
    const dir = join(dirname(segments[0]!.path), 'lessons');
    const minFreeMB = recordOutputs(config).find((o) => segments[0]!.path.startsWith(`${o.dir}/`))?.minFreeMB ?? 0;
    const bytes = segments.reduce((a, s) => a + s.bytes, 0);
    mkdirSync(dir, { recursive: true });
    // The join writes the media twice over (mp4mux keeps it aside to put the index in front).
    const free = megabytesFree(dir);
    const needMB = Math.ceil((2 * bytes) / 1024 / 1024);
    if (free - needMB < minFreeMB) {
      if (l.state !== 'waiting') {
        this.log.warn({ class: l.id, freeMB: free, needMB, minFreeMB }, 'no room to make the lesson file: the segments are kept');
        bus.emit('disk.low', { dir, freeMB: free, minFreeMB: minFreeMB + needMB });
      }
      l.state = 'waiting';
      l.reason = `needs ${needMB} MB beyond the ${minFreeMB} MB kept free; ${free} MB free`;
      this.save();
      return;
    }
    l.state = 'joining';
    l.attempts++;
    delete l.reason;
    this.save();
    const t0 = Date.now();
    const chapters = lessonChapters(
      segments.map((s) => s.durationS),
      l.layoutChanges,
    );
    const made = await makeLessonFile(runner, {
      id: l.id,
      dir,
      segments: segments.map((s) => s.path),
      frames,
      fps: config.video.fps,
      bytes,
      chapters,
      signal: this.abort.signal,
    });
    if (made.why) this.log.info({ class: l.id, why: made.why }, 'segments joined through GStreamer');
    Object.assign(l, {
      state: 'ready',
      file: made.file,
      thumbnail: made.thumbnail,
      durationS: made.durationS,
      segments: segments.length,
      audio: made.audio,
      chapters,
      madeAt: new Date().toISOString(),
    });
    this.save();
    addToManifest(config.dataDir, l, this.log);
    const { path, bytes: fileBytes, sha256 } = made.file;
    this.log.info(
      { class: l.id, path, bytes: fileBytes, durationS: made.durationS, ms: Date.now() - t0, joinedBy: made.joinedBy },
      'lesson file made',
    );
    bus.emit('recording.lesson', {
      class: l.id,
      name: l.name,
      path,
      bytes: fileBytes,
      durationS: made.durationS,
      sha256,
      startedAt: l.startedAt,
      thumbnail: made.thumbnail,
    });
  }

  private failed(l: Lesson, reason: string): void {
    if (this.stopped) {
      l.state = 'pending';
      l.attempts = Math.max(0, l.attempts - 1);
      return this.save();
    }
    l.reason = reason;
    l.state = l.attempts >= MAX_ATTEMPTS ? 'failed' : 'pending';
    this.save();
    this.log.error({ class: l.id, attempt: l.attempts, reason }, 'lesson file not made');
    if (l.state === 'failed') this.ctx.bus.emit('recording.lesson_failed', { class: l.id, code: 'join_failed', reason });
  }

  private remove(path: string, reason: string): void {
    const l = this.lessons.find((x) => x.file?.path === path);
    if (!l) return;
    try {
      rmSync(path, { force: true });
      if (l.thumbnail) rmSync(l.thumbnail.path, { force: true });
    } catch (err) {
      return void this.log.error({ err, path }, 'lesson file not deleted');
    }
    this.lessons = this.lessons.filter((x) => x !== l);
    this.save();
    this.log.info({ path, reason }, 'lesson file deleted');
    this.ctx.bus.emit('recording.deleted', { path, reason });
  }

  private save(): void {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileAtomic(this.file, JSON.stringify(this.lessons));
    } catch (err) {
      this.log.error({ err, file: this.file }, 'lesson list not saved');
    }
  }
}
