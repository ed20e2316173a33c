import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import { recordOutputs, type Config, type RecordOutput } from '../config/schema.js';
import type { EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import { slug } from '../core/slug.js';
import type { MediaEngine } from '../media/engine.js';
import type { PipelineRunner } from '../media/runner.js';
import { segmentDurationS, sha256File } from './segment-info.js';
import { parseSegmentName } from '../media/recording-names.js';
import { Retention, type KeptFile } from './retention.js';

export interface SegmentRecord {
  path: string;
  class: string | null;
  index: number;
  durationS: number;
  bytes: number;
  sha256: string;
  closedAt: string;
  uploaded: boolean;
}

interface Index {
  segments: SegmentRecord[];
  /** Recording name tag -> class id, so segments closed after a restart still find their class. */
  tags: Record<string, string>;
}

/** The lesson files, which retention keeps within the same limits (recording/lessons.ts). */
export interface KeptLessons {
  files(): Array<{ path: string; bytes: number; closedAt: string; class: string; uploaded: boolean }>;
  /** Whether the class has a verified lesson file (its segments are then a second copy). */
  covers(cls: string): boolean;
  remove(path: string, reason: string): void;
}

export interface RecorderContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  media: MediaEngine;
  runner: PipelineRunner;
  scanMs?: number;
}

/**
 * Watches the recording folders: each segment that closes (a newer one started, the class ended, or
 * classbox restarted after a crash) is measured (duration, bytes, SHA-256), announced as
 * `recording.segment`, and listed in its class's manifest, in order. Keeps the disk within its limits:
 * retention by age and size, and room kept free, never touching the segment being written.
 */
export class Recorder implements Part {
  readonly name = 'recorder';
  private index: Index = { segments: [], tags: {} };
  private readonly known = new Set<string>();
  private scanning: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private currentClass: string | undefined;
  private readonly dir: string;
  private readonly log: Logger;
  private readonly retention: Retention;
  /** Told at start of the closed segments not uploaded yet (the uploader takes them up). */
  onPending: (segments: SegmentRecord[]) => void = () => {};
  /** The lessons made of the recordings, kept within the same limits. */
  lessons: KeptLessons | undefined;

  constructor(private readonly ctx: RecorderContext) {
    this.dir = join(ctx.config.dataDir, 'recordings');
    this.log = ctx.log.child({ part: 'recorder' });
    this.retention = new Retention(this.log, ctx.bus);
  }

  private get outputs(): RecordOutput[] {
    return recordOutputs(this.ctx.config);
  }

  async start(): Promise<void> {
    mkdirSync(join(this.dir, 'classes'), { recursive: true });
    try {
      this.index = JSON.parse(readFileSync(join(this.dir, 'index.json'), 'utf8')) as Index;
    } catch {
      this.index = { segments: [], tags: {} };
    }
    for (const s of this.index.segments) this.known.add(s.path);
    this.ctx.bus.on(this, 'class.started', (c) => {
      this.index.tags[slug(c.name)] = c.id;
      this.currentClass = c.id;
      this.save();
    });
    this.ctx.bus.on(this, 'class.ended', () => {
      this.currentClass = undefined;
      void this.scan();
    });
    // Segments closed by a crash (or before this version) are measured now.
    await this.scan();
    this.onPending(this.index.segments.filter((s) => !s.uploaded && existsSync(s.path)));
    this.timer = setInterval(() => void this.scan(), this.ctx.scanMs ?? 2000);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.ctx.bus.removeAll(this);
    await this.scanning;
  }

  /** An upload was verified: the segment may go first when room is needed, or at once if so configured. */
  markUploaded(path: string, deleteLocal: boolean): void {
    const s = this.index.segments.find((x) => x.path === path);
    if (!s) return;
    s.uploaded = true;
    this.save();
    if (deleteLocal) this.remove(s, 'uploaded and verified');
  }

  segments(): SegmentRecord[] {
    return [...this.index.segments];
  }

  /** One pass: measure what closed, then keep the disk within its limits. Passes never overlap. */
  scan(): Promise<void> {
    this.scanning = this.scanning.then(() => this.pass()).catch((err: unknown) => this.log.error({ err }, 'recording scan failed'));
    return this.scanning;
  }

