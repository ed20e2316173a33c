import { randomUUID } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { withCredentials } from '../mqtt/client.js';
import type { CentralConfig } from './config.js';
import { MESSAGE_KINDS } from './fleet.js';

export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Waiting {
  resolve(response: unknown): void;
  timer: NodeJS.Timeout;
}

/**
 * The centre's one MQTT connection: it reads every room's availability, state, telemetry and events,
 * and sends requests to a room and waits for the room's own answer. It publishes nothing else, so its
 * broker user needs read on `<prefix>/#` and write on `<prefix>/+/+/request/#` only.
 */
export class BrokerLink {
  private client: MqttClient | undefined;
  private readonly waiting = new Map<string, Waiting>();
  private protocolVersion: 4 | 5 = 5;
  connected = false;

  constructor(
    private readonly config: CentralConfig,
    private readonly log: Logger,
    private readonly onMessage: (topic: string, payload: Buffer) => void,
  ) {}

  private options(): IClientOptions {
    const m = this.config.mqtt;
    const opts: IClientOptions = {
      clientId: m.clientId,
      protocolVersion: this.protocolVersion,
      keepalive: m.keepaliveS,
      // A persistent session: the broker keeps the boxes' events (QoS 1) while the centre is away, so a
      // class that ends during a restart of the centre is still counted. Telemetry (QoS 0) is not kept.
      clean: false,
      ...(this.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 7 * 86_400 } } : {}),
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
    };
    return withCredentials(opts, m);
  }

  private topics(): string[] {
    const p = this.config.mqtt.prefix;
    const share = (t: string) =>
      this.config.mqtt.sharedGroup && this.protocolVersion === 5 ? `$share/${this.config.mqtt.sharedGroup}/${t}` : t;
    // Responses are not shared: the instance that asked must be the one that hears the answer.
    return [...MESSAGE_KINDS.map((k) => share(`${p}/+/+/${k}`)), `${p}/+/+/response/#`];
  }

  start(): void {
    const client = connect(this.config.mqtt.url, this.options());
    this.client = client;
    client.on('connect', () => {
      this.connected = true;
      this.log.info({ url: this.config.mqtt.url, protocol: this.protocolVersion }, 'connected to the broker');
      client.subscribe(this.topics(), { qos: 1 }, (err) => {
        if (err) this.log.error({ err }, 'subscribe failed');
      });
    });
    client.on('close', () => (this.connected = false));
    client.on('error', (err: Error & { code?: number }) => {
      // A 3.1.1 broker refuses MQTT 5 with "unacceptable protocol version" (code 1 in CONNACK).
      if (this.protocolVersion === 5 && err.code === 1) {
        this.log.warn('the broker refused MQTT 5: using 3.1.1');
        this.protocolVersion = 4;
        client.end(true);
        this.start();
        return;
      }
      this.log.warn({ err: { message: err.message } }, 'broker connection problem');
    });
    client.on('message', (topic, payload) => {
      if (topic.includes('/response/')) return this.answer(payload);
      this.onMessage(topic, payload);
    });
  }

  private answer(payload: Buffer): void {
    let id: unknown;
    try {
      id = (JSON.parse(payload.toString('utf8')) as { id?: unknown }).id;
    } catch {
      return;
    }
    if (typeof id !== 'string') return;
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    w.resolve(JSON.parse(payload.toString('utf8')));
  }

  /** Sends a request to a room and resolves with the room's response object, as the box wrote it. */
  request(site: string, room: string, command: string, args: Record<string, unknown>): Promise<unknown> {
    const client = this.client;
    if (!client || !this.connected)
      return Promise.reject(new RequestError(503, 'unavailable', 'the centre is not connected to the broker'));
    const id = `central-${randomUUID()}`;
    const base = `${this.config.mqtt.prefix}/${site}/${room}`;
    const timeoutS = this.config.requestTimeoutS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new RequestError(504, 'timeout', `${site}/${room} did not answer ${command} within ${timeoutS} s (is the box online?)`));
      }, timeoutS * 1000);
      this.waiting.set(id, { resolve, timer });
      client.publish(
        `${base}/request/${command}`,
        JSON.stringify({ ...args, id }),
        {
          qos: 1,
          ...(this.protocolVersion === 5
            ? { properties: { responseTopic: `${base}/response/${command}`, correlationData: Buffer.from(id) } }
            : {}),
        },
        (err) => {
          if (!err) return;
          clearTimeout(timer);
          this.waiting.delete(id);
          reject(new RequestError(503, 'unavailable', `the request could not be sent: ${err.message}`));
        },
      );
    });
  }

  async stop(): Promise<void> {
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    await this.client?.endAsync();
  }
}
