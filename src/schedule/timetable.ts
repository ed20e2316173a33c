import ICAL from 'ical.js';
import { CLASS_MODES } from '../config/service-schema.js';
import type { Config } from '../config/schema.js';
import { addDays, wallTime, zonedToInstant } from './zoned-time.js';

export type ScheduledClass = Config['schedule']['classes'][number];
type Mode = (typeof CLASS_MODES)[number];

/** One class on one day, as an interval of instants. */
export interface Occurrence {
  /** Stable across recomputation: origin, name and start instant. */
  key: string;
  name: string;
  mode: Mode;
  start: number;
  end: number;
  origin: 'config' | 'pushed' | 'ical';
  layout?: string | undefined;
  preset?: Record<string, string | number>;
  projector?: Record<string, 'on' | 'off'>;
  media?: string | undefined;
}

const DAY_INDEX = { mon: 0, tue: 1, wed: 2, thu: 3, fri: 4, sat: 5, sun: 6 } as const;

/** The weekly classes that overlap [from, to), in the schedule's time zone: DST changes move nothing on the wall clock. */
export function weeklyOccurrences(
  classes: ScheduledClass[],
  tz: string,
  from: number,
  to: number,
  origin: Occurrence['origin'],
): Occurrence[] {
  const out: Occurrence[] = [];
  const first = wallTime(from, tz);
  const days = Math.ceil((to - from) / 86_400_000) + 2;
  for (let i = -1; i < days; i++) {
    const d = addDays(first.year, first.month, first.day, i);
    const weekday = (new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay() + 6) % 7;
    for (const c of classes) {
      if (!c.days.some((day) => DAY_INDEX[day] === weekday)) continue;
      const [sh, sm] = c.start.split(':').map(Number) as [number, number];
      const [eh, em] = c.end.split(':').map(Number) as [number, number];
      const start = zonedToInstant(d.year, d.month, d.day, sh, sm, tz);
      const end = zonedToInstant(d.year, d.month, d.day, eh, em, tz);
      if (end <= from || start >= to) continue;
      out.push({
        key: `${origin}:${c.name}:${start}`,
        name: c.name,
        mode: c.mode,
        start,
        end,
        origin,
        layout: c.layout,
        preset: c.preset,
        projector: c.projector,
        media: c.media,
      });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The mode of an iCalendar event: a `mode: recorded` line in its description or a category naming one; live otherwise. */
function modeOf(event: ICAL.Event): Mode {
  const text = `${event.description ?? ''}`;
  const m = /\bmode\s*[:=]\s*(live|recorded|implanted|observation)\b/i.exec(text);
  if (m) return m[1]!.toLowerCase() as Mode;
  const categories = event.component.getAllProperties('categories').flatMap((p) => p.getValues().map(String));
  const found = categories.map((c) => c.toLowerCase()).find((c): c is Mode => (CLASS_MODES as readonly string[]).includes(c));
  return found ?? 'live';
}

/**
 * Occurrences of the classes in an iCalendar (RFC 5545) text that overlap [from, to): single events
 * and recurring ones (RRULE, EXDATE) expanded by ical.js, in their VTIMEZONE, in UTC, or as floating
 * times in the schedule's zone. Throws on text that is not iCalendar.
 */
export function icalOccurrences(text: string, tz: string, from: number, to: number): Occurrence[] {
  const root = new ICAL.Component(ICAL.parse(text));
  for (const vtz of root.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(vtz);
  const instant = (t: ICAL.Time): number => {
    if (t.zone === ICAL.Timezone.localTimezone || t.zone === undefined || t.zone === null)
      return zonedToInstant(t.year, t.month, t.day, t.hour, t.minute, tz);
    return t.toUnixTime() * 1000;
  };
  const out: Occurrence[] = [];
  const events = root.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
  // A changed occurrence (RECURRENCE-ID) belongs to its series: it replaces that occurrence, and is
  // not a class of its own as well.
  const series = new Map<string, ICAL.Event>();
  for (const e of events) if (!e.isRecurrenceException() && e.uid) series.set(e.uid, e);
  const exceptions = events.filter((e) => e.isRecurrenceException() && e.uid && series.has(e.uid));
  for (const e of exceptions) series.get(e.uid)!.relateException(e);
  const cancelled = (e: ICAL.Event) => String(e.component.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED';
  for (const event of events) {
    if (exceptions.includes(event) || cancelled(event)) continue;
    if (!event.startDate || event.startDate.isDate) continue; // all-day entries are not classes
    const add = (item: ICAL.Event, start: number, end: number) => {
      const name = (item.summary ?? event.summary ?? 'class').slice(0, 64);
      if (end > from && start < to && end > start)
        out.push({ key: `ical:${event.uid ?? name}:${start}`, name, mode: modeOf(item), start, end, origin: 'ical' });
    };
    if (!event.isRecurring()) {
      add(event, instant(event.startDate), instant(event.endDate));
      continue;
    }
    const it = event.iterator();
    for (let i = 0, next = it.next(); next && i < 5000; i++, next = it.next()) {
      const details = event.getOccurrenceDetails(next);
      const start = instant(details.startDate);
      // A moved occurrence may fall after `to` while the series goes on: stop on the series' own time.
      if (instant(next) >= to && start >= to) break;
      if (cancelled(details.item)) continue;
      add(details.item, start, instant(details.endDate));
    }
  }
  return out.sort((a, b) => a.start - b.start);
}
