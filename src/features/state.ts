import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ClassboxEvents, EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import type { Devices } from '../devices/devices.js';
import type { Classroom } from './classroom.js';
import type { Fleet } from '../fleet/fleet.js';
import type { MediaEngine } from '../media/engine.js';
import type { MqttLink } from '../mqtt/client.js';
import { topics } from '../mqtt/topics.js';
import { VERSION } from '../core/version.js';
import { pageUrl } from '../config/page-url.js';

/** Changes closer together than this are published once (CONTRACT: at most every 250 ms). */
export const STATE_DEBOUNCE_MS = 250;

export interface StateContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  mqtt: MqttLink;
  media: MediaEngine | undefined;
  devices: Devices;
  classroom: Classroom;
  fleet: Fleet;
  configHash: string;
}

/** What the centre sees of a room at a glance; retained, so a dashboard that connects later gets it too. */
export function buildState(
  ctx: Pick<StateContext, 'config' | 'media' | 'devices' | 'classroom' | 'fleet' | 'configHash'>,
): Record<string, unknown> {
  const media = ctx.media;
  return {
    role: ctx.config.role,
    class: ctx.classroom.snapshot(),
    recording: media?.isRecording ?? false,
    layout: media?.layout ?? ctx.config.layout,
    displays: media?.displays() ?? {},
    pipeline: { state: media?.pipelineState() ?? 'stopped' },
    outputs: media?.outputStates() ?? ctx.config.outputs.map((o) => ({ name: o.name, kind: o.kind, state: 'stopped' })),
    devices: ctx.devices.snapshot(),
    version: VERSION,
    configHash: ctx.configHash,
    // The technician page, for the centre to link to (null: it listens on loopback only).
    page: pageUrl(ctx.config.http),
    updateLock: ctx.fleet.lockState,
  };
}

/** Events that change what the snapshot says. */
const CHANGES: Array<keyof ClassboxEvents> = [
  'media.state',
  'layout.changed',
  'display.changed',
  'display.lost',
  'display.restored',
  'output.up',
  'output.down',
  'source.lost',
  'source.restored',
  'pipeline.restarted',
  'device.changed',
  'class.started',
  'class.extended',
  'class.ended',
  'fleet.lock',
];

/**
 * Publishes the retained state on every change (debounced) and on every (re)connect: a broker restart
 * must never leave dashboards with stale state.
 */
export class StatePublisher implements Part {
  readonly name = 'state';
  private timer: NodeJS.Timeout | undefined;
  private lastPublished = 0;

  constructor(private readonly ctx: StateContext) {}

  async start(): Promise<void> {
    for (const e of CHANGES) this.ctx.bus.on(this, e, () => this.changed());
    this.ctx.bus.on(this, 'mqtt.connected', () => void this.publishNow());
    if (this.ctx.mqtt.connected) await this.publishNow();
  }

  /** Schedules a publish so that bursts of changes become one message at most every 250 ms. */
  changed(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastPublished + STATE_DEBOUNCE_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.publishNow();
    }, wait);
  }

  snapshot(): Record<string, unknown> {
    return buildState(this.ctx);
  }

  private async publishNow(): Promise<void> {
    if (!this.ctx.mqtt.connected) return;
    this.lastPublished = Date.now();
    try {
      await this.ctx.mqtt.publish(topics.state(this.ctx.mqtt.base), JSON.stringify(this.snapshot()), { qos: 1, retain: true });
    } catch (err) {
      this.ctx.log.warn({ part: 'state', err }, 'state not published');
    }
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.ctx.bus.removeAll(this);
  }
}
