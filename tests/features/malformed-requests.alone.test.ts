import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { watchMqtt } from '../helpers/mqtt-watch.js';
import { connectAsync, type MqttClient } from 'mqtt';
import { waitUntil } from '../helpers/net.js';
import { minimalConfig } from '../helpers/temp-config.js';

const BASE = 'classbox/test-school/room-1';

/**
 * The box's memory once garbage is collected (vitest.alone.config.ts runs this file with --expose-gc):
 * V8 collects lazily, so RSS read without a collection moves by tens of MB with the collector's timing
 * alone (measured: +20 MB a burst for four bursts, then back down), which says nothing about a leak.
 */
function settledMemoryMB(): { heap: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (vitest.alone.config.ts)');
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / 1024 / 1024, rss: m.rss / 1024 / 1024 };
}

/** One bad request of each kind, by index: the mix a fuzzing dashboard or a broken client produces. */
function badRequest(i: number): { command: string; payload: Buffer } {
  switch (i % 6) {
    case 0:
      return { command: 'layout/set', payload: randomBytes(1 + (i % 200)) };
    case 1:
      return { command: 'layout/set', payload: Buffer.from(JSON.stringify({ id: `r${i}`, layout: i })) };
    case 2:
      return { command: 'stream/start', payload: Buffer.from(JSON.stringify({ id: `r${i}`, output: 1e308 * 10, extra: -0 })) };
    case 3:
      return { command: 'state/get', payload: Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`) };
    case 4:
      return { command: `no/such/${i}`, payload: Buffer.from(JSON.stringify({ id: `r${i}` })) };
    default:
      return { command: 'layout/set', payload: Buffer.from(JSON.stringify({ id: { nested: [i] }, layout: null })) };
  }
}

describe('10,000 malformed requests (after a first burst of 10,000)', () => {
  let broker: Mosquitto;
  let box: Service;
  let client: MqttClient;
  /** Responses counted, not kept: this process's own memory is what is measured. */
  const tally = { responses: 0, errors: 0, codes: new Set<string>() };

  beforeAll(async () => {
    // mosquitto queues at most 1000 QoS 1 messages per client by default and drops the rest: a flood of
    // 10,000 would be cut by the broker, not by the box. The box is what is under test here.
    broker = await startMosquitto({ extraConfig: 'allow_anonymous true\nmax_queued_messages 20000' });
    // A bare client: a watcher would keep every response, and this process's memory is what is measured.
    client = await connectAsync(broker.url, { clientId: 'flood' });
    client.on('message', (_topic, payload) => {
      const body = JSON.parse(payload.toString()) as { status: string; error?: { code: string } };
      tally.responses++;
      if (body.status === 'error') tally.errors++;
      if (body.error) tally.codes.add(body.error.code);
    });
    await client.subscribeAsync(`${BASE}/response/#`, { qos: 1 });
    // The service in this process, so that its memory can be read after a collection.
    box = createService(loadConfig({ base: minimalConfig(broker.url), env: {} }), pino({ level: 'silent' }));
    await box.start();
    const avail = await watchMqtt(broker.url, `${BASE}/availability`);
    await avail.waitFor(`${BASE}/availability`, (p) => p === 'online', 15_000);
    await avail.close();
  });
  afterAll(async () => {
    await box.stop();
    await client.endAsync(true);
    await broker.stop();
  });

  const send = async (from: number, count: number) => {
    for (let batch = from; batch < from + count; batch += 500) {
      const publishes = [];
      for (let i = batch; i < Math.min(batch + 500, from + count); i++) {
        const r = badRequest(i);
        publishes.push(client.publishAsync(`${BASE}/request/${r.command}`, r.payload, { qos: 1 }));
      }
      await Promise.all(publishes);
    }
  };

  it('answers each with exactly one error response, stays up, and does not leak per request', async () => {
    // A first burst of the same size grows the heap to its working size for such a flood; a leak shows
    // as growth that goes on burst after burst.
    await send(0, 10_000);
    await waitUntil(() => tally.responses >= 10_000, 'first burst answered', 120_000);
    await new Promise((r) => setTimeout(r, 500));
    const before = settledMemoryMB();
    await send(10_000, 10_000);
    await waitUntil(() => tally.responses >= 20_000, '10,000 responses', 120_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(tally.responses).toBe(20_000);
    expect(tally.errors).toBe(20_000);
    expect([...tally.codes].sort()).toEqual(['invalid_json', 'invalid_request', 'unknown_command']);
    expect(box.mqtt.connected).toBe(true);
    const after = settledMemoryMB();
    process.stdout.write(
      `over the second burst of 10,000: heap ${(after.heap - before.heap).toFixed(1)} MB, RSS ${(after.rss - before.rss).toFixed(1)} MB (after collection)\n`,
    );
    expect(after.heap - before.heap).toBeLessThan(10);
    expect(after.rss - before.rss).toBeLessThan(10);
  }, 180_000);
});
