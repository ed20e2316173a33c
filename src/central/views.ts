import type { FaultRow, LessonRow, RoomRow } from './store.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A room as the API's list gives it: what a fleet grid needs, no more. */
export function roomSummary(r: RoomRow, openFaults: FaultRow[]) {
  const s = r.state ?? {};
  const t = r.telemetry ?? {};
  const outputs = Array.isArray(s.outputs) ? s.outputs.filter(isObject) : [];
  const devices = isObject(s.devices) ? s.devices : {};
  const offline = (['cameras', 'projectors'] as const).flatMap((g) =>
    isObject(devices[g])
      ? Object.entries(devices[g])
          .filter(([, d]) => isObject(d) && d.online === false)
          .map(([n]) => n)
      : [],
  );
  const sourcesLost = isObject(t.sources)
    ? Object.entries(t.sources)
        .filter(([, v]) => isObject(v) && v.state === 'lost')
        .map(([n]) => n)
    : [];
  return {
    site: r.site,
    room: r.room,
    online: r.online,
    since: r.since,
    seenAt: r.seenAt,
    role: typeof s.role === 'string' ? s.role : null,
    class: isObject(s.class) ? { id: s.class.id, mode: s.class.mode, name: s.class.name, since: s.class.startedAt } : null,
    recording: s.recording === true,
    outputs: outputs.map((o) => ({ name: o.name, kind: o.kind, state: o.state })),
    devicesOffline: offline,
    sourcesLost,
    version: typeof s.version === 'string' ? s.version : null,
    configHash: typeof s.configHash === 'string' ? s.configHash : null,
    page: webAddress(s.page),
    faults: openFaults.length,
    telemetry: r.telemetry
      ? {
          at: r.telemetryAt,
          cpuPercent: t.cpuPercent ?? null,
          temperatureC: t.temperatureC ?? null,
          diskFreeMB: t.diskFreeMB ?? null,
          uploadBacklog: isObject(t.uploads) ? (t.uploads.pending ?? null) : null,
          fps: isObject(t.pipeline) ? (t.pipeline.fps ?? null) : null,
        }
      : null,
  };
}

/**
 * A room's technician page as the box published it, if it is a web address: the centre's page makes a
 * link of it, and a box must not be able to put a `javascript:` link in front of the centre's staff.
 */
function webAddress(v: unknown): string | null {
  if (typeof v !== 'string' || !URL.canParse(v)) return null;
  const u = new URL(v);
  return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
}

/** Monday of the ISO week a time falls in (UTC), as `YYYY-MM-DD`. */
export function weekOf(iso: string): string {
  const d = new Date(iso);
  const day = (d.getUTCDay() + 6) % 7;
  const monday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day));
  return monday.toISOString().slice(0, 10);
}

export interface WeekRow {
  site: string;
  week: string;
  lessons: number;
  minutes: number;
  byMode: Record<string, { lessons: number; minutes: number }>;
}

/** Lessons held per school and week: how often, how long, in which mode. Lessons still running are not counted. */
export function weekly(lessons: LessonRow[]): WeekRow[] {
  const rows = new Map<string, WeekRow>();
  for (const l of lessons) {
    if (l.endedAt === null) continue;
    const week = weekOf(l.startedAt);
    const k = `${l.site}\n${week}`;
    const row = rows.get(k) ?? { site: l.site, week, lessons: 0, minutes: 0, byMode: {} };
    const minutes = l.minutes ?? 0;
    row.lessons++;
    row.minutes = Math.round((row.minutes + minutes) * 10) / 10;
    const m = (row.byMode[l.mode] ??= { lessons: 0, minutes: 0 });
    m.lessons++;
    m.minutes = Math.round((m.minutes + minutes) * 10) / 10;
    rows.set(k, row);
  }
  return [...rows.values()].sort((a, b) => a.site.localeCompare(b.site) || a.week.localeCompare(b.week));
}

const LESSON_COLUMNS = ['site', 'room', 'id', 'name', 'mode', 'startedAt', 'endedAt', 'minutes', 'incidents', 'receivers'] as const;

/**
 * Lessons as CSV (RFC 4180). A cell that a spreadsheet would run as a formula (=, +, -, @ first) is
 * quoted with a leading apostrophe: a class name is typed by a teacher.
 */
export function lessonsCsv(lessons: LessonRow[]): string {
  const cell = (v: unknown): string => {
    let s = v === null || v === undefined ? '' : String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [LESSON_COLUMNS.join(','), ...lessons.map((l) => LESSON_COLUMNS.map((c) => cell(l[c])).join(','))].join('\r\n') + '\r\n';
}
