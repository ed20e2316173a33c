import { createSocket } from 'node:dgram';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/core/events.js';
import { EchoCancel } from '../../../src/media/echo/echo-cancel.js';
import { sleep } from '../../helpers/net.js';

const CHUNK = 160;

describe("the echo canceller's process, by its sockets", () => {
  it('gives the microphone back within 40 ms of its coming, with silence playing', async () => {
    const echo = new EchoCancel(pino({ level: 'silent' }), new EventBus(), () => undefined);
    await echo.start();
    const ports = echo.graphPorts!;
    const back = createSocket('udp4');
    const send = createSocket('udp4');
    const clicks: number[] = [];
    let heard = 0;
    back.on('message', (b) => {
      for (let i = 0; i + 1 < b.length; i += 2) if (b.readInt16LE(i) > 8000) clicks.push(performance.now());
      heard += b.length / 2;
    });
    await new Promise<void>((r) => back.bind(ports.clean, '127.0.0.1', r));
    const sentAt: number[] = [];
    try {
      const t0 = performance.now();
      for (let c = 0; c < 300; c++) {
        // As a pipeline sends them: 10 ms pieces on time, the far end (silence) and the microphone.
        const due = t0 + c * 10;
        await sleep(Math.max(0, due - performance.now()));
        send.send(Buffer.alloc(CHUNK * 2), ports.far, '127.0.0.1');
        const mic = Buffer.alloc(CHUNK * 2);
        // A click every half second.
        if (c % 50 === 25) {
          mic.writeInt16LE(16000, 0);
          sentAt.push(performance.now());
        }
        send.send(mic, ports.mic, '127.0.0.1');
      }
      await sleep(300);
      expect(heard).toBeGreaterThan(290 * CHUNK);
      // The clicks come back (the suppressor spreads one over a few samples: count each once).
      const delays = sentAt.map((t) => (clicks.find((c) => c >= t) ?? Infinity) - t);
      expect(delays.length).toBe(6);
      for (const d of delays) expect(d).toBeLessThan(40);
    } finally {
      back.close();
      send.close();
      echo.stop();
    }
  }, 30_000);
});
