import { z } from 'zod';
import { ClassboxError } from '../core/errors.js';
import { command, type CommandTable } from '../requests/command-table.js';
import { summary, type Lessons } from '../recording/lessons.js';
import type { Uploader } from '../recording/uploader.js';

/** The lesson ids classbox makes: a class's id (`YYYYMMDDTHHMMSS-<name>`). */
export const LESSON_ID = '[0-9]{8}T[0-9]{6}-[a-z0-9-]{1,64}';
export const lessonId = z.string().regex(new RegExp(`^${LESSON_ID}$`), 'must be a lesson id from lessons/list');

/** Upload state of a lesson file: `off` (no upload configured), `queued`, `uploading`, `retrying`, `done`. */
function uploadState(uploader: Uploader | undefined, path: string | null): string {
  if (!uploader) return 'off';
  const item = path ? uploader.list().find((i) => i.path === path) : undefined;
  if (!item) return path ? 'queued' : 'none';
  if (item.state !== 'done' && item.attempts > 0) return 'retrying';
  return item.state;
}

/** The lessons on this box, newest first, as `lessons/list` and `GET /api/lessons` give them. */
export function lessonList(lessons: Lessons | undefined, uploader: Uploader | undefined, limit = 50) {
  return (lessons?.list() ?? []).slice(0, limit).map((l) => ({ ...summary(l), upload: uploadState(uploader, l.file?.path ?? null) }));
}

/** The file of a lesson that is ready, for the implanted mode and the page. */
export function lessonPath(lessons: Lessons | undefined, id: string): string {
  const l = lessons?.find(id);
  if (!l) throw new ClassboxError('not_found', `no lesson ${id} on this box (lessons/list)`);
  if (l.state !== 'ready' || !l.file)
    throw new ClassboxError('conflict', `lesson ${id} is not ready (${l.state}${l.reason ? `: ${l.reason}` : ''})`);
  return l.file.path;
}

export function registerLessonCommands(table: CommandTable, lessons: Lessons | undefined, uploader: Uploader | undefined): void {
  table.register(
    'lessons/list',
    command({
      schema: z.strictObject({ limit: z.number().int().min(1).max(1000).default(50) }),
      handler: ({ limit }) => ({ lessons: lessonList(lessons, uploader, limit) }),
    }),
  );
  table.register(
    'lessons/retry',
    command({
      schema: z.strictObject({ lesson: lessonId }),
      lane: () => 'lessons',
      handler: async ({ lesson }) => {
        if (!lessons) throw new ClassboxError('conflict', 'this box makes no lessons (no record output)');
        return summary(await lessons.retry(lesson));
      },
    }),
  );
}
