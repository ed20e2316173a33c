import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { EventBus } from './core/events.js';
import { Lifecycle, type Part } from './core/lifecycle.js';
import { MqttLink } from './mqtt/client.js';
import { VERSION } from './version.js';

export interface Service {
  readonly config: Config;
  readonly bus: EventBus;
  readonly mqtt: MqttLink;
  start(): Promise<void>;
  stop(reason?: string): Promise<void>;
}

/**
 * Composition root: builds every part from the config, in start order. Constructors do no work;
 * start() brings parts up in order and stop() takes them down in reverse.
 */
export function createService(config: Config, log: Logger): Service {
  const bus = new EventBus();
  bus.onListenerError = (err, event) => log.error({ err, event }, 'event listener failed');
  const mqtt = new MqttLink({ config, log, bus, version: VERSION });
  const parts: Part[] = [mqtt];
  const lifecycle = new Lifecycle(parts, log);
  return {
    config,
    bus,
    mqtt,
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
