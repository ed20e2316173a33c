import type { Json } from './box-message.js';
import type { LessonRow, RoomRow } from './store.js';

/** A lesson row from a class as a box describes it (event, state or session summary). */
export function lessonRow(r: RoomRow, c: Json & { id: string }, startedAt: string, endedAt: string | null): LessonRow {
  return {
    site: r.site,
    room: r.room,
    id: c.id.slice(0, 200),
    name: typeof c.name === 'string' ? c.name.slice(0, 200) : '',
    mode: typeof c.mode === 'string' ? c.mode.slice(0, 40) : 'live',
    startedAt,
    endedAt,
    minutes: null,
    incidents: Array.isArray(c.incidents) ? c.incidents.length : 0,
    receivers: null,
  };
}
