import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { waitUntil } from '../helpers/net.js';
import { tempDir, writeTempConfig } from '../helpers/temp-config.js';

const BASE = 'classbox/crash-school/room-2';

/** kill -9 in the middle of a class: the class comes back under its id and its recording set goes on. */
describe('a class survives a crash of classbox', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  const rec = tempDir('classbox-rec-');
  const dataDir = tempDir();
  let config: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    config = writeTempConfig({
      site: 'crash-school',
      room: 'room-2',
      profile: 'software',
      dataDir,
      mqtt: { url: broker.url },
      video: { width: 320, height: 180, fps: 15, bitrateKbps: 300, keyframeIntervalS: 1 },
      sources: { board: { kind: 'test' } },
      outputs: [{ name: 'archive', kind: 'record', dir: rec, segmentS: 10, minFreeMB: 0 }],
    });
  });
  afterAll(async () => {
    await watch.close();
    await broker.stop();
  });

  it('resumes the class with its id; the segments before and after are in one manifest', async () => {
    const request = requester(watch, BASE);
    const first = startCli(['run', '--config', config]);
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 20_000);
    const started = await request('class/start', { mode: 'recorded', name: 'Geography' });
    expect(started.status).toBe('ok');
    await waitUntil(() => readdirSync(rec).some((f) => f.includes('geography')), 'recording', 20_000);
    await new Promise((r) => setTimeout(r, 3000));
    await first.stop('SIGKILL');
    const before = readdirSync(rec).filter((f) => f.includes('geography'));

    const since = watch.messages.length;
    const second = startCli(['run', '--config', config]);
    try {
      const state = await watch.waitFor(
        `${BASE}/state`,
        (p) => JSON.parse(p).class?.id === started.data.id && JSON.parse(p).recording === true,
        30_000,
        since,
      );
      expect(JSON.parse(state.payload).class).toMatchObject({ name: 'Geography', mode: 'recorded' });
      // The segment open at the kill is measured on restart, under the same class.
      const crashed = await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'recording.segment', 20_000, since);
      expect(JSON.parse(crashed.payload)).toMatchObject({ class: started.data.id, path: join(rec, before.at(-1)!) });
      await waitUntil(
        () => readdirSync(rec).filter((f) => f.includes('geography')).length > before.length,
        'a new segment after the restart',
        20_000,
      );
      await new Promise((r) => setTimeout(r, 2000));
      const stopped = await request('class/stop');
      expect(stopped.data).toMatchObject({ id: started.data.id, name: 'Geography' });
      expect(stopped.data.incidents.map((i: { type: string }) => i.type)).toContain('resumed');
      await waitUntil(
        () => {
          try {
            return JSON.parse(readFileSync(join(dataDir, 'recordings', 'classes', `${started.data.id}.json`), 'utf8')).segments.length >= 2;
          } catch {
            return false;
          }
        },
        'manifest with the segments before and after the crash',
        20_000,
      );
      const manifest = JSON.parse(readFileSync(join(dataDir, 'recordings', 'classes', `${started.data.id}.json`), 'utf8'));
      expect(manifest.segments.map((s: { index: number }) => s.index)).toEqual(manifest.segments.map((_: unknown, i: number) => i));
      expect(manifest.segments[0].file).toBe(before[0]);
    } finally {
      await second.stop('SIGTERM');
    }
  }, 120_000);

  it('a resumed class that brings the box down again within a minute is not resumed a third time', async () => {
    const request = requester(watch, BASE);
    const crash = async (expectClass: string) => {
      const since = watch.messages.length;
      const run = startCli(['run', '--config', config]);
      await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).class?.id === expectClass, 30_000, since);
      await run.stop('SIGKILL');
    };
    const first = startCli(['run', '--config', config]);
    const since0 = watch.messages.length;
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 20_000, since0);
    const started = await request('class/start', { mode: 'live', name: 'Crashing lesson' });
    expect(started.status).toBe('ok');
    await first.stop('SIGKILL');
    // Taken up once after the crash, then down again at once.
    await crash(started.data.id);

    const since = watch.messages.length;
    const third = startCli(['run', '--config', config]);
    try {
      const ev = await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'class.not_resumed', 30_000, since);
      expect(JSON.parse(ev.payload)).toMatchObject({ id: started.data.id, name: 'Crashing lesson', mode: 'live' });
      const state = await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).class === null, 20_000, since);
      expect(JSON.parse(state.payload).class).toBeNull();
      // The room is usable: a new class starts.
      const again = await request('class/start', { mode: 'live', name: 'Next lesson' });
      expect(again.status).toBe('ok');
      await request('class/stop');
    } finally {
      await third.stop('SIGTERM');
    }
  }, 120_000);

  it('a resumed class stopped on purpose (SIGTERM, an update) within the minute is resumed again, not taken for a crash loop', async () => {
    const request = requester(watch, BASE);
    const since0 = watch.messages.length;
    const first = startCli(['run', '--config', config]);
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 20_000, since0);
    const started = await request('class/start', { mode: 'live', name: 'Updated mid-lesson' });
    await first.stop('SIGKILL');
    const since1 = watch.messages.length;
    const second = startCli(['run', '--config', config]);
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).class?.id === started.data.id, 30_000, since1);
    expect(await second.stop('SIGTERM')).toBe(0);
    const since2 = watch.messages.length;
    const third = startCli(['run', '--config', config]);
    try {
      await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).class?.id === started.data.id, 30_000, since2);
      expect(
        watch.messages.slice(since2).filter((m) => m.topic === `${BASE}/event` && JSON.parse(m.payload).type === 'class.not_resumed'),
      ).toEqual([]);
      await request('class/stop');
    } finally {
      await third.stop('SIGTERM');
    }
  }, 120_000);
});