  private async pass(): Promise<void> {
    const writing = this.ctx.media.recordingPrefix;
    for (const out of this.outputs) {
      let files: string[];
      try {
        files = readdirSync(out.dir)
          .filter((f) => f.endsWith('.mkv'))
          .sort();
      } catch {
        continue; // the disk is not there (yet)
      }
      const open = writing ? files.filter((f) => f.startsWith(`${writing}-`)).at(-1) : undefined;
      // Only this room's own segments: a folder may be shared with another room or hold a teacher's
      // files, and what classbox did not write it neither measures, announces nor deletes.
      for (const f of files.filter((name) => this.isOwn(name))) {
        const path = join(out.dir, f);
        if (f === open || this.known.has(path)) continue;
        await this.closed(path, f);
      }
      this.keepLimits(out, open ? join(out.dir, open) : undefined);
    }
  }

  /** Named as the media engine names this room's segments (media/recording-names.ts). */
  private isOwn(file: string): boolean {
    return parseSegmentName(file, this.ctx.config) !== null;
  }

  private async closed(path: string, file: string): Promise<void> {
    this.known.add(path);
    const name = parseSegmentName(file, this.ctx.config);
    const tag = name?.tag ?? '';
    const cls = tag ? (this.index.tags[tag] ?? null) : null;
    let bytes: number;
    try {
      bytes = statSync(path).size;
    } catch {
      return;
    }
    if (bytes === 0) {
      // Nothing was written (a full disk, a crash before the first cluster): not a recording.
      this.log.error({ path }, 'segment closed empty: nothing was recorded into it');
      this.ctx.bus.emit('recording.empty', { path, class: cls });
      try {
        unlinkSync(path);
      } catch {
        // gone already
      }
      return;
    }
    const [sha256, durationS] = await Promise.all([
      sha256File(path),
      segmentDurationS(this.ctx.runner, path, this.ctx.config.video.fps).catch(() => 0),
    ]);
    const index = cls ? this.index.segments.filter((s) => s.class === cls).length : (name?.index ?? 0);
    const record: SegmentRecord = {
      path,
      class: cls,
      index,
      durationS,
      bytes,
      sha256,
      closedAt: new Date().toISOString(),
      uploaded: false,
    };
    this.index.segments.push(record);
    this.save();
    if (cls) this.writeManifest(cls);
    this.log.info({ path, class: cls, durationS, bytes }, 'segment closed');
    this.ctx.bus.emit('recording.segment', { path, class: cls, index, durationS, bytes, sha256 });
  }

  /** `<dataDir>/recordings/classes/<class>.json`: the class's segments in order. */
  private writeManifest(cls: string): void {
    const segments = this.index.segments
      .filter((s) => s.class === cls)
      .map(({ path, index, durationS, bytes, sha256 }) => ({ index, file: basename(path), path, durationS, bytes, sha256 }));
    const file = join(this.dir, 'classes', `${cls}.json`);
    writeFileAtomic(file, JSON.stringify({ class: cls, segments, totalS: segments.reduce((a, s) => a + s.durationS, 0) }, null, 2));
  }

  private save(): void {
    writeFileAtomic(join(this.dir, 'index.json'), JSON.stringify(this.index));
  }

  private keepLimits(out: RecordOutput, open: string | undefined): void {
    this.retention.keep(out, () => [...this.segmentsKept(out, open), ...this.lessonsKept(out)], this.currentClass);
  }

  private segmentsKept(out: RecordOutput, open: string | undefined): KeptFile[] {
    return this.index.segments
      .filter((s) => s.path.startsWith(`${out.dir}/`) && this.isOwn(basename(s.path)) && s.path !== open && existsSync(s.path))
      .map((s) => ({
        path: s.path,
        bytes: s.bytes,
        closedAt: s.closedAt,
        class: s.class,
        redundant: s.uploaded || (s.class !== null && (this.lessons?.covers(s.class) ?? false)),
        remove: (reason: string) => this.remove(s, reason),
      }));
  }

  private lessonsKept(out: RecordOutput): KeptFile[] {
    const lessons = this.lessons;
    if (!lessons) return [];
    return lessons
      .files()
      .filter((l) => l.path.startsWith(`${out.dir}/`))
      .map((l) => ({ ...l, redundant: l.uploaded, remove: (reason: string) => lessons.remove(l.path, reason) }));
  }

  private remove(s: SegmentRecord, reason: string): void {
    try {
      unlinkSync(s.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return void this.log.error({ err, path: s.path }, 'segment not deleted');
    }
    this.index.segments = this.index.segments.filter((x) => x !== s);
    this.save();
    this.log.info({ path: s.path, reason }, 'segment deleted');
    this.ctx.bus.emit('recording.deleted', { path: s.path, reason });
  }
}
