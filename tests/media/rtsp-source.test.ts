import { describe, expect, it } from 'vitest';
import { startEngine } from '../helpers/media-engine.js';
import { freePort, sleep, waitUntil } from '../helpers/net.js';
import { rtspServer } from '../helpers/rtsp-server.js';

describe('RTSP camera source', () => {
  it('shows the slate within 2 s when the camera goes away and comes back within 5 s of its return', async () => {
    const camera = rtspServer(await freePort());
    await camera.start();
    const h = startEngine({
      video: { width: 640, height: 360, fps: 30, bitrateKbps: 800 },
      sources: { board: { kind: 'test' }, students: { kind: 'rtsp', url: camera.url, latencyMs: 100 } },
      layout: 'side-by-side',
      outputs: [],
    });
    await h.engine.start();
    try {
      await waitUntil(() => h.engine.inputFrames('students') > 10, 'frames from the RTSP camera', 15_000);
      const stoppedAt = Date.now();
      await camera.stop();
      const lost = await waitUntil(() => h.events.find((e) => e.type === 'source.lost'), 'source.lost', 5000);
      expect(lost.payload).toMatchObject({ source: 'students' });
      // The watchdog fires after 1.5 s without a buffer.
      expect(lost.at - stoppedAt).toBeLessThan(2000);
      expect(h.engine.slateVisible('students')).toBe(true);
      await sleep(1000);
      expect(h.engine.stats().fps).toBeGreaterThan(20);
      const backAt = Date.now();
      await camera.start();
      const restored = await waitUntil(() => h.events.find((e) => e.type === 'source.restored'), 'source.restored', 8000);
      expect(restored.at - backAt).toBeLessThan(5000);
      expect(h.engine.slateVisible('students')).toBe(false);
    } finally {
      await h.engine.stop();
      await camera.stop();
    }
  });
});
