import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export interface RoomRow {
  site: string;
  room: string;
  online: boolean | null;
  since: string | null;
  seenAt: string;
  state: Record<string, unknown> | null;
  telemetry: Record<string, unknown> | null;
  telemetryAt: string | null;
}

export interface FaultRow {
  id: number;
  site: string;
  room: string;
  kind: string;
  subject: string;
  detail: string;
  since: string;
  lastSeen: string;
  clearedAt: string | null;
  acknowledged: { at: string; note: string } | null;
}

export interface LessonRow {
  site: string;
  room: string;
  id: string;
  name: string;
  mode: string;
  startedAt: string;
  endedAt: string | null;
  minutes: number | null;
  incidents: number;
  /** Receiving classrooms on the lesson's SRT outputs at most (live lessons of an anchor). */
  receivers: number | null;
}

export interface EventRow {
  seq: number;
  ts: string;
  type: string;
  payload: Record<string, unknown>;
}

/**
 * Migrations in order; `PRAGMA user_version` says how many ran. A new one is appended, never edited,
 * so that a centre's database of any age comes up to date on start.
 */
const MIGRATIONS = [
  `CREATE TABLE rooms (site TEXT NOT NULL, room TEXT NOT NULL, online INTEGER, since TEXT, seen_at TEXT NOT NULL,
     state TEXT, telemetry TEXT, telemetry_at TEXT, PRIMARY KEY (site, room));
   CREATE TABLE faults (id INTEGER PRIMARY KEY AUTOINCREMENT, site TEXT NOT NULL, room TEXT NOT NULL, kind TEXT NOT NULL,
     subject TEXT NOT NULL, detail TEXT NOT NULL, since TEXT NOT NULL, last_seen TEXT NOT NULL, cleared_at TEXT,
     acknowledged_at TEXT, note TEXT);
   CREATE INDEX faults_open ON faults (site, room, kind, subject) WHERE cleared_at IS NULL;
   CREATE TABLE lessons (site TEXT NOT NULL, room TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, mode TEXT NOT NULL,
     started_at TEXT NOT NULL, ended_at TEXT, minutes REAL, incidents INTEGER NOT NULL DEFAULT 0, receivers INTEGER,
     PRIMARY KEY (site, room, id));
   CREATE INDEX lessons_started ON lessons (started_at);
   CREATE TABLE events (site TEXT NOT NULL, room TEXT NOT NULL, seq INTEGER NOT NULL, ts TEXT NOT NULL, type TEXT NOT NULL,
     payload TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (site, room, seq, ts));
   CREATE INDEX events_received ON events (received_at);`,
];

const json = (v: string | null): Record<string, unknown> | null => (v === null ? null : (JSON.parse(v) as Record<string, unknown>));

interface FaultDb {
  id: number;
  site: string;
  room: string;
  kind: string;
  subject: string;
  detail: string;
  since: string;
  last_seen: string;
  cleared_at: string | null;
  acknowledged_at: string | null;
  note: string | null;
}

const fault = (r: FaultDb): FaultRow => ({
  id: r.id,
  site: r.site,
  room: r.room,
  kind: r.kind,
  subject: r.subject,
  detail: r.detail,
  since: r.since,
  lastSeen: r.last_seen,
  clearedAt: r.cleared_at,
  acknowledged: r.acknowledged_at ? { at: r.acknowledged_at, note: r.note ?? '' } : null,
});

interface LessonDb {
  site: string;
  room: string;
  id: string;
  name: string;
  mode: string;
  started_at: string;
  ended_at: string | null;
  minutes: number | null;
  incidents: number;
  receivers: number | null;
}

const lesson = (r: LessonDb): LessonRow => ({
  site: r.site,
  room: r.room,
  id: r.id,
  name: r.name,
  mode: r.mode,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  minutes: r.minutes,
  incidents: r.incidents,
  receivers: r.receivers,
});

/** A WHERE clause from the conditions that apply, with their arguments (a clause without `?` takes none). */
function conditions(all: Array<[boolean, string, unknown]>): { where: string; args: unknown[] } {
  const used = all.filter(([apply]) => apply);
  return {
    where: used.length ? `WHERE ${used.map(([, sql]) => sql).join(' AND ')}` : '',
    args: used.filter(([, sql]) => sql.includes('?')).map(([, , v]) => v),
  };
}

export interface LessonQuery {
  site?: string;
  from?: string;
  to?: string;
}

