/**
 * Typed event bus. Parts talk through it instead of holding references to each other;
 * every listener is registered under an owner so that a part's stop() removes all of its own.
 */
export interface ClassboxEvents {
  'service.started': { version: string };
  'service.stopping': { reason: string };
  'mqtt.connected': { url: string };
  'mqtt.disconnected': { url: string; error?: string };
  'source.lost': { source: string; reason: string };
  'source.restored': { source: string; downS: number };
  'pipeline.restarted': { pipeline: string; reason: string; attempt: number };
  'output.down': { output: string; reason: string; attempt: number };
  'output.up': { output: string };
  'layout.changed': { layout: string; previous: string };
  /** `display/set`: a screen shows something else. */
  'display.changed': { display: string; shows: string; previous: string };
  /** A screen's pipeline failed (its sink, its driver); it is rebuilt, the room goes on. */
  'display.lost': { display: string; shows: string; reason: string };
  'display.restored': { display: string; shows: string };
  'media.state': { state: MediaPipelineState };
  'playback.ended': { media: string };
  'playback.failed': { media: string; reason: string };
  'device.online': { device: string; kind: 'camera' | 'projector' | 'gpio' };
  'device.offline': { device: string; kind: 'camera' | 'projector' | 'gpio'; reason: string };
  /** Something the state snapshot says of a device changed (projector power, input, lamp hours...). */
  'device.changed': { device: string };
  'class.started': { id: string; name: string; mode: string; source: string; startedAt: string; endsAt: string };
  /** `class/extend`: the running class ends later. */
  'class.extended': { id: string; minutes: number; endsAt: string };
  'class.ended': import('../features/session-journal.js').SessionSummary;
  /** A class that was running at a crash and was not taken up again (it crashed the box once more). */
  'class.not_resumed': { id: string; name: string; mode: string; reason: string };
  /** A step of room sequencing that failed; the class goes on without it. */
  'class.step_failed': { class: string; step: string; device?: string; code: string; message: string };
  'recording.changed': { recording: boolean };
  /** A recording segment closed whole: where, how long, how big, and its SHA-256. */
  'recording.segment': { path: string; class: string | null; index: number; durationS: number; bytes: number; sha256: string };
  /** A class's lesson file was made and checked: one MP4, the index in front, with its thumbnail. */
  'recording.lesson': {
    class: string;
    name: string;
    path: string;
    bytes: number;
    durationS: number;
    sha256: string;
    startedAt: string;
    thumbnail: { path: string; bytes: number; sha256: string } | null;
  };
  /** A class that gives no lesson file: nothing recorded (`no_frames`), or joining failed three times (`join_failed`). */
  'recording.lesson_failed': { class: string; code: 'no_frames' | 'join_failed'; reason: string };
  'recording.deleted': { path: string; reason: string };
  /** A segment closed with nothing in it (a full disk): removed, and not announced as a recording. */
  'recording.empty': { path: string; class: string | null };
  'upload.started': { path: string; key: string; bytes: number };
  'upload.completed': { path: string; key: string; bytes: number; sha256: string };
  'upload.retrying': { path: string; key: string; attempt: number; reason: string; retryInS: number };
  'disk.low': { dir: string; freeMB: number; minFreeMB: number };
  /** The lesson's speakers could not be opened (no sound card, a wrong device): it plays on, metered only. */
  'audio.speaker_failed': { device: string; reason: string };
  /** The echo canceller kept failing: the microphone goes out without it (the far classroom may hear itself). */
  'audio.echo_cancel_failed': { reason: string };
  /** A meter's reading, once a second per path (not published: telemetry and /metrics carry the figures). */
  'audio.level': { path: string; dbfs: number };
  /** During a class, a path (`mic`, `speaker`) without sound for `audio.silenceS`. */
  'audio.silent': { path: string; seconds: number };
  'audio.restored': { path: string; silentS: number };
  /** Anonymous RSS has grown faster than `health.memoryGrowthMBPerHour` over the last hour. */
  'memory.growth': { rateMBPerHour: number; limitMBPerHour: number; rssAnonMB: number; windowMinutes: number };
  'fleet.lock': { state: 'held' | 'released' };
  'schedule.updated': { source: 'pushed' | 'ical'; classes: number };
  'schedule.rejected': { source: 'pushed'; reason: string };
  'schedule.fetch_failed': { url: string; reason: string; cached: boolean };
  /** A debounced GPIO input edge, with the request it is configured to trigger. */
  'gpio.input': { name: string; value: 0 | 1; action: string | undefined };
}

export type MediaPipelineState = 'starting' | 'running' | 'degraded' | 'restarting' | 'stopped';

type Listener<T> = (payload: T) => void;

export class EventBus<Events extends object = ClassboxEvents> {
  private readonly listeners = new Map<keyof Events, Array<{ owner: object; fn: Listener<never> }>>();

  on<K extends keyof Events>(owner: object, event: K, fn: Listener<Events[K]>): void {
    const list = this.listeners.get(event) ?? [];
    list.push({ owner, fn: fn });
    this.listeners.set(event, list);
  }

  /** Delivers synchronously; a throwing listener is reported to onListenerError and does not stop the others. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const { fn } of [...(this.listeners.get(event) ?? [])]) {
      try {
        (fn as Listener<Events[K]>)(payload);
      } catch (err) {
        this.onListenerError(err, String(event));
      }
    }
  }

  removeAll(owner: object): void {
    for (const [event, list] of this.listeners) {
      this.listeners.set(
        event,
        list.filter((l) => l.owner !== owner),
      );
    }
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  onListenerError: (err: unknown, event: string) => void = () => {};
}
