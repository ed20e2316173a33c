import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freePort, freeUdpPort, sleep, waitUntil } from '../helpers/net.js';
import { roomConfig, tempDir, writeTempConfig } from '../helpers/temp-config.js';

const SITE = 'county';
const VIDEO = { width: 320, height: 180, fps: 15, bitrateKbps: 300, keyframeIntervalS: 1 };

/** A figure from a box's /metrics, as Prometheus would scrape it (null when the series is not there). */
async function metric(port: number, series: RegExp): Promise<number | null> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${series.source} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

interface Box {
  name: string;
  config: string;
  http: number;
  cli?: RunningCli;
}

/**
 * The programme's lesson end to end, as schools run it: one anchor and two receiving classrooms, each
 * `classbox run` on loopback with one broker. The lesson (picture and sound) reaches both rooms; both
 * rooms' students (picture and sound) reach the anchor's grid and its speakers; a room that dies shows
 * on the anchor as a NO SIGNAL slate and is back within 3 s of its box being online again, while the anchor records on.
 * What is asserted is what a person would notice: sound levels, frames arriving, the recording growing.
 * Run alone: its timings (lost within 4 s, back within 3 s) are the boxes', not those of a loaded machine.
 */
describe('one anchor, two receiving classrooms', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  const ports = { lesson: 0, a: 0, b: 0 };
  const recordings = tempDir('classbox-anchor-rec-');
  let anchor: Box;
  const rooms: Box[] = [];
  const start = async (box: Box) => {
    // Left out, not inherited: startCli lays env over this process's environment.
    const env = { ...process.env, UV_THREADPOOL_SIZE: undefined };
    box.cli = startCli(['run', '--config', box.config], { env });
    await watch
      .waitFor(`classbox/${SITE}/${box.name}/availability`, (p) => p === 'online', 30_000, watch.messages.length)
      .catch((err: Error) => {
        throw new Error(`${box.name}: ${err.message}\n${box.cli?.output()}`);
      });
  };
  const events = (box: string, type: string, since = 0) =>
    watch.messages
      .slice(since)
      .filter((m) => m.topic === `classbox/${SITE}/${box}/event`)
      .map((m) => JSON.parse(m.payload) as Record<string, unknown>)
      .filter((e) => e.type === type);

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `classbox/${SITE}/#`);
    ports.lesson = await freeUdpPort();
    ports.a = await freeUdpPort();
    ports.b = await freeUdpPort();
    const common = (room: string, httpPort: number) => roomConfig(SITE, room, broker.url, { video: VIDEO, httpPort });
    const anchorHttp = await freePort();
    anchor = {
      name: 'anchor',
      http: anchorHttp,
      config: writeTempConfig({
        ...common('anchor', anchorHttp),
        role: 'broadcast',
        audio: { device: 'test', speaker: 'none' },
        sources: {
          teacher: { kind: 'test', pattern: 'ball' },
          'room-a': { kind: 'remote', url: `srt://127.0.0.1:${ports.a}?mode=listener` },
          'room-b': { kind: 'remote', url: `srt://127.0.0.1:${ports.b}?mode=listener` },
        },
        layout: 'grid',
        outputs: [
          { name: 'archive', kind: 'record', dir: recordings, segmentS: 10 },
          { name: 'receivers', kind: 'srt', url: `srt://127.0.0.1:${ports.lesson}?mode=listener` },
        ],
      }),
    };
    for (const [name, port] of [
      ['room-a', ports.a],
      ['room-b', ports.b],
    ] as const) {
      const http = await freePort();
      rooms.push({
        name,
        http,
        config: writeTempConfig({
          ...common(name, http),
          role: 'receive',
          display: { sink: 'none' },
          audio: { device: 'test', speaker: 'none' },
          sources: {
            lesson: { kind: 'remote', url: `srt://127.0.0.1:${ports.lesson}?mode=caller` },
            students: { kind: 'test', pattern: 'snow' },
          },
          outputs: [{ name: 'uplink', kind: 'srt', url: `srt://127.0.0.1:${port}?mode=caller` }],
        }),
      });
    }
    await start(anchor);
    for (const r of rooms) await start(r);
    // The centre starts the live class in every classroom taking part.
    for (const b of [anchor, ...rooms]) {
      const started = await requester(watch, `classbox/${SITE}/${b.name}`, 20_000)('class/start', { mode: 'live', name: 'Two-way' });
      expect(started.status).toBe('ok');
    }
  }, 120_000);

  afterAll(async () => {
    for (const b of [...rooms, anchor]) await b?.cli?.stop('SIGTERM');
    await watch?.close();
    await broker?.stop();
  });

  it("the lesson, picture and sound, reaches both rooms; both rooms reach the anchor's grid and its speakers", async () => {
    for (const r of rooms) {
      // The anchor's test tone (-23 dBFS) on the room's speakers, and the lesson's packets arriving.
      await waitUntil(
        async () => ((await metric(r.http, /classbox_audio_level_dbfs\{path="speaker"\}/)) ?? -100) > -30 || undefined,
        `${r.name} hears the lesson`,
        30_000,
        250,
      );
      const before = (await metric(r.http, /classbox_srt_packets_total\{link="source:lesson"\}/)) ?? 0;
      await sleep(1000);
      expect((await metric(r.http, /classbox_srt_packets_total\{link="source:lesson"\}/)) ?? 0).toBeGreaterThan(before + 20);
    }
    for (const r of rooms) {
      // Each room's microphone at the anchor, and its picture live in the grid (no slate).
      await waitUntil(
        async () =>
          ((await metric(anchor.http, new RegExp(`classbox_audio_level_dbfs\\{path="source:${r.name}"\\}`))) ?? -100) > -30 || undefined,
        `the anchor hears ${r.name}`,
        30_000,
        250,
      );
      expect(await metric(anchor.http, new RegExp(`classbox_srt_peers\\{link="source:${r.name}"\\}`))).toBe(1);
      // No latency in any config: the anchor's listener and each room's lesson call fitted to loopback.
      expect(await metric(anchor.http, new RegExp(`classbox_srt_latency_seconds\\{link="source:${r.name}"\\}`))).toBe(0.02);
      expect(await metric(r.http, /classbox_srt_latency_seconds\{link="source:lesson"\}/)).toBe(0.02);
    }
    // Both rooms on the anchor's lesson output; the anchor's speakers play the rooms' mix.
    expect(await metric(anchor.http, /classbox_srt_peers\{link="output:receivers"\}/)).toBe(2);
    // (Two rooms' tones of one pitch add or cancel by their phase: sound, at some level.)
    expect((await metric(anchor.http, /classbox_audio_level_dbfs\{path="speaker"\}/)) ?? -100).toBeGreaterThan(-50);
    // Once both rooms are in, nobody drops out (before their classes started, their uplinks were lost).
    const since = watch.messages.length;
    await sleep(3000);
    expect(events('anchor', 'source.lost', since)).toEqual([]);
  }, 90_000);

  it('a room that dies is a NO SIGNAL slate on the anchor, back within 3 s of its box being online again; the anchor records on', async () => {
    const size = () =>
      readdirSync(recordings, { recursive: true, withFileTypes: true })
        .filter((f) => f.isFile() && f.name.endsWith('.mkv'))
        .reduce((n, f) => n + statSync(join(f.parentPath, f.name)).size, 0);
    const room = rooms[0]!;
    const since = watch.messages.length;
    const killedAt = Date.now();
    await room.cli!.stop('SIGKILL');
    await waitUntil(
      () => events('anchor', 'source.lost', since).find((e) => e.source === room.name),
      'the anchor sees the room lost',
      10_000,
    );
    expect(Date.now() - killedAt).toBeLessThan(4000);
    const recordedBefore = size();
    // The room comes back as fast as its box starts, while the anchor may still hold its dead call.
    await start(room);
    // The room's box resumes its class by itself after the crash (resume-after-crash).
    const onlineAt = Date.now();
    const restarted = watch.messages.length;
    await waitUntil(
      () => events('anchor', 'source.restored', restarted).find((e) => e.source === room.name),
      'the room back on the anchor',
      15_000,
    );
    // The room resumes its class after the crash, then calls. The anchor's listener waits for a caller
    // without rebuilds (a watchdog that rebuilt it while nobody called cost 3 to 7.4 s), and is opened
    // anew a second after its caller went silent. Before that, a room that came back as fast as its box
    // starts was back 6.4-7.4 s after it was online (5.4 s in CI with a pause): the listener held the
    // dead call for libsrt's 5 s, the new call was lost with it, and stopping the listener held the
    // anchor's main thread as long (srtsrc waited on libsrt for good). Then 0.19-0.71 s (eleven runs),
    // until a room's box started faster (1.8-2.3 s): its call reached the listener as it was reopened a
    // second after the silence, and it was back 3.4-5.6 s after its box was online in about one run in
    // two. The listener is now reopened as soon as the silence is seen, and a caller whose listener
    // stops answering calls again within about a second: 0.21-0.36 s (eight runs).
    console.log(`room back on the anchor ${Date.now() - onlineAt} ms after its box was online again`);
    expect(Date.now() - onlineAt).toBeLessThan(3000);
    await waitUntil(
      async () =>
        ((await metric(anchor.http, new RegExp(`classbox_audio_level_dbfs\\{path="source:${room.name}"\\}`))) ?? -100) > -30 || undefined,
      'the room heard again',
      15_000,
      250,
    );
    // The other room never left, and the anchor's recording grew throughout, without a restart.
    expect(events('anchor', 'source.lost', since).filter((e) => e.source !== room.name)).toEqual([]);
    expect(size()).toBeGreaterThan(recordedBefore);
    expect(events('anchor', 'pipeline.restarted').filter((e) => e.pipeline === 'composite')).toEqual([]);
    // Its segments keep closing on time (10 s each) through the room's absence.
    await waitUntil(() => events('anchor', 'recording.segment').length > 0 || undefined, 'a segment of the anchor closed', 15_000);
  }, 90_000);
});
