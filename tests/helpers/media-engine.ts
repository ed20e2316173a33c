import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { EventBus, type ClassboxEvents } from '../../src/core/events.js';
import { MediaEngine } from '../../src/media/engine.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { loadBoardProfile } from '../../src/media/profiles.js';

export interface EngineHarness {
  engine: MediaEngine;
  config: Config;
  events: Array<{ type: keyof ClassboxEvents; payload: unknown; at: number }>;
  bus: EventBus;
  /** Warnings and errors the engine logged. */
  warnings: Array<{ msg: string; [k: string]: unknown }>;
  /** Everything the engine logged at info and above. */
  logs: Array<{ msg: string; level: number; [k: string]: unknown }>;
}

/** A media engine on real GStreamer with the software profile, its events recorded. */
export function startEngine(doc: Record<string, unknown>): EngineHarness {
  const config = loadConfig({ base: { site: 'test-school', room: 'room-1', profile: 'software', ...doc }, env: {} });
  const bus = new EventBus();
  const events: EngineHarness['events'] = [];
  const types: Array<keyof ClassboxEvents> = [
    'source.lost',
    'source.restored',
    'pipeline.restarted',
    'output.down',
    'output.up',
    'layout.changed',
    'media.state',
    'audio.speaker_failed',
  ];
  for (const t of types) bus.on(events, t, (payload) => events.push({ type: t, payload, at: Date.now() }));
  const warnings: EngineHarness['warnings'] = [];
  const logs: EngineHarness['logs'] = [];
  const log = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        const entry = JSON.parse(line) as EngineHarness['logs'][number];
        logs.push(entry);
        if (entry.level >= 40) warnings.push(entry);
      },
    },
  );
  const engine = new MediaEngine({ config, log, bus, runner: new GstRunner(), profile: loadBoardProfile('software') });
  return { engine, config, events, bus, warnings, logs };
}
