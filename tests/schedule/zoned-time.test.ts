import { describe, expect, it } from 'vitest';
import { wallTime, zonedToInstant } from '../../src/schedule/zoned-time.js';

const iso = (t: number) => new Date(t).toISOString();

describe('zoned time (DST-safe, Intl only)', () => {
  it('Asia/Shanghai has no DST: 08:00 is 00:00 UTC all year', () => {
    expect(iso(zonedToInstant(2026, 1, 5, 8, 0, 'Asia/Shanghai'))).toBe('2026-01-05T00:00:00.000Z');
    expect(iso(zonedToInstant(2026, 7, 5, 8, 0, 'Asia/Shanghai'))).toBe('2026-07-05T00:00:00.000Z');
  });

  it('Europe/Berlin across the spring change (29 March 2026, 02:00 -> 03:00)', () => {
    expect(iso(zonedToInstant(2026, 3, 28, 8, 0, 'Europe/Berlin'))).toBe('2026-03-28T07:00:00.000Z');
    expect(iso(zonedToInstant(2026, 3, 29, 8, 0, 'Europe/Berlin'))).toBe('2026-03-29T06:00:00.000Z');
    // 02:30 does not exist that night: a wall clock shows 03:30.
    expect(iso(zonedToInstant(2026, 3, 29, 2, 30, 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
  });

  it('Europe/Berlin across the autumn change (25 October 2026): 02:30 exists twice, the first is taken', () => {
    expect(iso(zonedToInstant(2026, 10, 25, 2, 30, 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(zonedToInstant(2026, 10, 25, 8, 0, 'Europe/Berlin'))).toBe('2026-10-25T07:00:00.000Z');
  });

  it('wall time and weekday of an instant', () => {
    expect(wallTime(Date.parse('2026-11-23T00:30:00Z'), 'Asia/Shanghai')).toMatchObject({
      year: 2026,
      month: 11,
      day: 23,
      hour: 8,
      minute: 30,
      weekday: 0,
    });
    expect(wallTime(Date.parse('2026-11-22T23:30:00Z'), 'America/New_York')).toMatchObject({ day: 22, hour: 18, weekday: 6 });
  });
});
