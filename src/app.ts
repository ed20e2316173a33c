import type { Logger } from 'pino';
import { recordOutputs, type Config } from './config/schema.js';
import { EventBus } from './core/events.js';
import { Lifecycle, type Part } from './core/lifecycle.js';
import { screenPictures } from './config/display-schema.js';
import { MediaEngine } from './media/engine.js';
import type { PipelineRunner } from './media/runner.js';
import type { BoardProfile } from './media/profiles.js';
import { createHash } from 'node:crypto';
import { Devices } from './devices/devices.js';
import type { GpioChip } from './transports/gpio.js';
import { buildCommandTable } from './features/commands.js';
import { Classroom } from './features/classroom.js';
import { Scheduler } from './schedule/scheduler.js';
import { Fleet } from './fleet/fleet.js';
import { SystemdWatchdog } from './fleet/watchdog.js';
import { Recorder } from './recording/recorder.js';
import { Lessons } from './recording/lessons.js';
import { lessonList, lessonPath } from './features/lesson-commands.js';
import { Uploader } from './recording/uploader.js';
import { HttpServer } from './http/server.js';
import { buildMetrics } from './http/metrics.js';
import { Preview } from './webrtc/preview.js';
import { Player } from './media/player.js';
import { ClassboxError, toClassboxError } from './core/errors.js';
import { EventPublisher } from './features/event-publisher.js';
import { RequestHandler } from './features/requests.js';
import { HomeAssistantDiscovery } from './features/home-assistant.js';
import { StatePublisher } from './features/state.js';
import { Telemetry } from './features/telemetry.js';
import { ProcessMeter } from './features/process-meter.js';
import { MemoryWatch } from './features/memory-watch.js';
import { SilenceWatch } from './features/silence-watch.js';
import { readProcFigures } from './core/process-figures.js';
import { trimMemory } from './media/gst-runner.js';
import { MqttLink } from './mqtt/client.js';
import { VERSION } from './core/version.js';
import { layoutNames } from './core/layout-names.js';

export interface Service {
  readonly config: Config;
  readonly bus: EventBus;
  readonly mqtt: MqttLink;
  readonly media: MediaEngine | undefined;
  readonly devices: Devices;
  readonly classroom: Classroom;
  readonly scheduler: Scheduler;
  readonly fleet: Fleet;
  readonly recorder: Recorder | undefined;
  readonly lessons: Lessons | undefined;
  readonly http: HttpServer | undefined;
  readonly preview: Preview | undefined;
  start(): Promise<void>;
  stop(reason?: string): Promise<void>;
}

/**
 * Composition root: builds every part from the config, in start order. Constructors do no work;
 * start() brings parts up in order and stop() takes them down in reverse.
 */
export interface ServiceParts {
  /** GStreamer, or a stand-in in tests. Without it the service runs no media (a box with only devices). */
  runner?: PipelineRunner;
  /** For pipelines that may crash GStreamer (display sinks, played lessons): a process of their own. Default: `runner`. */
  isolatedRunner?: PipelineRunner;
  profile?: BoardProfile;
  /** GPIO lines: the board's where it has them, else simulated (the demo hands in its own). */
  gpioChip?: GpioChip;
  /** The clock of the classroom and the timetable; tests drive it and call scheduler.tick() themselves. */
  clock?: { now: () => number; autoTick: boolean };
  /** Off: no local HTTP server (tests that run several services in one process). */
  http?: boolean;
  /** Where BALENA_* variables come from (tests hand in their own). */
  env?: NodeJS.ProcessEnv;
}

