import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { centralConfigSchema } from '../../src/central/config.js';
import { Fleet, type FleetChange } from '../../src/central/fleet.js';
import { CentralStore } from '../../src/central/store.js';
import { tempDir } from '../helpers/temp-config.js';

const T0 = Date.parse('2026-11-23T08:00:00.000Z');

function fleet(file = ':memory:') {
  const clock = { t: T0, now: () => clock.t };
  const store = new CentralStore(file);
  const config = centralConfigSchema.parse({ telemetryIntervalS: 10 });
  const f = new Fleet(config, store, pino({ level: 'silent' }), clock);
  const changes: FleetChange[] = [];
  f.on('change', (c) => changes.push(c));
  const send = (room: string, kind: string, payload: unknown) =>
    f.handle(`classbox/school/${room}/${kind}`, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)));
  const open = () => store.faults({ open: true }).map((x) => `${x.room} ${x.kind} ${x.subject}`);
  return { f, store, clock, send, open, changes };
}

describe('the fleet model', () => {
  it('opens a fault from an event at once and clears it from the next telemetry that says otherwise', () => {
    const { send, open, clock } = fleet();
    send('r1', 'availability', 'online');
    send('r1', 'event', { type: 'source.lost', seq: 1, ts: '2026-11-23T08:00:00Z', source: 'teacher', reason: 'no frames' });
    expect(open()).toEqual(['r1 source_lost teacher']);
    clock.t += 1000;
    send('r1', 'telemetry', { ts: new Date(clock.t).toISOString(), sources: { teacher: { state: 'live' } } });
    expect(open()).toEqual([]);
  });

  it('keeps one fault per room, kind and subject however often it is said', () => {
    const { send, store } = fleet();
    for (let i = 0; i < 5; i++) send('r1', 'state', { devices: { projectors: { main: { online: false } } } });
    expect(store.faults().length).toBe(1);
  });

  it('stores an event once: a replay is dropped, a box that counts from 1 again is not', () => {
    const { send, store, f } = fleet();
    const e = {
      type: 'class.started',
      seq: 1,
      ts: '2026-11-23T08:00:00.000Z',
      id: 'c1',
      name: 'Math',
      mode: 'live',
      startedAt: '2026-11-23T08:00:00.000Z',
    };
    send('r1', 'event', e);
    expect(send('r1', 'event', e)).toMatch(/seen before/);
    send('r1', 'event', { ...e, ts: '2026-11-24T08:00:00.000Z', id: 'c2', startedAt: '2026-11-24T08:00:00.000Z' });
    expect(store.lessons().map((l) => l.id)).toEqual(['c2', 'c1']);
    expect(f.counts.duplicates).toBe(1);
  });

  it('counts a lesson it saw only in the state (started before the centre), and ends it from class.ended', () => {
    const { send, store } = fleet();
    send('r1', 'state', { class: { id: 'c9', mode: 'recorded', name: 'Art', startedAt: '2026-11-23T07:30:00.000Z' } });
    expect(store.lessons()[0]).toMatchObject({ id: 'c9', endedAt: null });
    send('r1', 'event', {
      type: 'class.ended',
      seq: 7,
      ts: '2026-11-23T08:15:00.000Z',
      id: 'c9',
      name: 'Art',
      mode: 'recorded',
      startedAt: '2026-11-23T07:30:00.000Z',
      endedAt: '2026-11-23T08:15:00.000Z',
      durationS: 2700,
      incidents: [{ kind: 'source.lost' }, { kind: 'output.down' }],
    });
    expect(store.lessons()[0]).toMatchObject({ id: 'c9', minutes: 45, incidents: 2, endedAt: '2026-11-23T08:15:00.000Z' });
  });

  it('names a box that is online and silent for three telemetry intervals, and a clock that is off', () => {
    const { send, open, clock, f } = fleet();
    send('r1', 'availability', 'online');
    send('r1', 'telemetry', { ts: new Date(clock.t).toISOString() });
    clock.t += 29_000;
    f.checkSilence();
    expect(open()).toEqual([]);
    clock.t += 2000;
    f.checkSilence();
    expect(open()).toEqual(['r1 telemetry_missing box']);
    send('r1', 'telemetry', { ts: new Date(clock.t - 120_000).toISOString(), temperatureC: 85 });
    expect(open().sort()).toEqual(['r1 clock_unsynced clock', 'r1 overheating box']);
  });

  it('treats a cleared retained availability as unknown, not offline, and an offline box as one fault', () => {
    const { send, open, f } = fleet();
    send('r1', 'availability', 'offline');
    expect(open()).toEqual(['r1 box_offline box']);
    send('r1', 'availability', '');
    expect(f.room('school', 'r1')?.online).toBeNull();
    expect(open()).toEqual([]);
  });

  it('drops what is not a box message, and nothing throws', () => {
    const { f } = fleet();
    const bad: Array<[string, string]> = [
      ['classbox/school/r1/state', '{'],
      ['classbox/school/r1/state', '[]'],
      ['classbox/school/r1/event', '{"type": "x"}'],
      ['classbox/school/r1/event', '{"type": "x", "seq": 1.5}'],
      ['classbox/school/r1/availability', 'maybe'],
      ['classbox/school/r1/telemetry', 'null'],
      ['classbox/School/r1/state', '{}'],
      ['classbox/school/r1/other', '{}'],
      ['elsewhere/school/r1/state', '{}'],
      ['classbox/school/r1/state', 'x'.repeat(300_000)],
      ['classbox/school/r1/state', '{"devices": {"cameras": 5}, "outputs": "no", "displays": [1]}'],
      ['classbox/school/r1/telemetry', '{"sources": [1, 2], "throttled": "x", "ts": {}}'],
      ['classbox/school/r1/event', '{"type": "class.ended", "seq": 3, "id": 5}'],
    ];
    for (const [t, p] of bad) expect(() => f.handle(t, Buffer.from(p))).not.toThrow();
    expect(f.counts.malformed).toBe(10);
  });

  it('keeps rooms, faults and lessons in its file across a restart', () => {
    const file = `${tempDir()}/central.db`;
    const a = fleet(file);
    a.send('r1', 'availability', 'offline');
    a.send('r1', 'event', { type: 'class.started', seq: 1, ts: 'x', id: 'c1', mode: 'live', startedAt: '2026-11-23T08:00:00.000Z' });
    a.f.close();
    a.store.close();
    const b = fleet(file);
    expect(b.f.room('school', 'r1')?.online).toBe(false);
    expect(b.open()).toEqual(['r1 box_offline box']);
    expect(b.store.lessons().length).toBe(1);
  });
});
