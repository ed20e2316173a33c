import type { FaultRow, LessonRow } from './store.js';

/** What the fleet tells its listeners: a room, a fault or a lesson that changed. */
export type FleetChange =
  { type: 'room'; site: string; room: string } | { type: 'fault'; fault: FaultRow } | { type: 'lesson'; lesson: LessonRow };
