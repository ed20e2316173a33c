import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { EventBus } from './core/events.js';
import { Lifecycle, type Part } from './core/lifecycle.js';
import { MediaEngine } from './media/engine.js';
import type { PipelineRunner } from './media/runner.js';
import type { BoardProfile } from './media/profiles.js';
import { createHash } from 'node:crypto';
import { buildCommandTable } from './features/commands.js';
import { EventPublisher } from './features/event-publisher.js';
import { RequestHandler } from './features/requests.js';
import { HomeAssistantDiscovery } from './features/home-assistant.js';
import { StatePublisher } from './features/state.js';
import { Telemetry } from './features/telemetry.js';
import { MqttLink } from './mqtt/client.js';
import { VERSION } from './version.js';

export interface Service {
  readonly config: Config;
  readonly bus: EventBus;
  readonly mqtt: MqttLink;
  readonly media: MediaEngine | undefined;
  start(): Promise<void>;
  stop(reason?: string): Promise<void>;
}

/**
 * Composition root: builds every part from the config, in start order. Constructors do no work;
 * start() brings parts up in order and stop() takes them down in reverse.
 */
export interface ServiceParts {
  /** GStreamer, or a stand-in in tests. Without it the service runs no media (a box with only devices). */
  runner?: PipelineRunner;
  profile?: BoardProfile;
}

export function createService(config: Config, log: Logger, parts: ServiceParts = {}): Service {
  const bus = new EventBus();
  bus.onListenerError = (err, event) => log.error({ err, event }, 'event listener failed');
  const mqtt = new MqttLink({ config, log, bus, version: VERSION });
  const media = parts.runner && parts.profile && Object.keys(config.sources).length > 0 ? new MediaEngine({ config, log, bus, runner: parts.runner, profile: parts.profile }) : undefined;
  const configHash = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12);
  const state = new StatePublisher({ config, log, bus, mqtt, media, configHash });
  const requests = new RequestHandler(mqtt, buildCommandTable({ media, state: () => state.snapshot() }), log);
  const events = new EventPublisher({ config, log, bus, mqtt });
  // MQTT and the event outbox first, so nothing another part reports at start is lost; stopped last,
  // so the last events get out.
  const telemetry = new Telemetry({ config, log, mqtt, media });
  const discovery = config.mqtt.homeAssistant.discovery ? [new HomeAssistantDiscovery({ config, log, bus, mqtt })] : [];
  const order: Part[] = [mqtt, events, ...(media ? [media] : []), state, requests, telemetry, ...discovery];
  const lifecycle = new Lifecycle(order, log);
  return {
    config,
    bus,
    mqtt,
    media,
    async start() {
      await lifecycle.start();
      bus.emit('service.started', { version: VERSION });
      log.info({ version: VERSION, site: config.site, room: config.room, role: config.role }, 'classbox started');
    },
    async stop(reason = 'requested') {
      bus.emit('service.stopping', { reason });
      await lifecycle.stop(4500);
      log.info({ reason }, 'classbox stopped');
    },
  };
}
