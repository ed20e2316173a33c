/**
 * Wall-clock time in an IANA time zone to an instant, DST-safe, with Intl only. A time that does not
 * exist (the spring-forward gap) moves forward by the gap, as a wall clock does; a time that exists
 * twice (fall back) is taken the first time.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

export interface WallTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Monday ... 6 = Sunday */
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

export function wallTime(instant: number, tz: string): WallTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(instant))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS[parts.weekday!]!,
  };
}

/** The zone's offset from UTC at an instant, in ms. */
function offsetAt(instant: number, tz: string): number {
  const w = wallTime(instant, tz);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000;
}

export function zonedToInstant(year: number, month: number, day: number, hour: number, minute: number, tz: string): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  // The offset before and after the wanted time: the same except across a DST change.
  const before = offsetAt(asUtc - 24 * 3600_000, tz);
  const after = offsetAt(asUtc + 24 * 3600_000, tz);
  const first = asUtc - before;
  if (before === after) return first;
  // Across a change: the first candidate that really shows the wanted wall time, else the gap case.
  for (const candidate of [first, asUtc - after]) {
    const w = wallTime(candidate, tz);
    if (w.hour === hour && w.minute === minute && w.day === day) return candidate;
  }
  // In the spring-forward gap: the same distance past the change as the wall time was meant to be.
  return asUtc - before;
}

/** Midnight-based calendar day arithmetic on a wall date. */
export function addDays(year: number, month: number, day: number, n: number): { year: number; month: number; day: number } {
  const d = new Date(Date.UTC(year, month - 1, day + n));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}
