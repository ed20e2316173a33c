import { connectAsync, type MqttClient } from 'mqtt';
import { waitUntil } from './net.js';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

export interface MqttWatch {
  client: MqttClient;
  messages: Received[];
  /** Waits for a message on `topic` (exact) whose payload satisfies `match`, arrived after `since` messages. */
  waitFor(topic: string, match?: (payload: string) => boolean, timeoutMs?: number, since?: number): Promise<Received>;
  close(): Promise<void>;
}

/** Subscribes to `filter` and records every message, for assertions with timeouts. */
export async function watchMqtt(url: string, filter: string | string[], options: { protocolVersion?: 4 | 5 } = {}): Promise<MqttWatch> {
  const client = await connectAsync(url, { protocolVersion: options.protocolVersion ?? 4, reconnectPeriod: 200, clientId: `watch-${Math.random().toString(16).slice(2)}` });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    client,
    messages,
    waitFor: (topic, match = () => true, timeoutMs = 5000, since = 0) =>
      waitUntil(() => messages.slice(since).find((m) => m.topic === topic && match(m.payload)), `MQTT ${topic}`, timeoutMs),
    close: () => client.endAsync(true),
  };
}
