import { describe, expect, it } from 'vitest';
import { startEngine } from '../helpers/media-engine.js';
import { sleep, waitUntil } from '../helpers/net.js';

describe('composite start-up', () => {
  // About one start in four used to fail with not-negotiated (a textoverlay refusing intervideosrc caps
  // that lacked interlace-mode), restarting the composite and opening a second recording file.
  it('starts cleanly, again and again: no restart in 12 starts', async () => {
    const restarts: unknown[] = [];
    for (let i = 0; i < 12; i++) {
      const h = startEngine({
        video: { width: 640, height: 360, fps: 30, bitrateKbps: 800 },
        sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball' }, students: { kind: 'test', pattern: 'snow' } },
        outputs: [],
      });
      await h.engine.start();
      await waitUntil(
        () => h.engine.pipelineState() === 'running' || h.events.some((e) => e.type === 'pipeline.restarted'),
        'composite up or restarted',
        10_000,
      );
      await sleep(300);
      await h.engine.stop();
      restarts.push(...h.events.filter((e) => e.type === 'pipeline.restarted').map((e) => ({ start: i, ...(e.payload as object) })));
    }
    expect(restarts).toEqual([]);
  });
});
