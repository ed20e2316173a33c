import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Devices } from '../devices/devices.js';
import type { EventPublisher } from '../features/event-publisher.js';
import type { Classroom } from '../features/classroom.js';
import type { MediaEngine } from '../media/engine.js';
import type { MqttLink } from '../mqtt/client.js';
import type { SrtLinkStats } from '../media/srt-stats.js';
import type { EchoStats } from '../media/echo/echo-cancel.js';
import type { Uploader } from '../recording/uploader.js';

export interface MetricsSources {
  media: MediaEngine | undefined;
  devices: Devices;
  mqtt: MqttLink;
  events: EventPublisher;
  classroom: Classroom;
  uploader: Uploader | undefined;
}

const PIPELINE_STATES = ['starting', 'running', 'degraded', 'restarting', 'stopped'] as const;

/**
 * The box in Prometheus terms (base units, `_total` for counters, labels for what varies), read from
 * the live parts at each scrape: nothing is kept twice. Process metrics (CPU seconds, resident memory,
 * event-loop lag, heap) come from prom-client's defaults.
 */
export function buildMetrics(src: MetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect(this: Gauge) {
        this.reset();
        collect(this);
      },
    });

  gauge('classbox_pipeline_state', 'Media pipeline state (1 for the current one).', ['state'], (g) => {
    const now = src.media?.pipelineState() ?? 'stopped';
    for (const s of PIPELINE_STATES) g.set({ state: s }, s === now ? 1 : 0);
  });
  gauge('classbox_encoded_frames_per_second', 'Frames per second out of the encoder.', [], (g) => g.set(src.media?.stats().fps ?? 0));
  // A counter (it only grows, and starts again with its pipeline): rate() gives drops per second.
  new Counter({
    name: 'classbox_dropped_frames_total',
    help: 'Frames the sources dropped since their pipelines started.',
    registers: [registry],
    collect(this: Counter) {
      this.reset();
      this.inc(src.media?.stats().droppedFrames ?? 0);
    },
  });
  gauge('classbox_output_up', 'Whether an output runs (1) or not (0).', ['output', 'kind'], (g) => {
    for (const [name, o] of Object.entries(src.media?.stats().outputs ?? {}))
      g.set({ output: name, kind: o.kind }, o.state === 'running' ? 1 : 0);
  });
  gauge('classbox_output_bytes_per_second', 'What an output sends, over the last 5 s (base unit: bytes).', ['output', 'kind'], (g) => {
    for (const [name, o] of Object.entries(src.media?.stats().outputs ?? {}))
      g.set({ output: name, kind: o.kind }, ((o.bitrateKbps ?? 0) * 1000) / 8);
  });
  gauge(
    'classbox_audio_level_dbfs',
    'Sound level per path (mic, speaker): RMS over the last second, dBFS; -100 for silence.',
    ['path'],
    (g) => {
      for (const [path, db] of Object.entries(src.media?.stats().audio ?? {})) g.set({ path }, db);
    },
  );
  // The echo canceller's figures, where the box has one.
  const echoGauge = (name: string, help: string, read: (echo: EchoStats) => number | null) =>
    gauge(name, help, [], (g) => {
      const echo = src.media?.stats().echo;
      const value = echo ? read(echo) : null;
      if (value !== null) g.set(value);
    });
  echoGauge(
    'classbox_echo_canceller_active',
    'Whether the echo canceller takes the speakers out of the microphone (1), has failed or is off (0).',
    (e) => (e.active ? 1 : 0),
  );
  echoGauge(
    'classbox_echo_delay_seconds',
    'How long after the speakers play it the room gives the sound back, as the echo canceller has learnt it.',
    (e) => (e.echoDelayMs === null ? null : e.echoDelayMs / 1000),
  );
  echoGauge(
    'classbox_echo_realignments',
    'Times the echo canceller paired the speakers with the microphone again since it started; each costs what it had learnt of the room.',
    (e) => e.realigned,
  );
  echoGauge(
    'classbox_echo_far_late_blocks',
    'Blocks of the microphone (8 ms) the echo canceller sent on without what the speakers played then: it came too late, and their echo went out whole. Since the canceller started.',
    (e) => e.farLate,
  );
  echoGauge(
    'classbox_echo_jumps',
    "Times the room's echo jumped against what the speakers were given (their clock's skew corrected in one step, the room changed) and the echo canceller followed it. Since it started.",
    (e) => e.jumps,
  );
  echoGauge(
    'classbox_echo_before_far_end',
    "Times the room's echo was found before (or within 4 ms after) what the speakers were given, where it cannot be cancelled, and the far end was paired newer for it. Since the echo canceller started.",
    (e) => e.echoBeforeFarEnd,
  );
  echoGauge(
    'classbox_echo_drift_ppm',
    "How much faster the speakers' clock runs than the microphone's, as the echo canceller follows it (parts per million).",
    (e) => e.driftPpm,
  );
  // SRT links: each SRT output (all its callers) and each SRT source (another classroom, the lesson).
  const srtLinks = () => {
    const st = src.media?.stats();
    const links: Array<[string, SrtLinkStats]> = [];
    for (const [name, o] of Object.entries(st?.outputs ?? {})) if (o.srt) links.push([`output:${name}`, o.srt]);
    for (const [name, s] of Object.entries(st?.sources ?? {})) if (s.srt) links.push([`source:${name}`, s.srt]);
    return links;
  };
  gauge('classbox_srt_peers', 'Peers of an SRT link: callers of a listener output, or 1.', ['link'], (g) => {
    for (const [link, l] of srtLinks()) g.set({ link }, l.peers);
  });
  gauge('classbox_srt_rtt_seconds', 'Round trip of an SRT link (the worst caller of a listener).', ['link'], (g) => {
    for (const [link, l] of srtLinks()) if (l.rttMs !== null) g.set({ link }, l.rttMs / 1000);
  });
  gauge(
    'classbox_srt_latency_seconds',
    'The latency both sides of an SRT link agreed on (a receiver fits it to its link).',
    ['link'],
    (g) => {
      for (const [link, l] of srtLinks()) if (l.latencyMs !== null) g.set({ link }, l.latencyMs / 1000);
    },
  );
  const srtCounter = (name: string, help: string, pick: (l: SrtLinkStats) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['link'],
      registers: [registry],
      collect(this: Counter) {
        this.reset();
        for (const [link, l] of srtLinks()) this.inc({ link }, pick(l));
      },
    });
  srtCounter(
    'classbox_srt_packets_total',
    'Packets an SRT link sent (output) or received (source) since its pipeline started.',
    (l) => l.packets,
  );
  srtCounter(
    'classbox_srt_packets_lost_total',
    'Packets the network lost on an SRT link since its pipeline started.',
    (l) => l.packetsLost,
  );
  srtCounter(
    'classbox_srt_packets_retransmitted_total',
    'Packets an SRT output sent again since its pipeline started.',
    (l) => l.packetsRetransmitted,
  );
  srtCounter(
    'classbox_srt_packets_dropped_total',
    'Packets an SRT output gave up (too late for the latency) since its pipeline started.',
    (l) => l.packetsDropped,
  );
  gauge('classbox_recording', 'Whether the box is recording.', [], (g) => g.set(src.media?.isRecording ? 1 : 0));
  gauge('classbox_device_up', 'Whether a camera or projector answers.', ['device', 'kind'], (g) => {
    for (const [name, c] of src.devices.cameras) g.set({ device: name, kind: 'camera' }, c.online ? 1 : 0);
    for (const [name, p] of src.devices.projectors) g.set({ device: name, kind: 'projector' }, p.online ? 1 : 0);
  });
  gauge('classbox_projector_lamp_hours', 'Lamp hours a projector reports.', ['device'], (g) => {
    for (const [name, p] of src.devices.projectors) {
      const h = p.state().lampHours;
      if (h !== undefined) g.set({ device: name }, h);
    }
  });
  gauge('classbox_mqtt_connected', 'Whether the broker connection is up.', [], (g) => g.set(src.mqtt.connected ? 1 : 0));
  gauge('classbox_events_pending', 'Events on disk waiting for the broker.', [], (g) => g.set(src.events.pending));
  gauge('classbox_class_active', 'Whether a class runs, by mode.', ['mode'], (g) => {
    const c = src.classroom.snapshot();
    for (const m of ['live', 'recorded', 'implanted', 'observation']) g.set({ mode: m }, c?.mode === m ? 1 : 0);
  });
  gauge('classbox_uploads_pending', 'Recording segments waiting to be uploaded.', [], (g) =>
    g.set(src.uploader?.list().filter((i) => i.state !== 'done').length ?? 0),
  );
  return registry;
}
