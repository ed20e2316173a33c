import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { CentralConfig } from './config.js';
import {
  CLEARED_BY_RESTART,
  eventRule,
  stateFindings,
  STATE_KINDS,
  telemetryFindings,
  TELEMETRY_KINDS,
  type FaultKind,
  type Finding,
} from './faults.js';
import type { CentralStore, FaultRow, LessonRow, RoomRow } from './store.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Site and room names as a box's config allows them: anything else on the broker is not a box. */
const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** A box's messages are small; anything bigger is not one of them. */
const MAX_PAYLOAD = 256 * 1024;
export const MESSAGE_KINDS = ['availability', 'state', 'telemetry', 'event'] as const;
type MessageKind = (typeof MESSAGE_KINDS)[number];

export type FleetChange =
  { type: 'room'; site: string; room: string } | { type: 'fault'; fault: FaultRow } | { type: 'lesson'; lesson: LessonRow };

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
  /** Open faults by room, then by `kind\nsubject`: every message is checked against them. */
  private readonly openFaults = new Map<string, Map<string, FaultRow>>();
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
    // Telemetry changes every room every few seconds: rooms are written in one transaction every 2 s.
    this.flushTimer = setInterval(() => void this.flush(), 2000);
    this.flushTimer.unref();
  }

  /** The fleet as the store left it: rooms and open faults in memory. */
  static async load(config: CentralConfig, store: CentralStore, log: Logger, clock: Clock = Date): Promise<Fleet> {
    const f = new Fleet(config, store, log, clock);
    for (const r of await store.rooms()) f.rooms.set(key(r.site, r.room), r);
    for (const x of await store.faults({ open: true, limit: 10_000_000 })) f.faultsOf(x.site, x.room).set(`${x.kind}\n${x.subject}`, x);
    return f;
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.queue;
    await this.flush();
  }

  /** Every open fault, newest first. */
  open(): FaultRow[] {
    return [...this.openFaults.values()].flatMap((m) => [...m.values()]).sort((a, b) => b.id - a.id);
  }

  private faultsOf(site: string, room: string): Map<string, FaultRow> {
    const k = key(site, room);
    let m = this.openFaults.get(k);
    if (!m) this.openFaults.set(k, (m = new Map()));
    return m;
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
      await this.openFault(r, { kind: 'box_offline', subject: 'box', detail: 'the box is offline (its Last Will, or it stopped)' }, at);
    // Cleared (a room taken out of service): nothing is known about it any more, not even that it is down.
    if (online !== false) await this.clear(r, 'box_offline', undefined, at);
    if (online === true && wasOffline) for (const k of CLEARED_BY_RESTART) await this.clear(r, k, undefined, at);
    if (online !== true) await this.clear(r, 'telemetry_missing', undefined, at);
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
    await this.level(r, STATE_KINDS, stateFindings(state), at);
    // A class the centre did not see start (it started before the centre did) is a lesson all the same.
    const c = state.class;
    if (isObject(c) && typeof c.id === 'string' && !(await this.store.lesson(r.site, r.room, c.id))) await this.lessonStarted(r, c);
    return 'state';
  }

  private async telemetry(r: RoomRow, t: Json, now: number, at: string): Promise<string> {
    r.telemetry = t;
    r.telemetryAt = at;
    this.dirty.add(key(r.site, r.room));
    await this.clear(r, 'telemetry_missing', undefined, at);
    await this.level(r, TELEMETRY_KINDS, telemetryFindings(t, now, this.config), at);
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
      if (rule.open) await this.openFault(r, rule.open, at);
      if (rule.clear) await this.clear(r, rule.clear.kind, rule.clear.subject, at);
    }
    if (e.type === 'class.started') await this.lessonStarted(r, e);
    if (e.type === 'class.ended') await this.lessonEnded(r, e, at);
    return `event ${e.type} #${e.seq}`;
  }

  /** A lesson row from a class as a box describes it (event, state or session summary). */
  private lessonOf(r: RoomRow, c: Json & { id: string }, startedAt: string, endedAt: string | null): LessonRow {
    return {
      site: r.site,
      room: r.room,
      id: c.id.slice(0, 200),
      name: typeof c.name === 'string' ? c.name.slice(0, 200) : '',
      mode: typeof c.mode === 'string' ? c.mode.slice(0, 40) : 'live',
      startedAt,
      endedAt,
      minutes: null,
      incidents: Array.isArray(c.incidents) ? c.incidents.length : 0,
      receivers: null,
    };
  }

  private async lessonStarted(r: RoomRow, c: Json): Promise<void> {
    if (typeof c.id !== 'string') return;
    const existing = await this.store.lesson(r.site, r.room, c.id);
    if (existing?.endedAt) return;
    const lesson = this.lessonOf(r, { ...c, id: c.id }, isoTime(c.startedAt) ?? new Date(this.clock.now()).toISOString(), null);
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
      ...this.lessonOf(r, { ...e, id: e.id }, startedAt, endedAt),
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

  /** Opens every finding of the rule's kinds, clears the open ones of those kinds it no longer finds. */
  private async level(r: RoomRow, kinds: readonly FaultKind[], found: Finding[], at: string): Promise<void> {
    const wanted = new Set(found.map((f) => `${f.kind}\n${f.subject}`));
    for (const f of found) await this.openFault(r, f, at);
    for (const open of [...this.faultsOf(r.site, r.room).values()])
      if ((kinds as readonly string[]).includes(open.kind) && !wanted.has(`${open.kind}\n${open.subject}`)) await this.closeFault(open, at);
  }

  private async openFault(r: RoomRow, f: Finding, at: string): Promise<void> {
    const faults = this.faultsOf(r.site, r.room);
    const existing = faults.get(`${f.kind}\n${f.subject}`);
    if (existing) {
      // Said again: its last sighting is written at most once a minute, or when its words change.
      if (existing.detail !== f.detail || Date.parse(at) - Date.parse(existing.lastSeen) >= 60_000) {
        existing.detail = f.detail;
        existing.lastSeen = at;
        await this.store.touchFault(existing.id, f.detail, at);
      }
      return;
    }
    const fault = await this.store.insertFault(r.site, r.room, f.kind, f.subject, f.detail, at);
    faults.set(`${f.kind}\n${f.subject}`, fault);
    this.log.info({ site: r.site, room: r.room, kind: f.kind, subject: f.subject }, f.detail);
    this.emit('change', { type: 'fault', fault });
  }

  private async clear(r: RoomRow, kind: FaultKind, subject: string | undefined, at: string): Promise<void> {
    for (const f of [...this.faultsOf(r.site, r.room).values()])
      if (f.kind === kind && (subject === undefined || f.subject === subject)) await this.closeFault(f, at);
  }

  private async closeFault(f: FaultRow, at: string): Promise<void> {
    this.faultsOf(f.site, f.room).delete(`${f.kind}\n${f.subject}`);
    const fault = await this.store.clearFault(f.id, at);
    this.emit('change', { type: 'fault', fault });
  }

  /** A fault acknowledged: the open one in memory carries it too. */
  async acknowledge(id: number, note: string): Promise<FaultRow | undefined> {
    const fault = await this.store.acknowledge(id, note, new Date(this.clock.now()).toISOString());
    if (!fault) return undefined;
    const open = this.faultsOf(fault.site, fault.room).get(`${fault.kind}\n${fault.subject}`);
    if (open?.id === fault.id) open.acknowledged = fault.acknowledged;
    this.emit('change', { type: 'fault', fault });
    return fault;
  }

  /** Rooms online whose telemetry stopped for three intervals: the box is up and not reporting. */
  checkSilence(): Promise<void> {
    return this.enqueue('silence check failed', async () => {
      const now = this.clock.now();
      const at = new Date(now).toISOString();
      const limitMs = 3 * this.config.telemetryIntervalS * 1000;
      for (const r of this.rooms.values()) {
        if (r.online !== true || this.faultsOf(r.site, r.room).has('telemetry_missing\nbox')) continue;
        const last = Date.parse(r.telemetryAt ?? r.since ?? r.seenAt);
        if (now - last > limitMs)
          await this.openFault(
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

/** A time a box wrote, as the store keeps times (ISO 8601, UTC); undefined when it is not one. */
function isoTime(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

/** A message that is not a box's: counted and dropped, never an error of the centre. */
class Dropped extends Error {}

const key = (site: string, room: string) => `${site}/${room}`;

function parseObject(text: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Dropped('not JSON');
  }
  if (!isObject(v)) throw new Dropped('not a JSON object');
  return v;
}
