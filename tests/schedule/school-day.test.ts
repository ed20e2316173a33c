import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { SimulatedGpioChip } from '../../src/sim/gpio.js';
import { PjlinkProjectorSim } from '../../src/sim/pjlink-projector.js';
import { ViscaCameraSim } from '../../src/sim/visca-camera.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { waitUntil } from '../helpers/net.js';
import { createPtyPair, type PtyPair } from '../helpers/pty.js';
import { tempDir } from '../helpers/temp-config.js';

const BASE = 'classbox/test-school/room-1';
const at = (iso: string) => Date.parse(iso);

/**
 * A school day on a driven clock, on the night Europe/Berlin moves to summer time (Sunday 29 March
 * 2026, 02:00 -> 03:00): two weekly classes from the config (one before and one after the change), a
 * class from the school's iCalendar feed, an ad-hoc class pre-empted by a scheduled one, a broker
 * outage in the middle, a projector that refuses its input while warming up, a camera that never
 * answers. The devices and the broker are real; only the clock is driven.
 */
describe('a school day on a driven clock', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let pty: PtyPair;
  let silentPty: PtyPair;
  let camera: ViscaCameraSim;
  let silent: ViscaCameraSim;
  let projector: PjlinkProjectorSim;
  let feed: Server;
  let service: Service;
  let now = at('2026-03-28T23:00:00Z'); // 00:00 in Berlin (CET, +01:00)

  beforeAll(async () => {
    // The broker is restarted mid-day: a persistent one and a watch with a session of its own, so that
    // what the box sends as soon as it is back is kept for the watch even when the box reconnects first.
    broker = await startMosquitto({ persistent: true });
    watch = await watchMqtt(broker.url, `${BASE}/#`, { session: 'school-day-watch' });
    pty = await createPtyPair();
    silentPty = await createPtyPair();
    camera = new ViscaCameraSim(pty.b, { recallMs: 10 });
    await camera.start();
    for (const n of [1, 2]) camera.camera().presets.set(n, { pan: n * 100, tilt: 0, zoom: 0 });
    silent = new ViscaCameraSim(silentPty.b);
    await silent.start();
    projector = new PjlinkProjectorSim({ warmUpMs: 600, coolDownMs: 200 });
    const pjPort = await projector.start();
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//school//EN',
      'BEGIN:VEVENT',
      'UID:assembly-1',
      'SUMMARY:Assembly',
      'CATEGORIES:recorded',
      'DTSTART:20260329T090000Z',
      'DTEND:20260329T093000Z',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    feed = createServer((_req, res) => res.end(ics));
    await new Promise<void>((r) => feed.listen(0, '127.0.0.1', () => r()));
    const feedUrl = `http://127.0.0.1:${(feed.address() as { port: number }).port}/timetable.ics`;
    silent.silent = true;
    const config = loadConfig({
      base: {
        site: 'test-school',
        room: 'room-1',
        dataDir: tempDir(),
        mqtt: { url: broker.url, telemetryIntervalS: 3600 },
        schedule: {
          timezone: 'Europe/Berlin',
          icalUrl: feedUrl,
          projectorOffDelayMinutes: 0,
          classes: [
            { name: 'early-math', days: ['sun'], start: '01:30', end: '01:50', mode: 'live', preset: { 'teacher-cam': 'podium' } },
            {
              name: 'late-physics',
              days: ['sun'],
              start: '03:10',
              end: '03:40',
              mode: 'live',
              preset: { 'teacher-cam': 'board', 'students-cam': 'class' },
            },
          ],
        },
        devices: {
          cameras: {
            'teacher-cam': { protocol: 'visca', port: pty.a, timeoutMs: 300, presets: { podium: 1, board: 2 } },
            'students-cam': { protocol: 'visca', port: silentPty.a, timeoutMs: 300, presets: { class: 1 } },
          },
          projectors: {
            main: { protocol: 'pjlink', host: '127.0.0.1', port: pjPort, timeoutMs: 500, inputs: { hdmi: '32' }, classInput: 'hdmi' },
          },
          gpio: { onair: { line: 17, direction: 'out', shows: 'on-air' } },
        },
      },
      env: {},
    });
    service = createService(config, pino({ level: process.env.CLASSBOX_TEST_LOG ?? 'silent' }), {
      runner: new GstRunner(),
      profile: loadBoardProfile('software'),
      gpioChip: new SimulatedGpioChip(),
      clock: { now: () => now, autoTick: false },
    });
    await service.start();
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 10_000);
  });
  afterAll(async () => {
    await service?.stop('test over');
    await watch.close();
    for (const s of [camera, silent]) await s.stop();
    for (const p of [pty, silentPty]) await p.close();
    await projector.stop();
    await new Promise<void>((r) => feed.close(() => r()));
    await broker.stop();
  });

  /** Moves the clock and lets the timetable act; waits for the room to settle. */
  const advance = async (iso: string) => {
    now = at(iso);
    await service.scheduler.tick();
    await new Promise((r) => setTimeout(r, 100));
  };
  const events = () =>
    watch.messages.filter((m) => m.topic === `${BASE}/event`).map((m) => JSON.parse(m.payload) as Record<string, unknown>);

  it('runs the day', async () => {
    const upcoming = service.scheduler.upcoming(1).map((c) => `${c.name} ${c.start}`);
    // Wall times in Berlin: 01:30 CET, 03:10 CEST (the clock jumped at 02:00), the feed's 09:00 UTC.
    expect(upcoming).toEqual([
      'early-math 2026-03-29T00:30:00.000Z',
      'late-physics 2026-03-29T01:10:00.000Z',
      'Assembly 2026-03-29T09:00:00.000Z',
    ]);

    await advance('2026-03-29T00:28:00Z');
    expect(projector.commands.filter((c) => c.startsWith('%1POWR 1'))).toHaveLength(0);
    await advance('2026-03-29T00:29:00Z'); // a minute ahead: the projector warms up before the class
    expect(service.classroom.snapshot()).toBeNull();
    await waitUntil(() => projector.commands.includes('%1POWR 1'), 'projector switched on ahead of the class');
    await advance('2026-03-29T00:30:00Z'); // 01:30 CET
    expect(service.classroom.snapshot()).toMatchObject({ name: 'early-math', mode: 'live' });
    await waitUntil(() => projector.model.input === '32', 'projector on its class input after warm-up', 10_000);
    await advance('2026-03-29T00:50:00Z'); // 01:50: over
    expect(service.classroom.snapshot()).toBeNull();
    await waitUntil(() => projector.model.switches.at(-1)?.on === false, 'projector off after the class');

    // The broker goes away during the next class; nothing the box reports is lost.
    await broker.stop();
    await new Promise((r) => setTimeout(r, 300)); // the projector's cool-down
    await advance('2026-03-29T01:10:00Z'); // 03:10 CEST, after the change
    expect(service.classroom.snapshot()).toMatchObject({ name: 'late-physics' });
    await advance('2026-03-29T01:40:00Z');
    expect(service.classroom.snapshot()).toBeNull();
    await broker.start();
    await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'class.ended' && JSON.parse(p).name === 'late-physics', 20_000);

    // An ad-hoc class at 10:50 is pre-empted by the feed's assembly at 11:00 (09:00 UTC), and says so.
    now = at('2026-03-29T08:50:00Z');
    await service.classroom.begin({ mode: 'live', name: 'extra lesson' });
    await advance('2026-03-29T09:00:00Z');
    expect(service.classroom.snapshot()).toMatchObject({ name: 'Assembly', mode: 'recorded' });
    await advance('2026-03-29T09:30:00Z');
    expect(service.classroom.snapshot()).toBeNull();
    await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'class.ended' && JSON.parse(p).name === 'Assembly', 10_000);

    // What the centre heard, in order, with seq contiguous across the outage.
    const ev = events().filter((e) => String(e.type).startsWith('class.'));
    expect(ev.map((e) => `${e.type} ${e.name ?? e.class}${e.endReason ? ` (${e.endReason})` : ''}`)).toEqual([
      'class.started early-math',
      'class.ended early-math (end time reached)',
      'class.started late-physics',
      expect.stringMatching(/^class\.step_failed .*late-physics$/),
      'class.ended late-physics (end time reached)',
      'class.started extra lesson',
      expect.stringMatching(/^class\.step_failed .*extra-lesson$/), // the silent camera, each time
      'class.ended extra lesson (pre-empted by scheduled class "Assembly")',
      'class.started Assembly',
      expect.stringMatching(/^class\.step_failed .*assembly$/),
      'class.ended Assembly (end time reached)',
    ]);
    const failed = ev.find((e) => e.type === 'class.step_failed')!;
    expect(failed).toMatchObject({ step: 'camera preset', device: 'students-cam', code: 'device_timeout' });
    const seqs = events().map((e) => e.seq as number);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));

    // What the devices heard, in order: the teacher camera's presets, the projector's power and input.
    const recalls = camera.framesMatching('8101043f02').map((f) => f[5]);
    expect(recalls).toEqual([1, 2, 1, 1]); // podium, board, then the first named preset for the ad-hoc and the feed's classes
    const pj = projector.commands.filter((c) => /^%1(POWR [01]|INPT \d)/.test(c));
    // Warmed up a minute ahead (power, then its input), off after the class, on again for the next.
    // The class asserts power and input again when it starts (someone may have switched them meanwhile):
    // such repeats within one period on are folded here, as their number depends on timing.
    const periods: string[] = [];
    let seen = new Set<string>();
    for (const c of pj) {
      if (c === '%1POWR 0') seen = new Set();
      else if (seen.has(c)) continue;
      seen.add(c);
      periods.push(c);
    }
    expect(pj.slice(0, 2)).toEqual(['%1POWR 1', '%1INPT 32']);
    expect(periods.slice(0, 4)).toEqual(['%1POWR 1', '%1INPT 32', '%1POWR 0', '%1POWR 1']);
    const sessions = service.classroom.sessions(10).map((s) => `${s.name}:${s.source}`);
    expect(sessions).toEqual(['Assembly:schedule', 'extra lesson:request', 'late-physics:schedule', 'early-math:schedule']);
  }, 90_000);
});
