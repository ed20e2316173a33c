import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { recordOutputs, type Config } from '../config/schema.js';
import type { Part } from '../core/lifecycle.js';
import type { MediaEngine } from '../media/engine.js';
import type { MqttLink } from '../mqtt/client.js';
import { topics } from '../mqtt/topics.js';
import type { Uploader } from '../recording/uploader.js';
import type { ProcessMeter } from './process-meter.js';
import { CpuMeter, diskFreeMB, temperatureC, throttled } from './system-stats.js';

export interface TelemetryContext {
  config: Config;
  log: Logger;
  mqtt: MqttLink;
  media: MediaEngine | undefined;
  meter: ProcessMeter;
  uploader?: Uploader | undefined;
}

/** `<base>/telemetry` every `telemetryIntervalS`: QoS 0, not retained (a missed sample is replaced by the next). */
export class Telemetry implements Part {
  readonly name = 'telemetry';
  private timer: NodeJS.Timeout | undefined;
  private cpu = new CpuMeter();

  constructor(private readonly ctx: TelemetryContext) {}

  async start(): Promise<void> {
    mkdirSync(this.ctx.config.dataDir, { recursive: true });
    this.cpu = new CpuMeter();
    this.timer = setInterval(() => void this.send(), this.ctx.config.mqtt.telemetryIntervalS * 1000);
  }

  sample(): Record<string, unknown> {
    const stats = this.ctx.media?.stats();
    const recordDirs = recordOutputs(this.ctx.config).map((o) => o.dir);
    const free = [this.ctx.config.dataDir, ...recordDirs].map(diskFreeMB).filter((n): n is number => n !== null);
    return {
      ts: new Date().toISOString(),
      cpuPercent: this.cpu.percent(),
      memoryMB: Math.round(process.memoryUsage().rss / 1024 / 1024),
      process: this.ctx.meter.figures(),
      temperatureC: temperatureC(),
      throttled: throttled(),
      diskFreeMB: free.length ? Math.min(...free) : null,
      uptimeS: Math.round(process.uptime()),
      pipeline: stats ? { fps: stats.fps, droppedFrames: stats.droppedFrames, latencyMs: stats.latencyMs } : null,
      outputs: stats
        ? Object.fromEntries(
            Object.entries(stats.outputs).map(([n, o]) => [
              n,
              { bitrateKbps: o.bitrateKbps, state: o.state, ...(o.srt ? { srt: o.srt } : {}) },
            ]),
          )
        : {},
      sources: stats?.sources ?? {},
      audio: stats?.audio ?? {},
      ...(this.ctx.uploader ? { uploads: uploadBacklog(this.ctx.uploader) } : {}),
    };
  }

  private async send(): Promise<void> {
    if (!this.ctx.mqtt.connected) return;
    try {
      await this.ctx.mqtt.publish(topics.telemetry(this.ctx.mqtt.base), JSON.stringify(this.sample()), { qos: 0 });
    } catch (err) {
      this.ctx.log.debug({ part: 'telemetry', err }, 'telemetry not sent');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }
}

/** What waits to go to the store: the centre's sign of an upload that is stuck or a link too slow. */
function uploadBacklog(uploader: Uploader): { pending: number; bytesPending: number; oldestQueuedAt: string | null } {
  const waiting = uploader.list().filter((u) => u.state !== 'done');
  return {
    pending: waiting.length,
    bytesPending: waiting.reduce((n, u) => n + u.bytes, 0),
    oldestQueuedAt: waiting.reduce<string | null>((o, u) => (o === null || u.queuedAt < o ? u.queuedAt : o), null),
  };
}
