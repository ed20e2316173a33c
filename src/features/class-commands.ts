import { z } from 'zod';
import { CLASS_MODES } from '../config/service-schema.js';
import { layout as layoutSchema } from '../config/media-schema.js';
import { ClassboxError } from '../core/errors.js';
import type { Player } from '../media/player.js';
import { command, noArgs, type CommandTable } from '../requests/command-table.js';
import type { Classroom } from './classroom.js';
import { lessonId } from './lesson-commands.js';

const preset = z.union([z.number().int().min(0).max(255), z.string().min(1).max(64)]);

/** class/*, sessions/list and the implanted lesson's playback/* (CONTRACT §4 and beyond). */
export function registerClassCommands(
  table: CommandTable,
  classroom: Classroom,
  player: Player | undefined,
  lessonPath: (id: string) => string,
): void {
  const lane = () => 'class';
  table
    .register(
      'class/start',
      command({
        schema: z.strictObject({
          mode: z.enum(CLASS_MODES),
          name: z.string().min(1).max(64).optional(),
          layout: layoutSchema.optional(),
          minutes: z.number().int().min(1).max(600).optional(),
          preset: z.record(z.string().min(1).max(64), preset).optional(),
          projector: z.record(z.string().min(1).max(64), z.enum(['on', 'off'])).optional(),
          media: z.string().min(1).max(1024).optional(),
          /** An implanted class may name one of this box's lessons (lessons/list) instead of a file. */
          lesson: lessonId.optional(),
        }),
        lane,
        handler: ({ lesson, ...args }) => {
          if (lesson && args.media) throw new ClassboxError('invalid_request', 'lesson: give media or lesson, not both');
          return classroom.begin(lesson ? { ...args, media: lessonPath(lesson) } : args);
        },
      }),
    )
    .register('class/stop', command({ schema: noArgs(), lane, handler: () => classroom.end('requested') }))
    .register('record/start', command({ schema: noArgs(), lane, handler: () => classroom.recordStart() }))
    .register('record/stop', command({ schema: noArgs(), lane, handler: () => classroom.recordStop() }))
    .register(
      'class/mode',
      // One command for a dashboard's mode selector (Home Assistant's select): idle stops the class,
      // another mode ends the running class and starts one in that mode.
      command({
        schema: z.strictObject({ mode: z.enum(['idle', 'live', 'recorded', 'observation']) }),
        lane,
        handler: async ({ mode }) => {
          const running = classroom.snapshot();
          if (running?.mode === mode) return { mode, changed: false };
          if (running) await classroom.end(`mode changed to ${mode}`);
          if (mode !== 'idle') await classroom.begin({ mode });
          return { mode, changed: running !== null || mode !== 'idle' };
        },
      }),
    )
    // The teacher's button journals its classes as started by the button.
    .register('class/toggle', command({ schema: noArgs(), lane, handler: (_args, { via }) => classroom.toggle(via) }))
    .register(
      'class/extend',
      command({
        schema: z.strictObject({ minutes: z.number().int().min(1).max(240) }),
        lane,
        handler: ({ minutes }) => classroom.extend(minutes),
      }),
    )
    .register(
      'sessions/list',
      command({
        schema: z.strictObject({ limit: z.number().int().min(1).max(500).default(20) }),
        handler: ({ limit }) => ({ sessions: classroom.sessions(limit) }),
      }),
    );

  const needPlayer = (): Player => {
    if (!player) throw new ClassboxError('conflict', 'this box plays no lessons (no display)');
    return player;
  };
  table
    .register('playback/status', command({ schema: noArgs(), handler: () => needPlayer().status() }))
    .register(
      'playback/play',
      command({ schema: noArgs(), lane: () => 'player', handler: () => (needPlayer().play(), needPlayer().status()) }),
    )
    .register(
      'playback/pause',
      command({ schema: noArgs(), lane: () => 'player', handler: () => (needPlayer().pause(), needPlayer().status()) }),
    )
    .register(
      'playback/seek',
      command({
        schema: z.strictObject({ seconds: z.number().min(0).max(86_400) }),
        lane: () => 'player',
        handler: ({ seconds }) => (needPlayer().seek(seconds), needPlayer().status()),
      }),
    )
    .register(
      'playback/stop',
      command({ schema: noArgs(), lane: () => 'player', handler: () => (needPlayer().stop(), needPlayer().status()) }),
    );
}
