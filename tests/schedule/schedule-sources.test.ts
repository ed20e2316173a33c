import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { tempDir } from '../helpers/temp-config.js';

const BASE = 'classbox/test-school/room-1';
const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//t//EN',
  'BEGIN:VEVENT',
  'UID:a',
  'SUMMARY:Chemistry',
  'DTSTART:20261123T020000Z',
  'DTEND:20261123T024500Z',
  'END:VEVENT',
  'END:VCALENDAR',
].join('\r\n');

/** The pushed schedule and the iCalendar feed, with the feed going away and a restart in between. */
describe('schedule sources', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let feed: Server;
  let feedUp = true;
  let service: Service;
  const dataDir = tempDir();
  let now = Date.parse('2026-11-23T00:00:00Z'); // Monday 08:00 in Shanghai
  let feedUrl = '';

  const start = async () => {
    const config = loadConfig({
      base: {
        site: 'test-school',
        room: 'room-1',
        dataDir,
        mqtt: { url: broker.url },
        schedule: { timezone: 'Asia/Shanghai', icalUrl: feedUrl },
      },
      env: {},
    });
    service = createService(config, pino({ level: 'silent' }), { clock: { now: () => now, autoTick: false } });
    await service.start();
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    feed = createServer((_req, res) => {
      if (!feedUp) {
        res.statusCode = 503;
        return res.end('down');
      }
      res.end(ICS);
    });
    await new Promise<void>((r) => feed.listen(0, '127.0.0.1', () => r()));
    feedUrl = `http://127.0.0.1:${(feed.address() as { port: number }).port}/t.ics`;
    await start();
  });
  afterAll(async () => {
    await service?.stop();
    await watch.close();
    await new Promise<void>((r) => feed.close(() => r()));
    await broker.stop();
  });

  it('a pushed schedule (retained) runs its classes; a bad one is refused with the field named', async () => {
    const since = watch.messages.length;
    await watch.client.publishAsync(
      `${BASE}/schedule/set`,
      JSON.stringify({ classes: [{ name: 'pushed-art', days: ['mon'], start: '08:30', end: '09:00', mode: 'recorded' }] }),
      { qos: 1, retain: true },
    );
    await watch.waitFor(
      `${BASE}/event`,
      (p) => JSON.parse(p).type === 'schedule.updated' && JSON.parse(p).source === 'pushed',
      5000,
      since,
    );
    now = Date.parse('2026-11-23T00:30:00Z');
    await service.scheduler.tick();
    expect(service.classroom.snapshot()).toMatchObject({ name: 'pushed-art', mode: 'recorded' });
    now = Date.parse('2026-11-23T01:00:00Z');
    await service.scheduler.tick();
    expect(service.classroom.snapshot()).toBeNull();
    await watch.client.publishAsync(
      `${BASE}/schedule/set`,
      JSON.stringify({ classes: [{ name: 'x', days: ['mon'], start: '25:00', end: '26:00', mode: 'live' }] }),
      { qos: 1, retain: true },
    );
    const rejected = await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'schedule.rejected', 5000, since);
    expect(JSON.parse(rejected.payload).reason).toMatch(/^classes\[0\]\.start: must be a time/);
    await watch.client.publishAsync(`${BASE}/schedule/set`, '{"classes": [', { qos: 1, retain: true });
    await watch.waitFor(
      `${BASE}/event`,
      (p) => JSON.parse(p).type === 'schedule.rejected' && /not JSON/.test(JSON.parse(p).reason),
      5000,
      since,
    );
    // The limits of every request: nesting is refused before parsing. (Size: an MQTT 5 broker does not
    // even deliver more than the box's maximum packet size, and a 3.1.1 one meets the same 64 KB check.)
    await watch.client.publishAsync(`${BASE}/schedule/set`, `${'['.repeat(5000)}${']'.repeat(5000)}`, { qos: 1, retain: true });
    await watch.waitFor(
      `${BASE}/event`,
      (p) => JSON.parse(p).type === 'schedule.rejected' && /nested deeper than 16 levels/.test(JSON.parse(p).reason),
      5000,
      since,
    );
    await watch.client.publishAsync(`${BASE}/schedule/set`, JSON.stringify({ classes: [], pad: 'x'.repeat(100 * 1024) }), {
      qos: 1,
      retain: true,
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(service.scheduler.upcoming(5).map((c) => c.name)).not.toContain('x');
  });

  it('the feed is cached: through an outage and a restart the box keeps its timetable', async () => {
    expect(service.scheduler.upcoming(1).map((c) => c.name)).toContain('Chemistry');
    feedUp = false;
    const since = watch.messages.length;
    await service.scheduler.pollFeed();
    const failed = await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'schedule.fetch_failed', 5000, since);
    expect(JSON.parse(failed.payload)).toMatchObject({ reason: 'HTTP 503', cached: true });
    await service.stop();
    await start(); // restarted while the feed is still down
    expect(service.scheduler.upcoming(1).map((c) => c.name)).toContain('Chemistry');
    now = Date.parse('2026-11-23T02:00:00Z');
    await service.scheduler.tick();
    expect(service.classroom.snapshot()).toMatchObject({ name: 'Chemistry', mode: 'live' });
  });
});
