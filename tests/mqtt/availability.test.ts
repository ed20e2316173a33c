import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { watchMqtt } from '../helpers/mqtt-watch.js';
import { minimalConfig, writeTempConfig } from '../helpers/temp-config.js';

const AVAIL = 'classbox/test-school/room-1/availability';

describe('availability against a real mosquitto', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => broker.stop());

  it('publishes online (retained) on connect and offline on SIGTERM, stopping within 5 s', async () => {
    const watch = await watchMqtt(broker.url, 'classbox/#');
    const box = startCli(['run', '--config', writeTempConfig(minimalConfig(broker.url))]);
    try {
      await watch.waitFor(AVAIL, (p) => p === 'online', 10_000);
      const since = watch.messages.length;
      const t0 = Date.now();
      expect(await box.stop('SIGTERM')).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5000);
      await watch.waitFor(AVAIL, (p) => p === 'offline', 3000, since);
    } finally {
      await box.stop('SIGKILL');
      await watch.close();
    }
    // Retained: a dashboard that connects later still learns the box is offline.
    const late = await watchMqtt(broker.url, AVAIL);
    const msg = await late.waitFor(AVAIL);
    expect(msg).toMatchObject({ payload: 'offline', retain: true });
    await late.close();
  });

  it('leaves offline as its Last Will when killed with SIGKILL', async () => {
    const watch = await watchMqtt(broker.url, AVAIL);
    // A short keepalive so the broker notices the dead connection quickly.
    const box = startCli(['run', '--config', writeTempConfig(minimalConfig(broker.url, { mqtt: { url: broker.url, keepaliveS: 5 } }))]);
    await watch.waitFor(AVAIL, (p) => p === 'online', 10_000);
    const since = watch.messages.length;
    await box.stop('SIGKILL');
    const will = await watch.waitFor(AVAIL, (p) => p === 'offline', 10_000, since);
    expect(will.payload).toBe('offline');
    await watch.close();
  });

  it('republishes online after the broker restarts (no stale availability)', async () => {
    const box = startCli(['run', '--config', writeTempConfig(minimalConfig(broker.url))]);
    try {
      const first = await watchMqtt(broker.url, AVAIL);
      await first.waitFor(AVAIL, (p) => p === 'online', 10_000);
      await first.close();
      await broker.stop();
      await broker.start();
      // The restarted broker has no retained messages (persistence off): only a republish brings it back.
      const again = await watchMqtt(broker.url, AVAIL);
      await again.waitFor(AVAIL, (p) => p === 'online', 15_000);
      await again.close();
    } finally {
      await box.stop('SIGTERM');
    }
  });
});
