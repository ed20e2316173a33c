import { connect } from 'mqtt';
import type { Config } from '../config/schema.js';
import { MqttLink } from './client.js';
import { EventBus } from '../core/events.js';
import { pino } from 'pino';

/** Connects once with the service's own options (TLS, auth) and reports whether the broker accepted it. */
export async function probeBroker(config: Config, timeoutMs = 4000): Promise<{ ok: boolean; detail: string }> {
  const link = new MqttLink({ config, log: pino({ level: 'silent' }), bus: new EventBus(), version: 'probe' });
  const opts = {
    ...link.options(),
    clientId: `${link.options().clientId}-doctor`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    will: undefined,
    properties: {},
  };
  return new Promise((resolve) => {
    const client = connect(config.mqtt.url, opts);
    const done = (ok: boolean, detail: string) => {
      clearTimeout(timer);
      client.end(true);
      resolve({ ok, detail });
    };
    const timer = setTimeout(() => done(false, `${config.mqtt.url}: no answer within ${timeoutMs} ms`), timeoutMs);
    client.once('connect', () =>
      done(
        true,
        `${config.mqtt.url}: connected${config.mqtt.tls ? ' (TLS)' : ''}${config.mqtt.username ? ` as ${config.mqtt.username}` : ''}`,
      ),
    );
    client.once('error', (err) => done(false, `${config.mqtt.url}: ${err.message}`));
  });
}
