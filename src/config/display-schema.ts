import { z } from 'zod';
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
