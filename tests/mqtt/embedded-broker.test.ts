import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { EventBus } from '../../src/core/events.js';
import { MqttLink } from '../../src/mqtt/client.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { freePort, waitUntil } from '../helpers/net.js';
import { watchMqtt } from '../helpers/mqtt-watch.js';

describe('embedded broker (aedes) and the MQTT 3.1.1 fallback', () => {
  const brokers: EmbeddedBroker[] = [];
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.close()));
  });

  it('takes the next port when the wanted one is busy', async () => {
    const port = await freePort();
    const first = await startEmbeddedBroker({ port });
    brokers.push(first);
    const second = await startEmbeddedBroker({ port });
    brokers.push(second);
    expect(first.port).toBe(port);
    expect(second.port).toBeGreaterThan(port);
    expect(second.url).toBe(`mqtt://127.0.0.1:${second.port}`);
  });

  it('connects with MQTT 3.1.1 when the broker refuses MQTT 5, and publishes online', async () => {
    const broker = await startEmbeddedBroker({ port: await freePort() });
    brokers.push(broker);
    const watch = await watchMqtt(broker.url, 'classbox/#');
    const config = loadConfig({ env: { CLASSBOX_SITE: 's', CLASSBOX_ROOM: 'r', CLASSBOX_MQTT__URL: broker.url } });
    const link = new MqttLink({ config, log: pino({ level: 'silent' }), bus: new EventBus(), version: 't' });
    await link.start();
    // A service marks its link ready once every part is up (and subscribed): then it says online.
    link.setReady();
    await watch.waitFor('classbox/s/r/availability', (p) => p === 'online');
    await waitUntil(() => link.connected, 'link connected');
    expect(link.protocol).toBe(4);
    await link.stop();
    await watch.close();
  });
});
