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

/**
 * Subscribes to `filter` and records every message, for assertions with timeouts. `session`: a
 * persistent session of that client id (clean=false), which a broker with persistence keeps, with what
 * comes for it, across its own restart: a watch that misses nothing a box sends as soon as the broker is
 * back (a box that reconnects first would otherwise publish before a watch started after it subscribes).
 */
export async function watchMqtt(
  url: string,
  filter: string | string[],
  options: { protocolVersion?: 4 | 5; session?: string } = {},
): Promise<MqttWatch> {
  const client = await connectAsync(url, {
    protocolVersion: options.protocolVersion ?? 4,
    reconnectPeriod: 200,
    clientId: options.session ?? `watch-${Math.random().toString(16).slice(2)}`,
    ...(options.session ? { clean: false } : {}),
  });
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

/**
 * A requester on a watched box: sends `<base>/request/<command>` with a fresh id and resolves with the
 * parsed response that carries that id.
 */
export function requester(watch: MqttWatch, base: string, timeoutMs = 20_000) {
  return async (command: string, body: Record<string, unknown> = {}) => {
    const since = watch.messages.length;
    const id = `${command}-${Math.random().toString(36).slice(2, 8)}`;
    await watch.client.publishAsync(`${base}/request/${command}`, JSON.stringify({ id, ...body }), { qos: 1 });
    const r = await watch.waitFor(`${base}/response/${command}`, (p) => JSON.parse(p).id === id, timeoutMs, since);
    return JSON.parse(r.payload);
  };
}

/** How much earlier a receiving box plays its lesson, as its telemetry says (ms, negative; 0 until its pace has moved it). */
export const lessonPacedMs = (telemetry: string): number => JSON.parse(telemetry).sources?.lesson?.pacedMs ?? 0;

/** Waits until a watched receiving box's telemetry says its lesson is played earlier (see LeadPace). */
export function lessonPlayedEarlier(watch: MqttWatch, base: string, timeoutMs: number): Promise<Received> {
  return watch.waitFor(`${base}/telemetry`, (p) => lessonPacedMs(p) < 0, timeoutMs);
}
