import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { megabytesFree } from '../core/disk-free.js';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { recordOutputs, type Config } from '../config/schema.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { ClassboxError } from '../core/errors.js';
import type { ClassboxEvents, EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import type { PipelineRunner } from '../media/runner.js';
import { decodeLesson, joinSegments, segmentHasAudio, thumbnail } from './lesson-join.js';
import { topLevelBoxes } from './mp4-layout.js';
import type { Recorder, SegmentRecord } from './recorder.js';
import { sha256File } from './segment-info.js';

export type LessonState = 'pending' | 'joining' | 'waiting' | 'ready' | 'failed';

export interface Chapter {
  atS: number;
  title: string;
}

export interface LessonFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** One class's lesson: waiting to be made, being made, made (`ready`), or not to be made (`failed`). */
export interface Lesson {
  /** The class's id. */
  id: string;
  name: string;
  mode: string;
  startedAt: string;
  endedAt: string;
  state: LessonState;
  /** Why it waits or failed. */
  reason?: string;
  attempts: number;
  incidents: ClassboxEvents['class.ended']['incidents'];
  layoutChanges: Array<{ atS: number; layout: string }>;
  file?: LessonFile;
  thumbnail?: LessonFile | null;
  durationS?: number;
  segments?: number;
  audio?: boolean;
  chapters?: Chapter[];
  madeAt?: string;
  uploaded?: boolean;
}

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
const THUMBNAIL_AT_S = 180;

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
    const segments = this.segmentsOf(l.id);
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
    const final = join(dir, `${l.id}.mp4`);
    const part = `${final}.part`;
    const audio = await segmentHasAudio(runner, segments[0]!.path);
    try {
      const joined = await joinSegments(runner, {
        segments: segments.map((s) => s.path),
        out: part,
        workDir: join(dir, `.${l.id}.join`),
        audio,
        totalBytes: bytes,
        signal: this.abort.signal,
        chapters: this.chapters(l, segments),
      });
      if (joined.why) this.log.info({ class: l.id, why: joined.why }, 'segments joined through GStreamer');
      const layout = topLevelBoxes(part);
      const moov = layout.types.indexOf('moov');
      if (!layout.complete || moov < 0 || moov > layout.types.indexOf('mdat'))
        throw new Error(`not a whole fast-start MP4 (boxes ${layout.types.join(' ')})`);
      const fileBytes = statSync(part).size;
      const decoded = await decodeLesson(runner, part, audio, frames, this.abort.signal);
      if (Math.abs(decoded.videoFrames - frames) > 1)
        throw new Error(`the lesson has ${decoded.videoFrames} frames, its segments ${frames}`);
      if (audio && decoded.audioFrames === 0) throw new Error('the lesson lost its sound');
      const durationS = Math.round((decoded.videoFrames / config.video.fps) * 1000) / 1000;
      const thumb = await thumbnail(runner, part, Math.floor(Math.min(THUMBNAIL_AT_S, durationS / 3)), fileBytes).catch(() => null);
      let thumbFile: LessonFile | null = null;
      if (thumb) {
        const path = join(dir, `${l.id}.jpg`);
        writeFileSync(path, thumb);
        thumbFile = { path, bytes: thumb.length, sha256: await sha256File(path) };
      }
      const sha256 = await sha256File(part);
      renameSync(part, final);
      Object.assign(l, {
        state: 'ready',
        file: { path: final, bytes: fileBytes, sha256 },
        thumbnail: thumbFile,
        durationS,
        segments: segments.length,
        audio,
        chapters: this.chapters(l, segments),
        madeAt: new Date().toISOString(),
      });
      this.save();
      this.addToManifest(l);
      this.log.info(
        { class: l.id, path: final, bytes: fileBytes, durationS, ms: Date.now() - t0, joinedBy: joined.by },
        'lesson file made',
      );
      bus.emit('recording.lesson', {
        class: l.id,
        name: l.name,
        path: final,
        bytes: fileBytes,
        durationS,
        sha256,
        startedAt: l.startedAt,
        thumbnail: thumbFile,
      });
    } catch (err) {
      rmSync(part, { force: true });
      throw err;
    }
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

  /** The class's segments in one record output's folder (the first that has them), in recording order. */
  private segmentsOf(cls: string): SegmentRecord[] {
    const all = this.ctx.recorder.segments().filter((s) => s.class === cls && existsSync(s.path));
    const dir = recordOutputs(this.ctx.config)
      .filter((o) => o.lessons)
      .map((o) => o.dir)
      .find((d) => all.some((s) => s.path.startsWith(`${d}/`)));
    return dir ? all.filter((s) => dirname(s.path) === dir).sort((a, b) => basename(a.path).localeCompare(basename(b.path))) : [];
  }

  /** Where the recording started again (after a restart) or was cut into its next segment, and each layout change. */
  private chapters(l: Lesson, segments: SegmentRecord[]): Chapter[] {
    const out: Chapter[] = [];
    let at = 0;
    segments.forEach((s, i) => {
      if (i > 0) out.push({ atS: Math.round(at * 1000) / 1000, title: `Part ${i + 1}` });
      at += s.durationS;
    });
    for (const c of l.layoutChanges) out.push({ atS: c.atS, title: `Layout: ${c.layout}` });
    return out.sort((a, b) => a.atS - b.atS);
  }

  /** The class's manifest (`recordings/classes/<class>.json`) gets the lesson's summary. */
  private addToManifest(l: Lesson): void {
    const file = join(this.ctx.config.dataDir, 'recordings', 'classes', `${l.id}.json`);
    try {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      manifest.lesson = summary(l);
      writeFileAtomic(file, JSON.stringify(manifest, null, 2));
    } catch (err) {
      this.log.warn({ err, file }, 'class manifest not updated with its lesson');
    }
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

/** When a class began, from its id (`YYYYMMDDTHHMMSS-<name>`, UTC). */
function startOf(id: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})/.exec(id);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z` : new Date().toISOString();
}

/** What `lessons/list`, the manifest and the page say of a lesson. */
export function summary(l: Lesson) {
  return {
    id: l.id,
    name: l.name,
    mode: l.mode,
    startedAt: l.startedAt,
    endedAt: l.endedAt,
    state: l.state,
    ...(l.reason ? { reason: l.reason } : {}),
    path: l.file?.path ?? null,
    bytes: l.file?.bytes ?? null,
    sha256: l.file?.sha256 ?? null,
    durationS: l.durationS ?? null,
    thumbnail: l.thumbnail?.path ?? null,
    audio: l.audio ?? null,
    segments: l.segments ?? null,
    layoutChanges: l.layoutChanges.length,
    incidents: l.incidents,
    chapters: l.chapters ?? [],
  };
}
