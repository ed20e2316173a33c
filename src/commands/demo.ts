import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
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
  const config = loadConfig({ file: DEMO_CONFIG, base: { devices: room.devices }, env: { ...process.env, CLASSBOX_MQTT__URL: broker.url } });
  const log = createLogger({ level: config.log.level });
  process.stdout.write(`classbox demo: MQTT broker listening at ${broker.url}\n`);
  process.stdout.write(`classbox demo: topics under ${config.mqtt.prefix}/${config.site}/${config.room}/ (try: mosquitto_sub -p ${broker.port} -t 'classbox/#' -v)\n`);
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
  // The demo shows a lesson at once: a live class (recording, cameras to their presets, projectors on).
  const started = await service.classroom.begin({ mode: 'live', name: 'demo lesson', minutes: 45 });
  process.stdout.write(`classbox demo: class "${started.name}" (live) started; stop it with request/class/stop\n`);
}
