import type { Logger } from 'pino';
import type { Part } from '../core/lifecycle.js';
import type { IncomingMessage, MqttLink } from '../mqtt/client.js';
import type { CommandTable } from '../mqtt/rpc.js';
import { topics } from '../mqtt/topics.js';

/**
 * `<base>/request/<command>` -> exactly one response: on the request's MQTT 5 Response Topic (with its
 * Correlation Data) when it has one, else on `<base>/response/<command>`.
 */
/** Requests handled at once; the rest wait as raw messages (a flood must not balloon the heap). */
const MAX_IN_FLIGHT = 16;
/** Past this many waiting, new requests are answered at once with an error instead of queued. */
const MAX_WAITING = 50_000;

export class RequestHandler implements Part {
  readonly name = 'requests';
  private stopped = false;
  private inFlight = 0;
  private readonly waiting: IncomingMessage[] = [];

  constructor(
    private readonly mqtt: MqttLink,
    private readonly table: CommandTable,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.mqtt.subscribe(topics.request(this.mqtt.base, '#'), (m) => this.enqueue(m));
  }

  private enqueue(m: IncomingMessage): void {
    if (this.waiting.length >= MAX_WAITING) {
      this.log.warn({ part: 'requests' }, 'request queue full: request dropped');
      return;
    }
    this.waiting.push(m);
    this.next();
  }

  private next(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.waiting.length > 0) {
      const m = this.waiting.shift()!;
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
    if (response.status === 'error') this.log.info({ part: 'requests', command: command.slice(0, 100), id: response.id, code: response.error.code }, response.error.message);
    // The requester's Response Topic (never a wildcard); the broker's ACL decides what a box may publish.
    const target = m.responseTopic && !/[#+]/.test(m.responseTopic) ? m.responseTopic : topics.response(this.mqtt.base, command);
    if (this.stopped) return;
    try {
      await this.mqtt.publish(target, JSON.stringify(response), m.correlationData ? { qos: 1, correlationData: m.correlationData } : { qos: 1 });
    } catch (err) {
      this.log.warn({ part: 'requests', err }, 'response not published');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}
