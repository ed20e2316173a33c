import { execFileSync } from 'node:child_process';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { EventBus } from '../../src/core/events.js';
import { EventPublisher } from '../../src/features/event-publisher.js';
import { MqttLink } from '../../src/mqtt/client.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { watchMqtt } from '../helpers/mqtt-watch.js';
import { sleep, waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';

const TOPIC = 'classbox/ev-school/room-1/event';

function box(url: string, dataDir: string, outboxMaxMB = 50) {
  const config = loadConfig({ base: { site: 'ev-school', room: 'room-1', dataDir, mqtt: { url, outboxMaxMB } }, env: {} });
  const log = pino({ level: 'silent' });
  const bus = new EventBus();
  const mqtt = new MqttLink({ config, log, bus, version: 't' });
  const events = new EventPublisher({ config, log, bus, mqtt });
  return {
    bus,
    events,
    start: async () => {
      await mqtt.start();
      await events.start();
    },
    stop: async () => {
      await events.stop();
      await mqtt.stop();
    },
  };
}

const seqs = (payloads: string[]) => payloads.map((p) => JSON.parse(p).seq as number);

describe('events through the disk outbox (real mosquitto)', () => {
  let broker: Mosquitto;
  // A persistent broker and watches with sessions of their own, made before the broker stops: a box
  // that reconnected first published its stored events before a watch started after the restart had
  // subscribed (its reconnect, every 2 s, now and then came first: "timed out waiting for every event").
  beforeAll(async () => {
    broker = await startMosquitto({ persistent: true });
  });
  let sessions = 0;
  const sessionWatch = () => watchMqtt(broker.url, TOPIC, { session: `events-watch-${++sessions}` });
  afterAll(async () => broker.stop());

  it('delivers every event produced while the broker was down for 30 s, in order, seq contiguous', async () => {
    const b = box(broker.url, tempDir());
    await b.start();
    const watch = await watchMqtt(broker.url, TOPIC);
    b.bus.emit('layout.changed', { layout: 'grid', previous: 'pip' });
    await watch.waitFor(TOPIC);
    await watch.close();
    const after = await sessionWatch();
    await broker.stop();
    for (let i = 0; i < 30; i++) {
      b.bus.emit('source.lost', { source: `cam-${i}`, reason: 'unplugged' });
      await sleep(1000);
    }
    expect(b.events.pending).toBe(30);
    await broker.start();
    await waitUntil(() => after.messages.length >= 30, 'the 30 stored events', 20_000);
    const got = after.messages.map((m) => m.payload);
    expect(seqs(got)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    expect(JSON.parse(got[0]!)).toMatchObject({ type: 'source.lost', source: 'cam-0', reason: 'unplugged', seq: 2 });
    expect(JSON.parse(got[29]!).ts).toMatch(/^\d{4}-\d\d-\d\dT/);
    await waitUntil(() => b.events.pending === 0, 'outbox empty', 5000);
    await after.close();
    await b.stop();
  }, 90_000);

  it('delivers events stored before a restart of classbox itself, and carries on the seq', async () => {
    const dataDir = tempDir();
    await broker.stop();
    const first = box(broker.url, dataDir);
    await first.start();
    for (let i = 0; i < 5; i++) first.bus.emit('output.down', { output: 'cloud', reason: 'server down', attempt: i + 1 });
    await first.stop();
    await broker.start();
    const watch = await watchMqtt(broker.url, TOPIC);
    const second = box(broker.url, dataDir);
    await second.start();
    second.bus.emit('output.up', { output: 'cloud' });
    await waitUntil(() => watch.messages.length >= 6, 'six events', 15_000);
    expect(seqs(watch.messages.map((m) => m.payload))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(JSON.parse(watch.messages[5]!.payload)).toMatchObject({ type: 'output.up', seq: 6 });
    await second.stop();
    await watch.close();
  });

  it('bounds the outbox: drops the oldest events and says how many', async () => {
    const watch = await sessionWatch();
    await broker.stop();
    const b = box(broker.url, tempDir(), 1);
    await b.start();
    // About 1.3 MB of events for a 1 MB outbox.
    const reason = 'x'.repeat(1000);
    for (let i = 0; i < 1300; i++) b.bus.emit('source.lost', { source: `s${i}`, reason });
    await broker.start();
    await waitUntil(() => watch.messages.some((m) => JSON.parse(m.payload).type === 'events.dropped'), 'events.dropped', 20_000);
    await waitUntil(() => b.events.pending === 0, 'outbox drained', 20_000);
    const all = watch.messages.map((m) => JSON.parse(m.payload) as { type: string; seq: number; count?: number });
    const dropped = all.filter((e) => e.type === 'events.dropped').reduce((n, e) => n + e.count!, 0);
    const kept = all.filter((e) => e.type === 'source.lost').length;
    expect(dropped).toBeGreaterThan(200);
    expect(kept + dropped).toBe(1300);
    // What is kept is the newest, still in order.
    const keptSeqs = all.filter((e) => e.type === 'source.lost').map((e) => e.seq);
    expect(keptSeqs).toEqual([...keptSeqs].sort((a, b) => a - b));
    await watch.close();
    await b.stop();
  }, 60_000);

  it('a full data disk loses no event: they go out from memory, seq contiguous, and storage.failed says why', async () => {
    const watch = await sessionWatch();
    await broker.stop();
    const small = tempDir('classbox-full-disk-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small]);
    try {
      const b = box(broker.url, small);
      await b.start();
      const reason = 'x'.repeat(1000);
      // About 200 KB of events on a 64 KB disk.
      for (let i = 0; i < 200; i++) b.bus.emit('source.lost', { source: `s${i}`, reason });
      await broker.start();
      await waitUntil(() => b.events.pending === 0, 'outbox drained', 20_000);
      await waitUntil(
        () => watch.messages.filter((m) => JSON.parse(m.payload).type === 'source.lost').length >= 200,
        'every event',
        10_000,
      );
      const all = watch.messages.map((m) => JSON.parse(m.payload) as { type: string; seq: number; dir?: string; reason?: string });
      const lost = all.filter((e) => e.type === 'source.lost');
      expect(lost).toHaveLength(200);
      const seqs = all.map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
      const failed = all.filter((e) => e.type === 'storage.failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ dir: small });
      expect(failed[0]!.reason).toMatch(/^ENOSPC/);
      await watch.close();
      await b.stop();
    } finally {
      execFileSync('umount', ['-l', small]);
    }
  }, 60_000);
});
