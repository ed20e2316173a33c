import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { EventBus } from '../../src/core/events.js';
import { MediaEngine } from '../../src/media/engine.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { LESSON_LATENCY_MS } from '../../src/media/lesson.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import type { CreateOptions, PipelineRunner } from '../../src/media/runner.js';
import { freeUdpPort, waitUntil } from '../helpers/net.js';

describe("the receiving classroom's lesson pipeline", () => {
  it('is created with its latency fixed, whatever its elements report when it starts', async () => {
    const config = loadConfig({
      base: {
        site: 'test-school',
        room: 'room-1',
        profile: 'software',
        role: 'receive',
        display: { sink: 'none' },
        audio: { device: 'none', speaker: 'none' },
        sources: { lesson: { kind: 'remote', url: `srt://127.0.0.1:${await freeUdpPort()}?mode=caller` } },
      },
      env: {},
    });
    // The real runner, each pipeline's options kept.
    const created: Array<{ launch: string; options: CreateOptions | undefined }> = [];
    const real = new GstRunner();
    const isolatedRunner: PipelineRunner = {
      create: (launch, options) => {
        created.push({ launch, options });
        return real.create(launch, options);
      },
    };
    const engine = new MediaEngine({
      config,
      log: pino({ level: 'silent' }),
      bus: new EventBus(),
      runner: real,
      isolatedRunner,
      profile: loadBoardProfile('software'),
    });
    await engine.start();
    try {
      const lesson = await waitUntil(() => created.find((c) => c.launch.includes('name=lesson-src')), 'the lesson pipeline', 10_000);
      expect(lesson.options?.latencyMs).toBe(LESSON_LATENCY_MS);
      // The display sink's own deadline: what its frames need beyond their time, no more.
      expect(LESSON_LATENCY_MS).toBeGreaterThan(0);
      expect(LESSON_LATENCY_MS).toBeLessThanOrEqual(40);
      // Its pace reads its frames as they arrive and keeps what each kind needs beyond that latency.
      expect(lesson.options?.pace).toBeDefined();
    } finally {
      await engine.stop();
    }
  }, 30_000);
});
