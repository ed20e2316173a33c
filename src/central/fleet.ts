import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { CentralConfig } from './config.js';
import { CLEARED_BY_RESTART, eventRule, stateFindings, STATE_KINDS, telemetryFindings, TELEMETRY_KINDS } from './faults.js';
import type { CentralStore, FaultRow, LessonRow, RoomRow } from './store.js';
import { OpenFaults } from './open-faults.js';
import type { FleetChange } from './fleet-change.js';
import {
  Dropped,
  isObject,
  isoTime,
  key,
  MAX_PAYLOAD,
  MESSAGE_KINDS,
  NAME,
  parseObject,
  type Json,
  type MessageKind,
} from './box-message.js';
import { lessonRow } from './lesson-rows.js';

export { MESSAGE_KINDS } from './box-message.js';

export type { FleetChange } from './fleet-change.js';

export interface Clock {
  now(): number;
}

/**
 * Every room's picture, kept from what the boxes publish: availability, state, telemetry and events in,
 * rooms, faults and lessons out (stored, and told to listeners as `change`). Nothing a broker delivers
 * can throw out of here: a message that is not a box's is counted and dropped.
 */
export class Fleet extends EventEmitter<{ change: [FleetChange] }> {
  private readonly rooms = new Map<string, RoomRow>();
  private readonly faults: OpenFaults;
  private readonly dirty = new Set<string>();
  /** Messages are taken one after another, in the order the broker delivered them. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Per room while its class runs: the most SRT peers seen on its outputs (the receiving classrooms). */
  private readonly peers = new Map<string, number>();
  private readonly flushTimer: NodeJS.Timeout;
  readonly counts = { messages: 0, malformed: 0, duplicates: 0 };