export function createService(config: Config, log: Logger, parts: ServiceParts = {}): Service {
  const bus = new EventBus();
  bus.onListenerError = (err, event) => log.error({ err, event }, 'event listener failed');
  const mqtt = new MqttLink({ config, log, bus, version: VERSION });
  // A box records and streams during classes only: the classroom turns them on.
  const media =
    parts.runner && parts.profile && Object.keys(config.sources).length > 0
      ? new MediaEngine({
          config,
          log,
          bus,
          runner: parts.runner,
          isolatedRunner: parts.isolatedRunner ?? parts.runner,
          profile: parts.profile,
          recording: false,
          streaming: false,
        })
      : undefined;
  const player =
    parts.runner && parts.profile
      ? new Player({
          config,
          log,
          bus,
          runner: parts.isolatedRunner ?? parts.runner,
          profile: parts.profile,
          onMessage: (m) => media?.onMeter(m),
          echoPorts: () => media?.echoPorts,
        })
      : undefined;
  const configHash = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12);
  const devices = new Devices({ config, log, bus, ...(parts.gpioChip ? { gpioChip: parts.gpioChip } : {}) });
  const now = parts.clock?.now;
  const classroom = new Classroom({ config, log, bus, media, devices, player, ...(now ? { now } : {}) });
  // Healthy while the media engine runs (or there is none); a broker outage is no reason to restart.
  const watchdog = new SystemdWatchdog(log, () => !media || media.pipelineState() !== 'stopped', parts.env ?? process.env);
  const recorder =
    media && parts.runner && recordOutputs(config).length > 0 ? new Recorder({ config, log, bus, media, runner: parts.runner }) : undefined;
  const lessons =
    recorder && parts.runner && recordOutputs(config).some((o) => o.lessons)
      ? new Lessons({ config, log, bus, runner: parts.runner, recorder })
      : undefined;
  if (recorder && lessons) recorder.lessons = lessons.kept;
  const uploader =
    recorder && config.upload
      ? new Uploader({
          config,
          upload: config.upload,
          log,
          bus,
          onUploaded: (path) => {
            recorder.markUploaded(path, config.upload!.deleteAfterUpload);
            lessons?.markUploaded(path);
          },
        })
      : undefined;
  if (recorder && uploader && config.upload?.segments) recorder.onPending = (segments) => segments.forEach((s) => uploader.enqueue(s));
  const fleet = new Fleet({ config, log, bus, classroom, ...(parts.env ? { env: parts.env } : {}) });
  const scheduler = new Scheduler({ config, log, bus, classroom, mqtt, ...(now ? { now } : {}), autoTick: parts.clock?.autoTick ?? true });
  const state = new StatePublisher({ config, log, bus, mqtt, media, devices, classroom, fleet, configHash });
  const table = buildCommandTable({
    config,
    uploader,
    lessons,
    media,
    devices,
    classroom,
    scheduler,
    fleet,
    player,
    state: () => state.snapshot(),
  });
  const requests = new RequestHandler(mqtt, table, log, config.mqtt.replyPrefix);
  // A GPIO input runs its configured request exactly as if it had come over MQTT.
  bus.on(requests, 'gpio.input', ({ name, action }) => {
    if (!action) return;
    const run = table.handle(action, Buffer.from(JSON.stringify({ id: `gpio:${name}` })), { via: 'button' }).then((r) => {
      if (r.status === 'error') throw new ClassboxError(r.error.code, r.error.message);
      return r.data;
    });
    run.then(
      (data) => log.info({ part: 'gpio', line: name, action, data }, 'button action done'),
      (err: unknown) => log.warn({ part: 'gpio', line: name, action, err: toClassboxError(err) }, 'button action refused'),
    );
  });
  const events = new EventPublisher({ config, log, bus, mqtt });
  // MQTT and the event outbox first, so nothing another part reports at start is lost; stopped last,
  // so the last events get out.
  const meter = new ProcessMeter();
  const telemetry = new Telemetry({ config, log, mqtt, media, meter, uploader });
  const lessonPlays = config.role === 'receive' && Object.values(config.sources).some((s) => s.kind === 'remote');
  const silenceWatch = new SilenceWatch({
    bus,
    log,
    silenceS: config.audio.silenceS,
    paths: media ? [...(config.audio.device !== 'none' ? ['mic'] : []), ...(lessonPlays ? ['speaker'] : [])] : [],
  });
  const memoryWatch = new MemoryWatch({
    bus,
    log,
    limitMBPerHour: config.health.memoryGrowthMBPerHour,
    readMB: () => readProcFigures().rssAnonMB,
    trim: trimMemory,
  });
  const discovery = config.mqtt.homeAssistant.discovery ? [new HomeAssistantDiscovery({ config, log, bus, mqtt })] : [];
  const unhealthy = () => {
    if (media && media.pipelineState() === 'stopped') return 'media pipeline stopped';
    if (media && media.pipelineState() === 'restarting') return 'media pipeline restarting';
    return undefined;
  };
  const preview = media ? new Preview({ media, table, log, maxViewers: config.http.maxViewers }) : undefined;
  const page = () => ({
    room: `${config.site} / ${config.room}`,
    state: { ...state.snapshot(), mqtt: mqtt.connected },
    presets: Object.fromEntries(Object.entries(config.devices.cameras).map(([n, c]) => [n, c.presets])),
    inputs: Object.fromEntries(Object.entries(config.devices.projectors).map(([n, p]) => [n, Object.keys(p.inputs)])),
    layouts: layoutNames(Object.keys(config.sources)),
    pictures: config.displays ? screenPictures(config) : [],
    telemetry: {
      media: media?.stats() ?? null,
      memoryMB: Math.round(process.memoryUsage().rss / 1024 / 1024),
      uptimeS: Math.round(process.uptime()),
      process: readProcFigures(),
    },
  });
  const http =
    parts.http === false
      ? undefined
      : new HttpServer({
          config,
          log,
          metrics: buildMetrics({ media, devices, mqtt, events, classroom, uploader }),
          unhealthy,
          preview,
          api: { page, table },
          lessons: {
            list: () => lessonList(lessons, uploader),
            file: (id, kind) => {
              const mp4 = lessonPath(lessons, id);
              const thumb = lessons?.find(id)?.thumbnail?.path;
              if (kind === 'mp4') return mp4;
              if (!thumb) throw new ClassboxError('not_found', `lesson ${id} has no thumbnail`);
              return thumb;
            },
          },
        });
  const order: Part[] = [
    mqtt,
    events,
    devices,
    ...(media ? [media] : []),
    // The recordings before the classroom: a class taken up again (or not) at start is heard by them,
    // and a class ended at stop has its last segment measured.
    ...(uploader ? [uploader] : []),
    ...(recorder ? [recorder] : []),
    ...(lessons ? [lessons] : []),
    classroom,
    fleet,
    state,
    requests,
    scheduler,
    meter,
    telemetry,
    memoryWatch,
    silenceWatch,
    ...discovery,
    ...(preview ? [preview] : []),
    ...(http ? [http] : []),
    watchdog,
  ];
  const lifecycle = new Lifecycle(order, log);
  return {
    config,
    bus,
    mqtt,
    media,
    devices,
    classroom,
    scheduler,
    fleet,
    recorder,
    lessons,
    http,
    preview,
    async start() {
      await lifecycle.start();
      mqtt.setReady();
      bus.emit('service.started', { version: VERSION });
      log.info({ version: VERSION, site: config.site, room: config.room, role: config.role }, 'classbox started');
    },
    async stop(reason = 'requested') {
      bus.emit('service.stopping', { reason });
      await lifecycle.stop(4500);
      log.info({ reason }, 'classbox stopped');
    },
  };
}
