import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../core/log.js';
import { startEmbeddedBroker } from '../mqtt/embedded-broker.js';
import { startDemoRoom } from '../sim/demo-room.js';
import { serve } from './serve.js';

export const DEMO_CONFIG = fileURLToPath(new URL('../../examples/demo.yaml', import.meta.url));

/**
 * The demo classroom: the real gateway with its own MQTT broker (aedes on 127.0.0.1:1883 or the
 * next free port), the demo config and simulated room hardware (cameras, projectors, GPIO) on real
 * ptys and TCP. Needs no file or flag; CLASSBOX_* variables still apply.
 */
export async function runDemo(options: { port?: number } = {}): Promise<void> {
  const broker = await startEmbeddedBroker({ port: options.port ?? 1883 });
  const room = await startDemoRoom();
  const config = loadConfig({
    file: DEMO_CONFIG,
    base: { devices: room.devices, schedule: demoSchedule(new Date()) },
    env: { ...process.env, CLASSBOX_MQTT__URL: broker.url },
  });
  // The demo is read by a person at a terminal: readable lines, not NDJSON.
  const log = createLogger({ level: config.log.level, pretty: true });
  process.stdout.write(`classbox demo: MQTT broker listening at ${broker.url}\n`);
  process.stdout.write(
    `classbox demo: topics under ${config.mqtt.prefix}/${config.site}/${config.room}/ (try: mosquitto_sub -p ${broker.port} -t 'classbox/#' -v)\n`,
  );
  for (const line of room.describe()) process.stdout.write(`classbox demo: simulated ${line}\n`);
  const service = await serve(
    config,
    log,
    async () => {
      await room.close();
      await broker.close();
    },
    { gpioChip: room.gpio },
  );
  const next = service.scheduler.upcoming(1)[0];
  if (next) process.stdout.write(`classbox demo: timetable: "${next.name}" (${next.mode}) from ${next.start} to ${next.end}\n`);
}

/**
 * The demo's timetable: a live lesson from the next minute, for 45 minutes, in this machine's time
 * zone, with the teacher camera on the podium and the main projector on.
 */
export function demoSchedule(now: Date): Record<string, unknown> {
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const wall = (d: Date) =>
    new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      weekday: 'short',
    }).formatToParts(d);
  const parts = (d: Date) => Object.fromEntries(wall(d).map((p) => [p.type, p.value]));
  const start = parts(new Date(now.getTime() + 60_000));
  const endAt = parts(new Date(now.getTime() + 46 * 60_000));
  const day = String(start.weekday).toLowerCase().slice(0, 3);
  // A lesson that would run past midnight ends at 23:59.
  const end = endAt.weekday === start.weekday ? `${endAt.hour}:${endAt.minute}` : '23:59';
  const startTime = `${start.hour}:${start.minute}`;
  if (startTime >= end) return { timezone, classes: [] };
  return {
    timezone,
    classes: [
      {
        name: 'demo-lesson',
        days: [day],
        start: startTime,
        end,
        mode: 'live',
        preset: { 'teacher-cam': 'podium', 'students-cam': 'class' },
        projector: { main: 'on' },
      },
    ],
  };
}
