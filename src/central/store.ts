import type { SqlDb } from './sql.js';
import { MIGRATIONS } from './migrations.js';

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
  room?: string;
  from?: string;
  to?: string;
}

/**
 * The centre's memory: rooms, faults, lessons and raw events, in SQLite (one file, WAL: readers never
 * wait) or PostgreSQL, through the same statements.
 */
export class CentralStore {
  private constructor(private readonly db: SqlDb) {}

  static async open(db: SqlDb): Promise<CentralStore> {
    const store = new CentralStore(db);
    await store.migrate();
    return store;
  }

  private async migrate(): Promise<void> {
    await this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const [row] = await this.db.all<{ version: number }>('SELECT version FROM schema_version');
    if (!row) await this.db.run('INSERT INTO schema_version (version) VALUES (0)');
    const migrations = MIGRATIONS[this.db.dialect];
    for (let i = row?.version ?? 0; i < migrations.length; i++) {
      await this.db.transaction(async (db) => {
        await db.exec(migrations[i]!);
        await db.run('UPDATE schema_version SET version = ?', [i + 1]);
      });
    }
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async rooms(): Promise<RoomRow[]> {
    const rows = await this.db.all<{
      site: string;
      room: string;
      online: number | null;
      since: string | null;
      seen_at: string;
      state: string | null;
      telemetry: string | null;
      telemetry_at: string | null;
    }>('SELECT * FROM rooms ORDER BY site, room');
    return rows.map((r) => ({
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

  /** Rooms as they are now, in one transaction. */
  saveRooms(rooms: RoomRow[]): Promise<void> {
    return this.db.transaction(async (db) => {
      for (const r of rooms)
        await db.run(
          `INSERT INTO rooms (site, room, online, since, seen_at, state, telemetry, telemetry_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (site, room) DO UPDATE SET online = excluded.online, since = excluded.since, seen_at = excluded.seen_at,
             state = excluded.state, telemetry = excluded.telemetry, telemetry_at = excluded.telemetry_at`,
          [
            r.site,
            r.room,
            r.online === null ? null : r.online ? 1 : 0,
            r.since,
            r.seenAt,
            r.state ? JSON.stringify(r.state) : null,
            r.telemetry ? JSON.stringify(r.telemetry) : null,
            r.telemetryAt,
          ],
        );
    });
  }

  /**
   * Stores an event once: false when this room sent this `seq` at this `ts` before (a replay after a
   * reconnect). A box whose data folder was wiped counts from 1 again: its new events differ in `ts`.
   */
  async addEvent(site: string, room: string, e: EventRow, receivedAt: string): Promise<boolean> {
    const n = await this.db.run(
      'INSERT INTO events (site, room, seq, ts, type, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [site, room, e.seq, e.ts, e.type, JSON.stringify(e.payload), receivedAt],
    );
    return n === 1;
  }

  async events(site: string, room: string, limit: number): Promise<EventRow[]> {
    const rows = await this.db.all<{ seq: number; ts: string; type: string; payload: string }>(
      'SELECT seq, ts, type, payload FROM events WHERE site = ? AND room = ? ORDER BY seq DESC LIMIT ?',
      [site, room, limit],
    );
    return rows.map((r) => ({ seq: r.seq, ts: r.ts, type: r.type, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  }

  /** Deletes raw events received before `before`; returns how many. */
  pruneEvents(before: string): Promise<number> {
    return this.db.run('DELETE FROM events WHERE received_at < ?', [before]);
  }

  async insertFault(site: string, room: string, kind: string, subject: string, detail: string, at: string): Promise<FaultRow> {
    const [r] = await this.db.all<FaultDb>(
      'INSERT INTO faults (site, room, kind, subject, detail, since, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
      [site, room, kind, subject, detail, at, at],
    );
    return fault(r!);
  }

  async touchFault(id: number, detail: string, at: string): Promise<void> {
    await this.db.run('UPDATE faults SET last_seen = ?, detail = ? WHERE id = ?', [at, detail, id]);
  }

  async clearFault(id: number, at: string): Promise<FaultRow> {
    const [r] = await this.db.all<FaultDb>('UPDATE faults SET cleared_at = ?, last_seen = ? WHERE id = ? RETURNING *', [at, at, id]);
    return fault(r!);
  }

  async acknowledge(id: number, note: string, at: string): Promise<FaultRow | undefined> {
    const [r] = await this.db.all<FaultDb>('UPDATE faults SET acknowledged_at = ?, note = ? WHERE id = ? RETURNING *', [at, note, id]);
    return r && fault(r);
  }

  async faults(options: { open?: boolean; site?: string; room?: string; limit?: number } = {}): Promise<FaultRow[]> {
    const { where, args } = conditions([
      [options.open === true, 'cleared_at IS NULL', undefined],
      [options.site !== undefined, 'site = ?', options.site],
      [options.room !== undefined, 'room = ?', options.room],
    ]);
    return (await this.db.all<FaultDb>(`SELECT * FROM faults ${where} ORDER BY id DESC LIMIT ?`, [...args, options.limit ?? 1000])).map(
      fault,
    );
  }

  async lesson(site: string, room: string, id: string): Promise<LessonRow | undefined> {
    const [r] = await this.db.all<LessonDb>('SELECT * FROM lessons WHERE site = ? AND room = ? AND id = ?', [site, room, id]);
    return r && lesson(r);
  }

  async saveLesson(l: LessonRow): Promise<void> {
    await this.db.run(
      `INSERT INTO lessons (site, room, id, name, mode, started_at, ended_at, minutes, incidents, receivers)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (site, room, id) DO UPDATE SET name = excluded.name, mode = excluded.mode, started_at = excluded.started_at,
         ended_at = excluded.ended_at, minutes = excluded.minutes, incidents = excluded.incidents, receivers = excluded.receivers`,
      [l.site, l.room, l.id, l.name, l.mode, l.startedAt, l.endedAt, l.minutes, l.incidents, l.receivers],
    );
  }

  async lessons(q: LessonQuery = {}, limit = 10_000): Promise<LessonRow[]> {
    const { where, args } = conditions([
      [q.site !== undefined, 'site = ?', q.site],
      [q.room !== undefined, 'room = ?', q.room],
      [q.from !== undefined, 'started_at >= ?', q.from],
      [q.to !== undefined, 'started_at < ?', q.to],
    ]);
    return (await this.db.all<LessonDb>(`SELECT * FROM lessons ${where} ORDER BY started_at DESC LIMIT ?`, [...args, limit])).map(lesson);
  }

  /** Lessons started at or after `from`. */
  async lessonsSince(from: string): Promise<number> {
    const [r] = await this.db.all<{ n: number | string }>('SELECT count(*) AS n FROM lessons WHERE started_at >= ?', [from]);
    return Number(r?.n ?? 0);
  }
}