/** The centre's memory: rooms, faults, lessons and raw events in one SQLite file (WAL: readers never wait). */
export class CentralStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL with WAL: a power cut may lose the last transactions, never corrupt the file.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
  }

  private migrate(): void {
    const done = this.db.pragma('user_version', { simple: true }) as number;
    for (let i = done; i < MIGRATIONS.length; i++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[i]!);
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  close(): void {
    this.db.close();
  }

  transaction<T>(run: () => T): T {
    return this.db.transaction(run)();
  }

  rooms(): RoomRow[] {
    return (
      this.db.prepare('SELECT * FROM rooms ORDER BY site, room').all() as Array<{
        site: string;
        room: string;
        online: number | null;
        since: string | null;
        seen_at: string;
        state: string | null;
        telemetry: string | null;
        telemetry_at: string | null;
      }>
    ).map((r) => ({
      site: r.site,
      room: r.room,
      online: r.online === null ? null : r.online === 1,
      since: r.since,
      seenAt: r.seen_at,
      state: json(r.state),
      telemetry: json(r.telemetry),
      telemetryAt: r.telemetry_at,
    }));
  }

  saveRoom(r: RoomRow): void {
    this.db
      .prepare(
        `INSERT INTO rooms (site, room, online, since, seen_at, state, telemetry, telemetry_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (site, room) DO UPDATE SET online = excluded.online, since = excluded.since, seen_at = excluded.seen_at,
           state = excluded.state, telemetry = excluded.telemetry, telemetry_at = excluded.telemetry_at`,
      )
      .run(
        r.site,
        r.room,
        r.online === null ? null : r.online ? 1 : 0,
        r.since,
        r.seenAt,
        r.state ? JSON.stringify(r.state) : null,
        r.telemetry ? JSON.stringify(r.telemetry) : null,
        r.telemetryAt,
      );
  }

  /**
   * Stores an event once: false when this room sent this `seq` at this `ts` before (a replay after a
   * reconnect). A box whose data folder was wiped counts from 1 again: its new events differ in `ts`.
   */
  addEvent(site: string, room: string, e: EventRow, receivedAt: string): boolean {
    const r = this.db
      .prepare('INSERT OR IGNORE INTO events (site, room, seq, ts, type, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(site, room, e.seq, e.ts, e.type, JSON.stringify(e.payload), receivedAt);
    return r.changes === 1;
  }

  events(site: string, room: string, limit: number): EventRow[] {
    return (
      this.db
        .prepare('SELECT seq, ts, type, payload FROM events WHERE site = ? AND room = ? ORDER BY seq DESC LIMIT ?')
        .all(site, room, limit) as Array<{
        seq: number;
        ts: string;
        type: string;
        payload: string;
      }>
    ).map((r) => ({ seq: r.seq, ts: r.ts, type: r.type, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  }

  /** Deletes raw events received before `before`; returns how many. */
  pruneEvents(before: string): number {
    return this.db.prepare('DELETE FROM events WHERE received_at < ?').run(before).changes;
  }

  openFault(site: string, room: string, kind: string, subject: string): FaultRow | undefined {
    const r = this.db
      .prepare('SELECT * FROM faults WHERE site = ? AND room = ? AND kind = ? AND subject = ? AND cleared_at IS NULL')
      .get(site, room, kind, subject) as FaultDb | undefined;
    return r && fault(r);
  }

  insertFault(site: string, room: string, kind: string, subject: string, detail: string, at: string): FaultRow {
    const r = this.db
      .prepare('INSERT INTO faults (site, room, kind, subject, detail, since, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *')
      .get(site, room, kind, subject, detail, at, at) as FaultDb;
    return fault(r);
  }

  touchFault(id: number, detail: string, at: string): void {
    this.db.prepare('UPDATE faults SET last_seen = ?, detail = ? WHERE id = ?').run(at, detail, id);
  }

  clearFault(id: number, at: string): FaultRow {
    return fault(this.db.prepare('UPDATE faults SET cleared_at = ?, last_seen = ? WHERE id = ? RETURNING *').get(at, at, id) as FaultDb);
  }

  acknowledge(id: number, note: string, at: string): FaultRow | undefined {
    const r = this.db.prepare('UPDATE faults SET acknowledged_at = ?, note = ? WHERE id = ? RETURNING *').get(at, note, id) as
      FaultDb | undefined;
    return r && fault(r);
  }

  faults(options: { open?: boolean; site?: string; room?: string; limit?: number } = {}): FaultRow[] {
    const { where, args } = conditions([
      [options.open === true, 'cleared_at IS NULL', undefined],
      [options.site !== undefined, 'site = ?', options.site],
      [options.room !== undefined, 'room = ?', options.room],
    ]);
    const sql = `SELECT * FROM faults ${where} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, options.limit ?? 1000) as FaultDb[]).map(fault);
  }

  /** Faults of a room that began inside [from, to]. */
  faultsBetween(site: string, room: string, from: string, to: string): number {
    const r = this.db
      .prepare('SELECT count(*) AS n FROM faults WHERE site = ? AND room = ? AND since >= ? AND since <= ?')
      .get(site, room, from, to) as { n: number };
    return r.n;
  }

  lesson(site: string, room: string, id: string): LessonRow | undefined {
    const r = this.db.prepare('SELECT * FROM lessons WHERE site = ? AND room = ? AND id = ?').get(site, room, id) as LessonDb | undefined;
    return r && lesson(r);
  }

  saveLesson(l: LessonRow): void {
    this.db
      .prepare(
        `INSERT INTO lessons (site, room, id, name, mode, started_at, ended_at, minutes, incidents, receivers)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (site, room, id) DO UPDATE SET name = excluded.name, mode = excluded.mode, started_at = excluded.started_at,
           ended_at = excluded.ended_at, minutes = excluded.minutes, incidents = excluded.incidents, receivers = excluded.receivers`,
      )
      .run(l.site, l.room, l.id, l.name, l.mode, l.startedAt, l.endedAt, l.minutes, l.incidents, l.receivers);
  }

  lessons(q: LessonQuery = {}, limit = 10_000): LessonRow[] {
    const { where, args } = conditions([
      [q.site !== undefined, 'site = ?', q.site],
      [q.from !== undefined, 'started_at >= ?', q.from],
      [q.to !== undefined, 'started_at < ?', q.to],
    ]);
    const sql = `SELECT * FROM lessons ${where} ORDER BY started_at DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, limit) as LessonDb[]).map(lesson);
  }
}
