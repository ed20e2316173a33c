import { describe, expect, it } from 'vitest';
import { icalOccurrences, weeklyOccurrences, type ScheduledClass } from '../../src/schedule/timetable.js';

const iso = (t: number) => new Date(t).toISOString();
const cls = (c: Partial<ScheduledClass>): ScheduledClass => ({
  name: 'math',
  days: ['mon'],
  start: '08:00',
  end: '08:45',
  mode: 'live',
  preset: {},
  projector: {},
  ...c,
});

describe('weekly timetable', () => {
  it('expands weekly classes in the time zone, across the DST change at the same wall time', () => {
    // Europe/Berlin moves to summer time on Sunday 29 March 2026.
    const from = Date.parse('2026-03-23T00:00:00Z');
    const to = Date.parse('2026-04-04T00:00:00Z');
    const occ = weeklyOccurrences([cls({ days: ['mon', 'fri'], start: '08:00', end: '08:45' })], 'Europe/Berlin', from, to, 'config');
    expect(occ.map((o) => iso(o.start))).toEqual([
      '2026-03-23T07:00:00.000Z',
      '2026-03-27T07:00:00.000Z',
      '2026-03-30T06:00:00.000Z',
      '2026-04-03T06:00:00.000Z',
    ]);
    expect(occ.every((o) => o.end - o.start === 45 * 60_000)).toBe(true);
  });

  it('keys are stable, and classes that only overlap the window are included', () => {
    const from = Date.parse('2026-11-23T00:20:00Z'); // 08:20 in Shanghai, during math
    const occ = weeklyOccurrences([cls({})], 'Asia/Shanghai', from, from + 3600_000, 'pushed');
    expect(occ).toHaveLength(1);
    expect(occ[0]!.key).toBe(`pushed:math:${Date.parse('2026-11-23T00:00:00Z')}`);
  });
});

const ICS = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//school//timetable//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:physics-1
SUMMARY:Physics 9A
DESCRIPTION:Anchor lesson\\nmode: recorded
DTSTART;TZID=Europe/Berlin:20260324T100000
DTEND;TZID=Europe/Berlin:20260324T104500
RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10
EXDATE;TZID=Europe/Berlin:20260407T100000
END:VEVENT
BEGIN:VEVENT
UID:assembly
SUMMARY:Assembly
CATEGORIES:observation
DTSTART:20260325T120000Z
DTEND:20260325T130000Z
END:VEVENT
BEGIN:VEVENT
UID:holiday
SUMMARY:Holiday
DTSTART;VALUE=DATE:20260326
END:VEVENT
END:VCALENDAR`;

describe('iCalendar feed', () => {
  it('expands RRULE with EXDATE in its VTIMEZONE across DST; single events in UTC; modes; all-day entries skipped', () => {
    const occ = icalOccurrences(ICS, 'Asia/Shanghai', Date.parse('2026-03-23T00:00:00Z'), Date.parse('2026-04-15T00:00:00Z'));
    expect(occ.map((o) => [o.name, o.mode, iso(o.start)])).toEqual([
      ['Physics 9A', 'recorded', '2026-03-24T09:00:00.000Z'],
      ['Assembly', 'observation', '2026-03-25T12:00:00.000Z'],
      ['Physics 9A', 'recorded', '2026-03-31T08:00:00.000Z'],
      ['Physics 9A', 'recorded', '2026-04-14T08:00:00.000Z'],
    ]);
  });

  it('a cancelled event, a cancelled occurrence and a moved occurrence, as a calendar export writes them', () => {
    const ics = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Google Inc//Google Calendar 70.9054//EN
BEGIN:VEVENT
UID:maths-series@google.com
SUMMARY:Maths 7B
DTSTART:20260302T010000Z
DTEND:20260302T014500Z
RRULE:FREQ=WEEKLY;COUNT=4
STATUS:CONFIRMED
END:VEVENT
BEGIN:VEVENT
UID:maths-series@google.com
RECURRENCE-ID:20260309T010000Z
SUMMARY:Maths 7B (moved)
DTSTART:20260309T060000Z
DTEND:20260309T064500Z
STATUS:CONFIRMED
END:VEVENT
BEGIN:VEVENT
UID:maths-series@google.com
RECURRENCE-ID:20260316T010000Z
SUMMARY:Maths 7B
DTSTART:20260316T010000Z
DTEND:20260316T014500Z
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:trip@google.com
SUMMARY:School trip
DTSTART:20260304T010000Z
DTEND:20260304T020000Z
STATUS:CANCELLED
END:VEVENT
END:VCALENDAR`;
    const occ = icalOccurrences(ics, 'UTC', Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-04-01T00:00:00Z'));
    expect(occ.map((o) => [o.name, iso(o.start)])).toEqual([
      ['Maths 7B', '2026-03-02T01:00:00.000Z'],
      ['Maths 7B (moved)', '2026-03-09T06:00:00.000Z'],
      ['Maths 7B', '2026-03-23T01:00:00.000Z'],
    ]);
  });

  it('refuses text that is not iCalendar', () => {
    expect(() => icalOccurrences('<html>captive portal</html>', 'UTC', 0, 1)).toThrow();
  });
});
