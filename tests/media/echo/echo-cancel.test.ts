import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/core/events.js';
import { EchoCancel } from '../../../src/media/echo/echo-cancel.js';
import { waitUntil } from '../../helpers/net.js';

describe("the echo canceller's process", () => {
  it('is started again when it dies, and given up on after three restarts in a minute: the microphone then goes straight out', async () => {
    const bus = new EventBus();
    const failed: Array<{ reason: string }> = [];
    bus.on({}, 'audio.echo_cancel_failed', (e) => failed.push(e));
    let rebuilt = 0;
    const echo = new EchoCancel(pino({ level: 'silent' }), bus, () => rebuilt++);
    await echo.start();
    try {
      const ports = echo.graphPorts;
      expect(ports).toBeDefined();
      expect(echo.stats().active).toBe(true);
      for (let kill = 1; kill <= 3; kill++) {
        const pid = echo.pid!;
        process.kill(pid, 'SIGKILL');
        await waitUntil(() => echo.pid !== undefined && echo.pid !== pid, `restart ${kill}`, 10_000);
        // The same ports: the pipelines built with them need not change.
        expect(echo.graphPorts).toEqual(ports);
        expect(rebuilt).toBe(0);
      }
      process.kill(echo.pid!, 'SIGKILL');
      await waitUntil(() => failed.length > 0, 'given up', 10_000);
      expect(failed[0]!.reason).toMatch(/killed by SIGKILL, 4 times in a minute/);
      expect(rebuilt).toBe(1);
      expect(echo.graphPorts).toBeUndefined();
      expect(echo.stats().active).toBe(false);
    } finally {
      echo.stop();
    }
  }, 60_000);

  it('stops with the service', async () => {
    const echo = new EchoCancel(pino({ level: 'silent' }), new EventBus(), () => undefined);
    await echo.start();
    const pid = echo.pid!;
    echo.stop();
    await waitUntil(
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      'the process gone',
      5000,
    );
  });
});
