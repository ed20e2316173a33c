import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import { baseTopic, topics } from './topics.js';
import { redactText } from '../core/redact.js';

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  /** MQTT 5 request/response: where to answer, and the bytes to echo. */
  responseTopic?: string;
  correlationData?: Buffer;
}

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
  correlationData?: Buffer;
}

export interface MqttLinkContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  version: string;
}

/**
 * The service's one MQTT connection; the only module that imports `mqtt`.
 * Availability is `online` (retained) on every connect and `offline` as the Last Will, and also
 * published by hand before a clean stop, because a normal DISCONNECT does not fire the Will.
 */
/** The largest message the box takes: requests and pushed schedules are 64 KB at most, with room for headers. */
export const MAX_INCOMING_PACKET = 256 * 1024;

/** The user, password and TLS files of an `mqtt` config section, into a client's options. */
export function withCredentials(
  opts: IClientOptions,
  m: {
    username?: string | undefined;
    password?: string | undefined;
    tls?: { ca?: string | undefined; cert?: string | undefined; key?: string | undefined; rejectUnauthorized: boolean } | undefined;
  },
): IClientOptions {
  if (m.username !== undefined) opts.username = m.username;
  if (m.password !== undefined) opts.password = m.password;
  if (m.tls) {
    if (m.tls.ca) opts.ca = readFileSync(m.tls.ca);
    if (m.tls.cert) opts.cert = readFileSync(m.tls.cert);
    if (m.tls.key) opts.key = readFileSync(m.tls.key);
    opts.rejectUnauthorized = m.tls.rejectUnauthorized;
  }
  return opts;
}

export class MqttLink implements Part {
  readonly name = 'mqtt';
  readonly base: string;
  private client: MqttClient | undefined;
  private readonly log: Logger;
  private readonly subscriptions = new Map<string, (m: IncomingMessage) => void>();
  private gate: (() => Promise<void> | undefined) | undefined;

  constructor(private readonly ctx: MqttLinkContext) {
    this.base = baseTopic(ctx.config);
    this.log = ctx.log.child({ part: 'mqtt' });
  }

  /** 5 until a broker refuses it; then 3.1.1 for the life of the process. */
  private protocolVersion: 4 | 5 = 5;

  options(): IClientOptions {
    const m = this.ctx.config.mqtt;
    const clientId = m.clientId ?? `classbox-${this.ctx.config.site}-${this.ctx.config.room}`;
    const opts: IClientOptions = {
      clientId,
      protocolVersion: this.protocolVersion,
      keepalive: m.keepaliveS,
      // A persistent session keeps QoS 1 subscriptions and queued requests across reconnects.
      clean: false,
      // maximumPacketSize: an MQTT 5 broker does not send this box anything bigger (a 60 MB retained
      // schedule once took the process to 468 MB before any check could refuse it).
      ...(this.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 86_400, maximumPacketSize: MAX_INCOMING_PACKET } } : {}),
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      will: { topic: topics.availability(this.base), payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    return withCredentials(opts, m);
  }

  async start(): Promise<void> {
    this.open();
    // The first connection is not awaited: a box must come up and record even with the broker down.
  }

  private open(): void {
    const url = this.ctx.config.mqtt.url;
    const client = connect(url, this.options());
    this.client = client;
    client.on('connect', () => {
      // Small request/response messages: without TCP_NODELAY, Nagle's algorithm meeting the broker's
      // delayed ACK holds each response about 40 ms (measured: 88 -> 44 ms round trip, see bench).
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.log.info({ url, protocol: this.protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1' }, 'connected');
      // The persistent session normally keeps them; subscribing again costs nothing and covers a broker
      // that lost its sessions (restart without persistence).
      for (const filter of this.subscriptions.keys()) client.subscribe(filter, { qos: 1 });
      if (this.ready) void this.publish(topics.availability(this.base), 'online', { qos: 1, retain: true });
      this.ctx.bus.emit('mqtt.connected', { url });
    });
    client.on('close', () => this.ctx.bus.emit('mqtt.disconnected', { url }));
    // MQTT.js reads the next packet (and acknowledges this one) only when handleMessage calls back:
    // holding the callback while the gate is closed slows a flood down at TCP, and the broker keeps it.
    client.handleMessage = (_packet, done) => {
      const wait = this.gate?.();
      if (wait)
        wait.then(
          () => done(),
          () => done(),
        );
      else done();
    };
    client.on('message', (topic, payload, packet) => {
      for (const [filter, handler] of this.subscriptions) {
        if (!matches(filter, topic)) continue;
        const props = packet.properties;
        const m: IncomingMessage = { topic, payload };
        if (props?.responseTopic) m.responseTopic = props.responseTopic;
        if (props?.correlationData) m.correlationData = Buffer.from(props.correlationData);
        handler(m);
      }
    });
    client.on('error', (err) => {
      // MQTT 3.1.1 brokers answer a v5 CONNECT with return code 1; v5 brokers use reason 0x84.
      const code = (err as { code?: number }).code;
      if (this.protocolVersion === 5 && (code === 1 || code === 0x84 || /protocol version/i.test(err.message))) {
        this.log.info('broker does not speak MQTT 5; using 3.1.1');
        this.protocolVersion = 4;
        client.removeAllListeners();
        client.on('error', () => {});
        client.end(true);
        if (this.client === client) this.open();
        return;
      }
      this.log.warn({ err: { message: err.message } }, 'connection problem');
    });
  }

  get protocol(): 4 | 5 {
    return this.protocolVersion;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Backpressure: while the returned promise is pending, no further message is read. */
  setIncomingGate(gate: () => Promise<void> | undefined): void {
    this.gate = gate;
  }

  /** Handles messages on `filter` (one handler per filter); subscribed now and at every connect. */
  subscribe(filter: string, handler: (m: IncomingMessage) => void): void {
    this.subscriptions.set(filter, handler);
    if (this.client?.connected) this.client.subscribe(filter, { qos: 1 });
  }

  private ready = false;

  /**
   * The service is up: every part has subscribed, so a request sent on seeing `online` is heard. Until
   * then the retained availability stays as the Last Will left it (a request sent on an early `online`
   * was lost, published before the box subscribed to requests).
   */
  setReady(): void {
    this.ready = true;
    if (this.client?.connected)
      void this.publish(topics.availability(this.base), 'online', { qos: 1, retain: true }).catch(() => undefined);
  }

  async publish(topic: string, payload: string | Buffer, opts: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('MQTT link not started');
    const o: IClientPublishOptions = { qos: opts.qos ?? 0, retain: opts.retain ?? false };
    if (opts.correlationData && this.protocolVersion === 5) o.properties = { correlationData: opts.correlationData };
    // The last gate before the broker: no credentials, secret parameters or stream keys in any message,
    // whichever part wrote it (state, events, answers, discovery).
    await client.publishAsync(topic, typeof payload === 'string' ? redactText(payload) : payload, o);
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    if (client.connected) {
      await Promise.race([
        client.publishAsync(topics.availability(this.base), 'offline', { qos: 1, retain: true }).catch(() => undefined),
        new Promise((r) => setTimeout(r, 1000)),
      ]);
    }
    await client.endAsync(!client.connected).catch(() => undefined);
  }
}

/** MQTT topic filter matching (`+` one level, `#` the rest). */
export function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
