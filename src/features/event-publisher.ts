import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ClassboxEvents, EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import type { MqttLink } from '../mqtt/client.js';
import { Outbox } from '../mqtt/outbox.js';
import { topics } from '../mqtt/topics.js';
import { redactDeep } from '../core/redact.js';

/** Bus events that the centre hears about on `<base>/event` (CONTRACT §4), with their contract names. */
const PUBLISHED: Array<keyof ClassboxEvents> = [
  'source.lost',
  'source.restored',
  'pipeline.restarted',
  'output.down',
  'output.up',
  'layout.changed',
  'display.changed',
  'display.lost',
  'display.restored',
  'playback.ended',
  'playback.failed',
  'device.online',
  'device.offline',
  'class.started',
  'class.extended',
  'class.ended',
  'class.step_failed',
  'schedule.updated',
  'schedule.rejected',
  'schedule.fetch_failed',
  'recording.segment',
  'recording.lesson',
  'recording.lesson_failed',
  'recording.deleted',
  'recording.empty',
  'class.not_resumed',
  'disk.low',
  'memory.growth',
  'audio.speaker_failed',
  'audio.echo_cancel_failed',
  'audio.silent',
  'audio.restored',
  'upload.started',
  'upload.completed',
  'upload.retrying',
];

export interface EventPublisherContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  mqtt: MqttLink;
}

/**
 * Every event goes through the disk outbox, gets a monotonic `seq`, and is published at QoS 1, one at
 * a time and in order, as soon as the broker is there: minutes or days later, and after a restart of
 * classbox itself.
 */
export class EventPublisher implements Part {
  readonly name = 'events';
  private outbox: Outbox | undefined;
  private draining = false;
  private diskFailing = false;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly ctx: EventPublisherContext) {
    this.log = ctx.log.child({ part: 'events' });
  }

  async start(): Promise<void> {
    this.outbox = new Outbox(join(this.ctx.config.dataDir, 'outbox'), this.ctx.config.mqtt.outboxMaxMB * 1024 * 1024);
    if (this.outbox.size > 0) this.log.info({ pending: this.outbox.size }, 'events waiting from before');
    for (const type of PUBLISHED)
      this.ctx.bus.on(this, type, (payload) => this.publish(type, payload as unknown as Record<string, unknown>));
    this.ctx.bus.on(this, 'mqtt.connected', () => void this.drain());
    void this.drain();
  }

  /** Stores the event, then tries to deliver it. */
  publish(type: string, fields: Record<string, unknown> = {}): void {
    if (!this.outbox) return;
    const safe = redactDeep(fields) as Record<string, unknown>;
    const { dropped, persisted } = this.outbox.add((seq) => ({ type, ts: new Date().toISOString(), seq, ...safe }));
    if (dropped > 0) this.log.warn({ dropped }, 'outbox full: oldest events dropped');
    if (!persisted && !this.diskFailing) {
      // Said once per spell: the events go on from memory, and the centre learns why a restart now could lose some.
      this.diskFailing = true;
      const reason = `${this.outbox.writeError?.code ?? 'error'}: ${this.outbox.writeError?.message ?? 'write failed'}`;
      this.log.error({ dir: this.ctx.config.dataDir, reason }, 'data folder not writable: events kept in memory until it is');
      this.outbox.add((seq) => ({ type: 'storage.failed', ts: new Date().toISOString(), seq, dir: this.ctx.config.dataDir, reason }), true);
    } else if (persisted) this.diskFailing = false;
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining || !this.outbox) return;
    this.draining = true;
    try {
      // One report of everything dropped while the broker was away, when it is back.
      const dropped = this.ctx.mqtt.connected ? this.outbox.takeDropped() : 0;
      if (dropped > 0) this.outbox.add((seq) => ({ type: 'events.dropped', ts: new Date().toISOString(), seq, count: dropped }), true);
      for (let e = this.outbox.peek(); e && this.ctx.mqtt.connected && !this.stopped; e = this.outbox.peek()) {
        // Resolves on PUBACK; if the connection drops meanwhile, MQTT.js resends it on reconnect.
        await this.ctx.mqtt.publish(topics.event(this.ctx.mqtt.base), e.line, { qos: 1 });
        this.outbox.delivered(e.seq);
      }
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'event delivery paused');
    } finally {
      this.draining = false;
    }
  }

  get pending(): number {
    return this.outbox?.size ?? 0;
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeAll(this);
    // What is not delivered now is on disk and goes out after the next start.
    await Promise.race([this.drain(), new Promise((r) => setTimeout(r, 1000))]);
    this.stopped = true;
  }
}
