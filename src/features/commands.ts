import { z } from 'zod';
import { layout as layoutSchema } from '../config/media-schema.js';
import { shows } from '../config/display-schema.js';
import { ClassboxError } from '../core/errors.js';
import type { Devices } from '../devices/devices.js';
import type { MediaEngine } from '../media/engine.js';
import { command, CommandTable, noArgs } from '../requests/command-table.js';
import { registerDeviceCommands } from './device-commands.js';
import { registerClassCommands } from './class-commands.js';
import type { Classroom } from './classroom.js';
import type { Scheduler } from '../schedule/scheduler.js';
import type { Fleet } from '../fleet/fleet.js';
import type { Config } from '../config/schema.js';
import { redactDeep } from '../core/redact.js';
import type { Uploader } from '../recording/uploader.js';
import type { Player } from '../media/player.js';
import type { Lessons } from '../recording/lessons.js';
import { lessonPath, registerLessonCommands } from './lesson-commands.js';

export interface CommandContext {
  config: Config;
  uploader: Uploader | undefined;
  lessons: Lessons | undefined;
  fleet: Fleet;
  media: MediaEngine | undefined;
  devices: Devices;
  classroom: Classroom;
  scheduler: Scheduler;
  player: Player | undefined;
  state: () => Record<string, unknown>;
}

function needMedia(media: MediaEngine | undefined): MediaEngine {
  if (!media) throw new ClassboxError('conflict', 'this box runs no media (no sources configured)');
  return media;
}

/** The one command table: request name -> argument schema -> handler (CONTRACT §4). */
export function buildCommandTable(ctx: CommandContext): CommandTable {
  const table = new CommandTable()
    .register('state/get', command({ schema: noArgs(), handler: () => ctx.state() }))
    .register(
      'layout/set',
      command({
        schema: z.strictObject({ layout: layoutSchema }),
        lane: () => 'media',
        handler: ({ layout }) => {
          needMedia(ctx.media).setLayout(layout);
          return { layout };
        },
      }),
    )
    .register(
      'display/set',
      command({
        schema: z.strictObject({ display: z.string().min(1).max(64), shows }),
        lane: () => 'media',
        handler: ({ display, shows }) => needMedia(ctx.media).setDisplay(display, shows),
      }),
    )
    .register(
      'pipeline/restart',
      command({
        schema: noArgs(),
        lane: () => 'media',
        handler: () => {
          needMedia(ctx.media).restart();
          return {};
        },
      }),
    );
  for (const [name, on] of [
    ['stream/start', true],
    ['stream/stop', false],
  ] as const) {
    table.register(
      name,
      command({
        schema: z.strictObject({ output: z.string().min(1).max(64) }),
        lane: () => 'media',
        handler: async ({ output }) => {
          await needMedia(ctx.media).setOutput(output, on);
          return { output, streaming: on };
        },
      }),
    );
  }
  registerDeviceCommands(table, ctx.devices);
  registerClassCommands(table, ctx.classroom, ctx.player, (id) => lessonPath(ctx.lessons, id));
  registerLessonCommands(table, ctx.lessons, ctx.uploader);
  table.register(
    'uploads/list',
    command({
      schema: z.strictObject({ limit: z.number().int().min(1).max(1000).default(50) }),
      handler: ({ limit }) => {
        if (!ctx.uploader) throw new ClassboxError('conflict', 'no upload is configured (upload: in the config)');
        return {
          uploads: ctx.uploader
            .list()
            .slice(-limit)
            .reverse()
            .map(({ path, key, class: cls, bytes, state, parts, attempts, lastError, queuedAt, completedAt }) => ({
              path,
              key,
              class: cls,
              bytes,
              state,
              partsDone: parts.length,
              attempts,
              lastError,
              queuedAt,
              completedAt,
            })),
        };
      },
    }),
  );
  table.register('config/get', command({ schema: noArgs(), handler: () => redactDeep(ctx.config) }));
  for (const action of ['reboot', 'restart'] as const) {
    table.register(
      `system/${action}`,
      command({
        // Without force, a running class is never cut: the request is done when the class has ended.
        schema: z.strictObject({ force: z.boolean().default(false) }),
        lane: () => 'system',
        handler: ({ force }) => ctx.fleet.request(action, force),
      }),
    );
  }
  table.register(
    'schedule/get',
    command({
      schema: z.strictObject({ days: z.number().int().min(1).max(31).default(7) }),
      handler: ({ days }) => ({ classes: ctx.scheduler.upcoming(days) }),
    }),
  );
  return table;
}
