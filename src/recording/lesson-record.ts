import type { ClassboxEvents } from '../core/events.js';
import type { Chapter, LessonFile } from './lesson-file.js';

export type LessonState = 'pending' | 'joining' | 'waiting' | 'ready' | 'failed';

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

/** When a class began, from its id (`YYYYMMDDTHHMMSS-<name>`, UTC). */
export function startOf(id: string): string {
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
