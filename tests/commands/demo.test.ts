import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { watchMqtt } from '../helpers/mqtt-watch.js';

describe('classbox demo (npm start)', () => {
  it('needs no config, prints its broker URL, and shows the room online there', async () => {
    const demo = startCli(['demo']);
    try {
      const m = await demo.waitForOutput(/MQTT broker listening at (mqtt:\/\/127\.0\.0\.1:(\d+))/, 15_000);
      const watch = await watchMqtt(m[1]!, 'classbox/#');
      await watch.waitFor('classbox/demo-school/room-101/availability', (p) => p === 'online', 10_000);
      // The simulated room hardware is there and answering.
      const state = await watch.waitFor(
        'classbox/demo-school/room-101/state',
        (p) => {
          const d = JSON.parse(p).devices;
          return d.cameras['teacher-cam']?.online && d.cameras['students-cam']?.online && d.projectors.main?.online && d.projectors.side?.online;
        },
        15_000,
      );
      expect(JSON.parse(state.payload).devices.gpio.onair).toMatchObject({ direction: 'out' });
      // Its timetable has a live lesson from the next minute.
      await watch.client.publishAsync('classbox/demo-school/room-101/request/schedule/get', JSON.stringify({ id: 's1', days: 1 }), { qos: 1 });
      const schedule = JSON.parse((await watch.waitFor('classbox/demo-school/room-101/response/schedule/get', () => true, 10_000)).payload);
      const lesson = schedule.data.classes[0];
      expect(lesson).toMatchObject({ name: 'demo-lesson', mode: 'live' });
      expect(Date.parse(lesson.start) - Date.now()).toBeLessThanOrEqual(60_000);
      await watch.client.publishAsync('classbox/demo-school/room-101/request/ptz/recall', JSON.stringify({ id: 'd1', camera: 'students-cam', preset: 'front' }), { qos: 1 });
      const r = await watch.waitFor('classbox/demo-school/room-101/response/ptz/recall', () => true, 10_000);
      expect(JSON.parse(r.payload)).toMatchObject({ id: 'd1', status: 'ok', data: { preset: 2 } });
      await watch.close();
      // Its projector can be found as an installer finds one.
      const found = (await demo.waitForOutput(/classbox discover --target 127\.0\.0\.1 --port (\d+)/))[1]!;
      const discovered = await runCli(['discover', '--target', '127.0.0.1', '--port', found, '--listen', '0.5', '--json']);
      expect(JSON.parse(discovered.stdout)).toEqual([{ address: '127.0.0.1', mac: '02:00:00:00:01:01', passwordRequired: true }]);
      // Retained: a dashboard subscribing later is told at once.
      const late = await watchMqtt(m[1]!, 'classbox/demo-school/room-101/availability');
      expect(await late.waitFor('classbox/demo-school/room-101/availability')).toMatchObject({ payload: 'online', retain: true });
      await late.close();
    } finally {
      expect(await demo.stop('SIGINT')).toBe(0);
    }
  });
});
