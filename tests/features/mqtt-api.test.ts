import { readdirSync } from 'node:fs';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freeUdpPort, waitUntil } from '../helpers/net.js';
import { minimalConfig, writeTempConfig } from '../helpers/temp-config.js';

const BASE = 'classbox/test-school/room-1';

describe('MQTT API of a running box (real mosquitto)', () => {
  let broker: Mosquitto;
  let box: RunningCli;
  let watch: MqttWatch;

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    const config = minimalConfig(broker.url, {
      mqtt: { url: broker.url, telemetryIntervalS: 1, replyPrefix: 'dashboard/replies/' },
      profile: 'software',
      video: { width: 320, height: 180, fps: 15, bitrateKbps: 300 },
      audio: { device: 'test' },
      sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball' } },
      outputs: [{ name: 'link', kind: 'srt', url: `srt://127.0.0.1:${await freeUdpPort()}?mode=listener` }],
    });
    box = startCli(['run', '--config', writeTempConfig(config)]);
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).pipeline.state === 'running', 20_000);
  });
  afterAll(async () => {
    await box.stop('SIGTERM');
    await watch.close();
    await broker.stop();
  });

  const request = async (command: string, body: unknown) => {
    const since = watch.messages.length;
    await watch.client.publishAsync(`${BASE}/request/${command}`, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
    const r = await watch.waitFor(`${BASE}/response/${command}`, () => true, 10_000, since);
    return JSON.parse(r.payload);
  };

  it('publishes the retained state snapshot of CONTRACT §4', async () => {
    const state = JSON.parse((await watch.waitFor(`${BASE}/state`)).payload);
    expect(state).toMatchObject({
      role: 'broadcast',
      class: null,
      layout: 'pip',
      outputs: [{ name: 'link', kind: 'srt' }],
      devices: { cameras: {}, projectors: {} },
    });
    expect(state.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(state.configHash).toMatch(/^[0-9a-f]{12}$/);
  });

  it('sends telemetry every telemetryIntervalS with the system and media figures', async () => {
    // Outputs run during classes: start one so that the link is up.
    expect((await request('class/start', { id: 'c1', mode: 'live', name: 'telemetry' })).status).toBe('ok');
    const since = watch.messages.length;
    const t = JSON.parse(
      (await watch.waitFor(`${BASE}/telemetry`, (p) => JSON.parse(p).outputs.link?.state === 'running', 10_000, since)).payload,
    );
    expect(t.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(t.cpuPercent).toBeLessThanOrEqual(100);
    expect(t.memoryMB).toBeGreaterThan(30);
    expect(t.diskFreeMB).toBeGreaterThan(0);
    expect(t.uptimeS).toBeGreaterThanOrEqual(0);
    expect(t).toHaveProperty('temperatureC');
    expect(t).toHaveProperty('throttled');
    expect(t.pipeline.fps).toBeGreaterThan(5);
    expect(t.pipeline.latencyMs).toBeGreaterThan(0);
    expect(t.outputs.link).toMatchObject({ state: 'running' });
    expect(t.outputs.link.bitrateKbps).toBeGreaterThan(10);
    expect(t.sources).toEqual({ board: { state: 'live' }, teacher: { state: 'live' }, audio: { state: 'live' } });
    // The test tone: a sine at 0.1 of full scale, -23 dBFS RMS.
    expect(t.audio.mic).toBeGreaterThan(-26);
    expect(t.audio.mic).toBeLessThan(-20);
    // The box's own figures, as /proc has them for its process.
    const fds = readdirSync(`/proc/${box.child.pid}/fd`).length;
    expect(Math.abs(t.process.fds - fds), JSON.stringify(t.process)).toBeLessThan(15);
    expect(t.process.fdLimit).toBeGreaterThan(t.process.fds);
    expect(t.process.threads).toBeGreaterThan(4);
    expect(t.process.rssAnonMB).toBeGreaterThan(10);
    expect(t.process.rssAnonMB).toBeLessThan(t.process.rssMB);
    expect(t.process.heapMB).toBeGreaterThan(5);
    expect(t.process.externalMB).toBeGreaterThan(0);
    expect(t.process.eventLoopLagMs).toBeGreaterThanOrEqual(0);
  });

  it('changes the layout on request and republishes the state', async () => {
    const since = watch.messages.length;
    expect(await request('layout/set', { id: 'L1', layout: 'grid' })).toEqual({ id: 'L1', status: 'ok', data: { layout: 'grid' } });
    const state = await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).layout === 'grid', 5000, since);
    expect(state.retain).toBe(false); // live delivery; a late subscriber gets it retained
    expect((await request('state/get', { id: 'S1' })).data.layout).toBe('grid');
  });

  it('answers every bad request exactly once, with the contract code', async () => {
    const start = watch.messages.length;
    const cases: Array<[string, unknown, string]> = [
      ['layout/set', '{"id": "b1", "layout": ', 'invalid_json'],
      ['layout/set', { id: 'b2', layout: 'mosaic' }, 'invalid_request'],
      ['layout/set', { id: 'b3', layout: 'single:ghost' }, 'not_found'],
      ['stream/start', { id: 'b4', output: 'nowhere' }, 'not_found'],
      ['teleport', { id: 'b5' }, 'unknown_command'],
      ['ptz/recall', { id: 'b6', camera: 'teacher-cam', preset: 1 }, 'not_found'],
    ];
    for (const [command, body, code] of cases) {
      const r = await request(command, body);
      expect(r.status, command).toBe('error');
      expect(r.error.code, command).toBe(code);
    }
    const bad = await request('layout/set', { id: 'b7' });
    expect(bad.error.message).toBe('layout: required');
    // Exactly one response per request (the unparseable one cannot echo its id: null).
    await new Promise((r) => setTimeout(r, 300));
    const responses = watch.messages.slice(start).filter((m) => m.topic.startsWith(`${BASE}/response/`));
    expect(responses.map((m) => JSON.parse(m.payload).id)).toEqual([null, 'b2', 'b3', 'b4', 'b5', 'b6', 'b7']);
  });

  it('answers an MQTT 5 request on its Response Topic with its Correlation Data', async () => {
    const client = await connectAsync(broker.url, { protocolVersion: 5 });
    const got = new Promise<{ topic: string; payload: string; correlation: string }>((resolve) => {
      client.on('message', (topic, payload, packet) =>
        resolve({ topic, payload: payload.toString(), correlation: Buffer.from(packet.properties?.correlationData ?? []).toString() }),
      );
    });
    await client.subscribeAsync('dashboard/replies/42', { qos: 1 });
    await client.publishAsync(`${BASE}/request/state/get`, JSON.stringify({ id: 'v5' }), {
      qos: 1,
      properties: { responseTopic: 'dashboard/replies/42', correlationData: Buffer.from('corr-7') },
    });
    const r = await got;
    expect(r.topic).toBe('dashboard/replies/42');
    expect(r.correlation).toBe('corr-7');
    expect(JSON.parse(r.payload)).toMatchObject({ id: 'v5', status: 'ok', data: { role: 'broadcast' } });
    await client.endAsync();
  });

  it("a Response Topic outside the box's own responses and the reply prefix is not published to", async () => {
    const client = await connectAsync(broker.url, { protocolVersion: 5 });
    const seen: string[] = [];
    client.on('message', (topic) => seen.push(topic));
    const forbidden = [
      'classbox/other-school/room-9/request/class/stop',
      `${BASE}/availability`,
      `${BASE}/state`,
      'dashboard/repliesX',
      'anywhere/else',
    ];
    await client.subscribeAsync([...forbidden, `${BASE}/response/#`], { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    seen.length = 0;
    for (const [i, t] of forbidden.entries()) {
      await client.publishAsync(`${BASE}/request/state/get`, JSON.stringify({ id: `rt${i}` }), {
        qos: 1,
        properties: { responseTopic: t, correlationData: Buffer.from(`c${i}`) },
      });
    }
    await waitUntil(
      () => seen.filter((t) => t === `${BASE}/response/state/get`).length >= forbidden.length,
      "answers on the box's own response topic",
      10_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.filter((t) => forbidden.includes(t) && t !== `${BASE}/state`)).toEqual([]);
    // The retained availability still says online (it was not overwritten by an answer).
    const late = await watchMqtt(broker.url, `${BASE}/availability`);
    expect((await late.waitFor(`${BASE}/availability`, () => true, 5000)).payload).toBe('online');
    await late.close();
    await client.endAsync();
  });

  it('republishes state and availability after the broker restarts', async () => {
    await broker.stop();
    await broker.start();
    const late = await watchMqtt(broker.url, [`${BASE}/state`, `${BASE}/availability`]);
    await late.waitFor(`${BASE}/availability`, (p) => p === 'online', 15_000);
    const state = await late.waitFor(`${BASE}/state`, () => true, 15_000);
    expect(JSON.parse(state.payload).layout).toBe('grid');
    await late.close();
  });
});
