import type { Logger } from 'pino';
import type { Part } from '../core/lifecycle.js';
import type { IncomingMessage, MqttLink } from '../mqtt/client.js';
import type { CommandTable } from '../requests/command-table.js';
import { topics } from '../mqtt/topics.js';

/**
 * `<base>/request/<command>` -> exactly one response: on the request's MQTT 5 Response Topic (with its
 * Correlation Data) when it has one, else on `<base>/response/<command>`.
 */
/** Requests handled at once; the rest wait as raw messages (a flood must not balloon the heap). */
const MAX_IN_FLIGHT = 16;
/** Past this many waiting, the MQTT link stops reading (the broker holds the rest): bounded memory. */
const HIGH_WATER = 64;

export class RequestHandler implements Part {
  readonly name = 'requests';
  private stopped = false;
  private inFlight = 0;
  private readonly waiting: IncomingMessage[] = [];
  private readonly blocked: Array<() => void> = [];
  private errorsSinceReport = 0;
  private lastReport = 0;

  private started = false;

  constructor(
    private readonly mqtt: MqttLink,
    private readonly table: CommandTable,
    private readonly log: Logger,
    private readonly replyPrefix?: string,
  ) {
    // Subscribed from the first connection on, before anything is published: a dashboard that reacts
    // to the box's first state or `online` by sending a request must be heard. Requests that come
    // while the other parts are still starting wait (bounded, as always) until start().
    this.mqtt.setIncomingGate(() =>
      this.waiting.length < HIGH_WATER ? undefined : new Promise<void>((resolve) => this.blocked.push(resolve)),
    );
    this.mqtt.subscribe(topics.request(this.mqtt.base, '#'), (m) => this.enqueue(m));
  }

  async start(): Promise<void> {
    this.started = true;
    this.next();
  }

  private enqueue(m: IncomingMessage): void {
    this.waiting.push(m);
    this.next();
  }

  private next(): void {
    while (this.started && this.inFlight < MAX_IN_FLIGHT && this.waiting.length > 0) {
      const m = this.waiting.shift()!;
      if (this.waiting.length < HIGH_WATER) for (const open of this.blocked.splice(0)) open();
      this.inFlight++;
      void this.onRequest(m).finally(() => {
        this.inFlight--;
        this.next();
      });
    }
  }

  private async onRequest(m: IncomingMessage): Promise<void> {
    const command = m.topic.slice(topics.request(this.mqtt.base, '').length);
    const response = await this.table.handle(command, m.payload);
    if (response.status === 'error') this.noteError(command, response.id, response.error.code, response.error.message);
    const target = this.replyTopic(m.responseTopic) ?? topics.response(this.mqtt.base, command);
    if (this.stopped) return;
    // Handed to MQTT.js, not awaited: waiting for the PUBACK here would deadlock with the incoming gate
    // (a closed gate also stops the PUBACKs from being read). MQTT.js still delivers it at QoS 1.
    this.mqtt
      .publish(target, JSON.stringify(response), m.correlationData ? { qos: 1, correlationData: m.correlationData } : { qos: 1 })
      .catch((err: unknown) => {
        this.log.warn({ part: 'requests', err }, 'response not published');
      });
  }

  /**
   * The requester's Response Topic, when it is one a box may answer on: under its own
   * `<base>/response/`, or under the configured `mqtt.replyPrefix`. Anything else (another room's
   * request topic, the box's own retained `availability`, a wildcard, `$SYS`) would let any client make
   * the box publish where it must not: the answer then goes to `<base>/response/<command>`.
   */
  private replyTopic(requested: string | undefined): string | undefined {
    if (!requested || requested.includes('#') || requested.includes('+') || requested.includes('\u0000') || requested.length > 512)
      return undefined;
    const own = `${this.mqtt.base}/response/`;
    if (requested.startsWith(own) && requested.length > own.length) return requested;
    const prefix = this.replyPrefix;
    if (prefix && requested.startsWith(prefix) && requested.length > prefix.length) return requested;
    return undefined;
  }

  /**
   * Each refused request at debug level; at info, at most one line a minute with the count, so that a
   * misbehaving client cannot flood the logs (or the memory behind a slow log reader).
   */
  private noteError(command: string, id: string | null, code: string, message: string): void {
    this.log.debug({ part: 'requests', command: command.slice(0, 100), id, code }, message);
    this.errorsSinceReport++;
    const now = Date.now();
    if (now - this.lastReport >= 60_000) {
      this.log.info(
        { part: 'requests', refused: this.errorsSinceReport, last: { command: command.slice(0, 100), code } },
        'requests refused',
      );
      this.errorsSinceReport = 0;
      this.lastReport = now;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const open of this.blocked.splice(0)) open();
  }
}
