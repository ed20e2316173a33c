import { z } from 'zod';
import type { ErrorCode } from '../core/errors.js';
import { name } from './fields.js';

/**
 * What one screen shows: the anchor's lesson (receiving classroom), every remote classroom at once in
 * a grid, the composite that is recorded and streamed, or one source (`source:<name>`).
 */
export const SHOWS_PATTERN = /^(lesson|classrooms|composite|source:[a-z0-9][a-z0-9-]*)$/;
export const shows = z.string().regex(SHOWS_PATTERN, 'must be lesson, classrooms, composite or source:<name>');

/** One screen of the room: a projector, a TV, one HDMI port of the board. */
export const displayOutput = z.strictObject({
  name: name(),
  /** The board's display sink, or none (decoded and counted, shown nowhere: a headless test or a spare). */
  sink: z.enum(['profile', 'none']).default('profile'),
  /** KMS connector of this screen (kmssink `connector-id`: a Pi's two HDMI ports are two connectors). */
  connector: z.number().int().min(0).optional(),
  /** X display of this screen for the X11 sinks (x86 boxes): `:0.1`; given to its process as DISPLAY. */
  x11Display: z
    .string()
    .regex(/^[A-Za-z0-9.-]*:\d+(\.\d+)?$/, 'must be an X display like :0 or :0.1')
    .optional(),
  shows,
});
export type DisplayConfig = z.output<typeof displayOutput>;

/** Several screens; the single `display` key stays for one (the lesson, in the receive role). */
export const displays = z.array(displayOutput).min(1).max(4).optional();

/** What the screens' rules read of a room's config. */
interface Room {
  role: 'broadcast' | 'receive';
  sources: Record<string, { kind: string }>;
}

/** The anchor's lesson in the receive role: the first remote source. */
export function lessonSource(config: Room): string | undefined {
  if (config.role !== 'receive') return undefined;
  return Object.entries(config.sources).find(([, s]) => s.kind === 'remote')?.[0];
}

/** The other classrooms over the network: every remote source but the lesson. */
export function classroomsOf(config: Room): string[] {
  const lesson = lessonSource(config);
  return Object.entries(config.sources)
    .filter(([n, s]) => s.kind === 'remote' && n !== lesson)
    .map(([n]) => n);
}

/**
 * The room's screens: `displays`, or else the single `display` showing the lesson (receive role) or
 * what a played file holds (playback).
 */
export function screensOf(config: { displays?: DisplayConfig[] | undefined; display: { sink: 'profile' | 'none' } }): DisplayConfig[] {
  return config.displays ?? [{ name: 'main', sink: config.display.sink, shows: 'lesson' }];
}

/** Why a screen of this room cannot show `shows` (null: it can). The same words for the config file and `display/set`. */
export function showsProblem(config: Room, shows: string): { code: ErrorCode; message: string } | null {
  const lesson = lessonSource(config);
  const names = Object.keys(config.sources);
  if (shows === 'lesson')
    return lesson
      ? null
      : {
          code: 'invalid_request',
          message: 'there is no lesson to show: only a receiving classroom (role: receive) with a remote source has one',
        };
  if (shows === 'classrooms')
    return classroomsOf(config).length > 0
      ? null
      : { code: 'invalid_request', message: `there are no classrooms to show: no remote source${lesson ? ' besides the lesson' : ''}` };
  if (shows === 'composite')
    return names.some((n) => n !== lesson) ? null : { code: 'invalid_request', message: 'there is no composite: no local source' };
  const source = /^source:(.+)$/.exec(shows)?.[1];
  if (!source) return { code: 'invalid_request', message: 'must be lesson, classrooms, composite or source:<name>' };
  if (source === lesson) return { code: 'invalid_request', message: `source "${source}" is the lesson: show lesson` };
  if (!names.includes(source)) return { code: 'not_found', message: `no source "${source}" (sources: ${names.join(', ') || 'none'})` };
  return null;
}

/** Every picture a screen of this room can show, as `shows` names it. */
export function screenPictures(config: Room): string[] {
  const all = ['lesson', 'classrooms', 'composite', ...Object.keys(config.sources).map((n) => `source:${n}`)];
  return all.filter((p) => showsProblem(config, p) === null);
}