  private constructor(
    private readonly config: CentralConfig,
    private readonly store: CentralStore,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {
    super();
    this.faults = new OpenFaults(store, log, (c) => this.emit('change', c));
    // Telemetry changes every room every few seconds: rooms are written in one transaction every 2 s.
    this.flushTimer = setInterval(() => void this.flush(), 2000);
    this.flushTimer.unref();
  }

  /** The fleet as the store left it: rooms and open faults in memory. */
  static async load(config: CentralConfig, store: CentralStore, log: Logger, clock: Clock = Date): Promise<Fleet> {
    const f = new Fleet(config, store, log, clock);
    for (const r of await store.rooms()) f.rooms.set(key(r.site, r.room), r);
    f.faults.load(await store.faults({ open: true, limit: 10_000_000 }));
    return f;
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.queue;
    await this.flush();
  }

  /** Every open fault, newest first. */
  open(): FaultRow[] {
    return this.faults.all();
  }

  list(): RoomRow[] {
    return [...this.rooms.values()].sort((a, b) => a.site.localeCompare(b.site) || a.room.localeCompare(b.room));
  }

  room(site: string, room: string): RoomRow | undefined {
    return this.rooms.get(key(site, room));
  }

  /** One message from the broker, taken after those before it. Resolves with what it was taken as, or why it was dropped. */
  handle(topic: string, payload: Buffer): Promise<string> {
    this.counts.messages++;
    const done = this.queue.then(() =>
      this.take(topic, payload).catch((err: Error & { dropped?: boolean }) => {
        if (!(err instanceof Dropped)) this.log.error({ topic, err }, 'message not stored');
        this.counts.malformed++;
        this.log.debug({ topic, err }, 'message not taken');
        return `dropped: ${err.message}`;
      }),
    );
    this.queue = done;
    return done;
  }

  private async take(topic: string, payload: Buffer): Promise<string> {
    const prefix = `${this.config.mqtt.prefix}/`;
    if (!topic.startsWith(prefix)) throw new Dropped('not under the prefix');
    const [site, room, kind, ...rest] = topic.slice(prefix.length).split('/');
    if (rest.length || !site || !room || !NAME.test(site) || !NAME.test(room)) throw new Dropped('not a room topic');
    if (!(MESSAGE_KINDS as readonly string[]).includes(kind ?? '')) throw new Dropped(`not a message kind: ${kind}`);
    if (payload.length > MAX_PAYLOAD) throw new Dropped(`${payload.length} bytes`);
    const now = this.clock.now();
    const at = new Date(now).toISOString();
    const r = this.roomFor(site, room, at);
    const text = payload.toString('utf8');
    switch (kind as MessageKind) {
      case 'availability':
        return await this.availability(r, text, at);
      case 'state':
        return await this.state(r, text, at);
      case 'telemetry':
        return await this.telemetry(r, parseObject(text), now, at);
      case 'event':
        return await this.event(r, parseObject(text), at);
    }
  }

  private roomFor(site: string, room: string, at: string): RoomRow {
    const k = key(site, room);
    let r = this.rooms.get(k);
    if (!r) {
      r = { site, room, online: null, since: null, seenAt: at, state: null, telemetry: null, telemetryAt: null };
      this.rooms.set(k, r);
    }
    r.seenAt = at;
    return r;
  }

  private async availability(r: RoomRow, text: string, at: string): Promise<string> {
    // An empty retained message clears the topic: the room is then unknown, not offline.
    const online = text === 'online' ? true : text === 'offline' ? false : text === '' ? null : undefined;
    if (online === undefined) throw new Dropped('availability is neither online nor offline');
    const wasOffline = r.online === false;
    if (online !== r.online) {
      r.online = online;
      r.since = online === null ? null : at;
      this.saveRoom(r);
    }
    if (online === false)
      await this.faults.open(r, { kind: 'box_offline', subject: 'box', detail: 'the box is offline (its Last Will, or it stopped)' }, at);
    // Cleared (a room taken out of service): nothing is known about it any more, not even that it is down.
    if (online !== false) await this.faults.clear(r, 'box_offline', undefined, at);
    if (online === true && wasOffline) for (const k of CLEARED_BY_RESTART) await this.faults.clear(r, k, undefined, at);
    if (online !== true) await this.faults.clear(r, 'telemetry_missing', undefined, at);
    return `availability ${text || '(cleared)'}`;
  }

  private async state(r: RoomRow, text: string, at: string): Promise<string> {
    if (text === '') {
      r.state = null;
      this.saveRoom(r);
      return 'state (cleared)';
    }
    const state = parseObject(text);
    r.state = state;
    this.saveRoom(r);
    await this.faults.level(r, STATE_KINDS, stateFindings(state), at);
    // A class the centre did not see start (it started before the centre did) is a lesson all the same.
    const c = state.class;
    if (isObject(c) && typeof c.id === 'string' && !(await this.store.lesson(r.site, r.room, c.id))) await this.lessonStarted(r, c);
    return 'state';
  }

  private async telemetry(r: RoomRow, t: Json, now: number, at: string): Promise<string> {
    r.telemetry = t;
    r.telemetryAt = at;
    this.dirty.add(key(r.site, r.room));
    await this.faults.clear(r, 'telemetry_missing', undefined, at);
    await this.faults.level(r, TELEMETRY_KINDS, telemetryFindings(t, now, this.config), at);
    const k = key(r.site, r.room);
    if (this.peers.has(k) && isObject(t.outputs)) {
      let n = 0;
      for (const o of Object.values(t.outputs)) if (isObject(o) && isObject(o.srt) && typeof o.srt.peers === 'number') n += o.srt.peers;
      this.peers.set(k, Math.max(this.peers.get(k) ?? 0, n));
    }
    return 'telemetry';
  }

  private async event(r: RoomRow, e: Json, at: string): Promise<string> {
    if (typeof e.type !== 'string' || typeof e.seq !== 'number' || !Number.isSafeInteger(e.seq))
      throw new Dropped('an event needs type and seq');
    const ts = typeof e.ts === 'string' ? e.ts.slice(0, 40) : typeof e.ts === 'number' ? String(e.ts) : at;
    if (!(await this.store.addEvent(r.site, r.room, { seq: e.seq, ts, type: e.type.slice(0, 80), payload: e }, at))) {
      this.counts.duplicates++;
      return `event ${e.type} #${e.seq} (seen before)`;
    }
    for (const rule of eventRule(e)) {
      if (rule.open) await this.faults.open(r, rule.open, at);
      if (rule.clear) await this.faults.clear(r, rule.clear.kind, rule.clear.subject, at);
    }
    if (e.type === 'class.started') await this.lessonStarted(r, e);
    if (e.type === 'class.ended') await this.lessonEnded(r, e, at);
    return `event ${e.type} #${e.seq}`;
  }

  private async lessonStarted(r: RoomRow, c: Json): Promise<void> {
    if (typeof c.id !== 'string') return;
    const existing = await this.store.lesson(r.site, r.room, c.id);
    if (existing?.endedAt) return;
    const lesson = lessonRow(r, { ...c, id: c.id }, isoTime(c.startedAt) ?? new Date(this.clock.now()).toISOString(), null);
    await this.store.saveLesson(lesson);
    this.peers.set(key(r.site, r.room), 0);
    this.emit('change', { type: 'lesson', lesson });
  }

  private async lessonEnded(r: RoomRow, e: Json, at: string): Promise<void> {
    if (typeof e.id !== 'string') return;
    const k = key(r.site, r.room);
    const startedAt = isoTime(e.startedAt) ?? (await this.store.lesson(r.site, r.room, e.id))?.startedAt ?? at;
    const endedAt = isoTime(e.endedAt) ?? at;
    const durationS =
      typeof e.durationS === 'number' && Number.isFinite(e.durationS) ? e.durationS : (Date.parse(endedAt) - Date.parse(startedAt)) / 1000;
    const lesson: LessonRow = {
      ...lessonRow(r, { ...e, id: e.id }, startedAt, endedAt),
      minutes: Math.round((Math.max(0, durationS) / 60) * 10) / 10,
      receivers: this.peers.get(k) ?? null,
    };
    this.peers.delete(k);
    await this.store.saveLesson(lesson);
    this.emit('change', { type: 'lesson', lesson });
  }

  /** Sessions a box keeps (`sessions/list`): the ended ones the centre has not counted yet. */
  addSessions(site: string, room: string, sessions: unknown[]): Promise<void> {
    return this.enqueue('sessions not stored', async () => {
      const r = this.rooms.get(key(site, room));
      if (!r) return;
      for (const s of sessions) {
        if (!isObject(s) || typeof s.id !== 'string' || typeof s.endedAt !== 'string') continue;
        if ((await this.store.lesson(site, room, s.id))?.endedAt) continue;
        await this.lessonEnded(r, s, s.endedAt);
      }
    });
  }

  /** Work taken in turn with the messages (it reads and writes what they do). */
  private enqueue(failure: string, work: () => Promise<void>): Promise<void> {
    const done = this.queue.then(work);
    this.queue = done.catch((err: Error) => this.log.error({ err }, failure));
    return done;
  }

  /** A fault acknowledged: the open one in memory carries it too. */
  acknowledge(id: number, note: string): Promise<FaultRow | undefined> {
    return this.faults.acknowledge(id, note, new Date(this.clock.now()).toISOString());
  }

  /** Rooms online whose telemetry stopped for three intervals: the box is up and not reporting. */
  checkSilence(): Promise<void> {
    return this.enqueue('silence check failed', async () => {
      const now = this.clock.now();
      const at = new Date(now).toISOString();
      const limitMs = 3 * this.config.telemetryIntervalS * 1000;
      for (const r of this.rooms.values()) {
        if (r.online !== true || this.faults.has(r.site, r.room, 'telemetry_missing', 'box')) continue;
        const last = Date.parse(r.telemetryAt ?? r.since ?? r.seenAt);
        if (now - last > limitMs)
          await this.faults.open(
            r,
            { kind: 'telemetry_missing', subject: 'box', detail: `no telemetry for ${Math.round((now - last) / 1000)} s` },
            at,
          );
      }
    });
  }

  /** A room whose availability or state changed: written with the next flush, told now. */
  private saveRoom(r: RoomRow): void {
    this.dirty.add(key(r.site, r.room));
    this.emit('change', { type: 'room', site: r.site, room: r.room });
  }

  private async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const rooms = [...this.dirty].map((k) => this.rooms.get(k)!);
    this.dirty.clear();
    try {
      await this.store.saveRooms(rooms);
    } catch (err) {
      for (const r of rooms) this.dirty.add(key(r.site, r.room));
      this.log.error({ err }, 'rooms not saved: tried again in 2 s');
    }
  }
}
