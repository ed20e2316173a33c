import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { watchMqtt } from '../helpers/mqtt-watch.js';

describe('classbox demo (npm start)', () => {
  it('needs no config, prints its broker URL, and shows the room online there', async () => {
    const demo = startCli(['demo']);
    try {
      const m = await demo.waitForOutput(/MQTT broker listening at (mqtt:\/\/127\.0\.0\.1:(\d+))/, 15_000);
      const watch = await watchMqtt(m[1]!, 'classbox/#');
      await watch.waitFor('classbox/demo-school/room-101/availability', (p) => p === 'online', 10_000);
      await watch.close();
      // Retained: a dashboard subscribing later is told at once.
      const late = await watchMqtt(m[1]!, 'classbox/demo-school/room-101/availability');
      expect(await late.waitFor('classbox/demo-school/room-101/availability')).toMatchObject({ payload: 'online', retain: true });
      await late.close();
    } finally {
      expect(await demo.stop('SIGINT')).toBe(0);
    }
  });
});
