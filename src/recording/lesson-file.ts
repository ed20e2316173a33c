import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineRunner } from '../media/runner.js';
import { decodeLesson, joinSegments, segmentHasAudio, thumbnail, type JoinedBy } from './lesson-join.js';
import { topLevelBoxes } from './mp4-layout.js';
import { sha256File } from './segment-info.js';

export interface Chapter {
  atS: number;
  title: string;
}

export interface LessonFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** The thumbnail is taken this far in (a third of the way into a shorter lesson). */
const THUMBNAIL_AT_S = 180;

/** `Part N` where each segment after the first begins, and `Layout: x` at each layout change, in order. */
export function lessonChapters(segmentSeconds: number[], layoutChanges: Array<{ atS: number; layout: string }>): Chapter[] {
  const out: Chapter[] = [];
  let at = 0;
  segmentSeconds.forEach((s, i) => {
    if (i > 0) out.push({ atS: Math.round(at * 1000) / 1000, title: `Part ${i + 1}` });
    at += s;
  });
  for (const c of layoutChanges) out.push({ atS: c.atS, title: `Layout: ${c.layout}` });
  return out.sort((a, b) => a.atS - b.atS);
}

export interface MadeLesson {
  file: LessonFile;
  thumbnail: LessonFile | null;
  durationS: number;
  audio: boolean;
  joinedBy: JoinedBy;
  /** Why the segments went through GStreamer rather than the copy. */
  why?: string;
}

/**
 * One lesson file made from a class's segments, in `dir` as `<id>.mp4`: joined under a temporary name,
 * checked (the index in front and whole, every picture and sound frame decoded, as many picture frames
 * as the segments within one), its thumbnail and SHA-256 taken, and only then renamed. Any failure
 * removes the temporary file: a half lesson never has the final name.
 */
export async function makeLessonFile(
  runner: PipelineRunner,
  opts: {
    id: string;
    dir: string;
    segments: string[];
    frames: number;
    fps: number;
    bytes: number;
    chapters: Chapter[];
    signal: AbortSignal;
  },
): Promise<MadeLesson> {
  const final = join(opts.dir, `${opts.id}.mp4`);
  const part = `${final}.part`;
  const audio = await segmentHasAudio(runner, opts.segments[0]!);
  try {
    const joined = await joinSegments(runner, {
      segments: opts.segments,
      out: part,
      workDir: join(opts.dir, `.${opts.id}.join`),
      audio,
      totalBytes: opts.bytes,
      signal: opts.signal,
      chapters: opts.chapters,
    });
    const layout = topLevelBoxes(part);
    const moov = layout.types.indexOf('moov');
    if (!layout.complete || moov < 0 || moov > layout.types.indexOf('mdat'))
      throw new Error(`not a whole fast-start MP4 (boxes ${layout.types.join(' ')})`);
    const fileBytes = statSync(part).size;
    const decoded = await decodeLesson(runner, part, audio, opts.frames, opts.signal);
    if (Math.abs(decoded.videoFrames - opts.frames) > 1)
      throw new Error(`the lesson has ${decoded.videoFrames} frames, its segments ${opts.frames}`);
    if (audio && decoded.audioFrames === 0) throw new Error('the lesson lost its sound');
    const durationS = Math.round((decoded.videoFrames / opts.fps) * 1000) / 1000;
    const thumb = await thumbnail(runner, part, Math.floor(Math.min(THUMBNAIL_AT_S, durationS / 3)), fileBytes).catch(() => null);
    let thumbFile: LessonFile | null = null;
    if (thumb) {
      const path = join(opts.dir, `${opts.id}.jpg`);
      writeFileSync(path, thumb);
      thumbFile = { path, bytes: thumb.length, sha256: await sha256File(path) };
    }
    const sha256 = await sha256File(part);
    renameSync(part, final);
    return {
      file: { path: final, bytes: fileBytes, sha256 },
      thumbnail: thumbFile,
      durationS,
      audio,
      joinedBy: joined.by,
      ...(joined.why ? { why: joined.why } : {}),
    };
  } catch (err) {
    rmSync(part, { force: true });
    throw err;
  }
}
