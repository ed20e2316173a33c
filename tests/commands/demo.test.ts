import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, startCli } from '../helpers/cli.js';
import { waitUntil } from '../helpers/net.js';
import { watchMqtt } from '../helpers/mqtt-watch.js';

describe('classbox demo (npm start)', () => {
  it('needs no config, prints its broker URL, and shows the room online there', async () => {
    const demo = startCli(['demo']);
    let lines: string | undefined;
    try {
      const m = await demo.waitForOutput(/MQTT broker listening at (mqtt:\/\/127\.0\.0\.1:(\d+))/, 15_000);
      // The simulated serial lines' folder, removed when the demo stops.
      lines = dirname((await demo.waitForOutput(/daisy-chained on (\S+)/, 15_000))[1]!);
      expect(existsSync(lines)).toBe(true);
      const watch = await watchMqtt(m[1]!, 'classbox/#');
      await watch.waitFor('classbox/demo-school/room-101/availability', (p) => p === 'online', 10_000);
      // The simulated room hardware is there and answering.
      const state = await watch.waitFor(
        'classbox/demo-school/room-101/state',
        (p) => {
          const d = JSON.parse(p).devices;
          return (
            d.cameras['teacher-cam']?.online && d.cameras['students-cam']?.online && d.projectors.main?.online && d.projectors.side?.online
          );
        },
        15_000,
      );
      expect(JSON.parse(state.payload).devices.gpio.onair).toMatchObject({ direction: 'out' });
      // Its timetable has a live lesson from the next minute.
      await watch.client.publishAsync('classbox/demo-school/room-101/request/schedule/get', JSON.stringify({ id: 's1', days: 1 }), {
        qos: 1,
      });
      const schedule = JSON.parse((await watch.waitFor('classbox/demo-school/room-101/response/schedule/get', () => true, 10_000)).payload);
      const lesson = schedule.data.classes[0];
      expect(lesson).toMatchObject({ name: 'demo-lesson', mode: 'live' });
      expect(Date.parse(lesson.start) - Date.now()).toBeLessThanOrEqual(60_000);
      await watch.client.publishAsync(
        'classbox/demo-school/room-101/request/ptz/recall',
        JSON.stringify({ id: 'd1', camera: 'students-cam', preset: 'front' }),
        { qos: 1 },
      );
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
    expect(existsSync(lines)).toBe(false);
  });

  it("the README's commands, typed 60 s after `npm start`, do what they say", async () => {
    // The commands exactly as the README prints them for the demo.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const commands = readme.split('\n').filter((l) => l.startsWith('mosquitto_pub -p 1883 -t classbox/demo-school/room-101/request/'));
    expect(commands.length).toBeGreaterThanOrEqual(2);
    const started = Date.now();
    const npm = spawn('npm', ['start'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => npm.once('exit', (c) => r(c)));
    try {
      const port = (await waitUntil(() => /MQTT broker listening at mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(out), 'the broker URL', 60_000))[1]!;
      const watch = await watchMqtt(`mqtt://127.0.0.1:${port}`, 'classbox/demo-school/room-101/#');
      await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (Date.now() - started))));
      // An hour into nothing: the simulated cameras still answer (they once went offline after 30 s).
      const state = JSON.parse((await watch.waitFor('classbox/demo-school/room-101/state', () => true, 10_000)).payload);
      expect(Object.values(state.devices.cameras as Record<string, { online: boolean }>).map((c) => c.online)).toEqual([true, true]);
      const since = watch.messages.length;
      for (const command of commands) execFileSync('bash', ['-c', command.replace('-p 1883', `-p ${port}`)]);
      for (const command of commands) {
        const topic = /-t (\S+)/.exec(command)![1]!.replace('/request/', '/response/');
        const id = JSON.parse(/-m '(.*)'$/.exec(command)![1]!).id as string;
        const answer = await watch.waitFor(topic, (p) => JSON.parse(p).id === id, 15_000, since);
        expect(JSON.parse(answer.payload), command).toMatchObject({ id, status: 'ok' });
      }
      await watch.close();
    } finally {
      // Ctrl-C in the terminal: the whole group gets SIGINT; the demo stops cleanly.
      process.kill(-npm.pid!, 'SIGINT');
      await exited;
      await waitUntil(() => out.includes('classbox stopped'), 'the demo stopped cleanly', 10_000).catch(() =>
        expect(out.slice(-2000)).toContain('classbox stopped'),
      );
    }
    // What a person reads: lines, not JSON and stack traces.
    expect(out).not.toMatch(/^\{"level"/m);
    expect(out).not.toMatch(/^\s+at /m);
  }, 120_000);
});
