import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { EventBus } from '../../src/core/events.js';
import { MediaEngine } from '../../src/media/engine.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { LESSON_LATENCY_MS } from '../../src/media/lesson.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import type { CreateOptions, PipelineRunner } from '../../src/media/runner.js';
import { freePort, freeUdpPort, waitUntil } from '../helpers/net.js';

/** A receiving room's engine on the real runner, and the options its lesson pipeline was created with. */
async function lessonOptions(url: string): Promise<CreateOptions | undefined> {
  const config = loadConfig({
    base: {
      site: 'test-school',
      room: 'room-1',
      profile: 'software',
      role: 'receive',
      display: { sink: 'none' },
      audio: { device: 'none', speaker: 'none' },
      sources: { lesson: { kind: 'remote', url } },
    },
    env: {},
  });
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
    const lesson = await waitUntil(() => created.find((c) => c.launch.includes('name=lesson-frames')), 'the lesson pipeline', 10_000);
    return lesson.options;
  } finally {
    await engine.stop();
  }
}

describe("the receiving classroom's lesson pipeline", () => {
  it('an SRT lesson, paced, is created with its latency fixed, whatever its elements report when it starts', async () => {
    const options = await lessonOptions(`srt://127.0.0.1:${await freeUdpPort()}?mode=caller`);
    expect(options?.pace).toBeDefined();
    expect(options?.latencyMs).toBe(LESSON_LATENCY_MS);
    // The display sink's own deadline: what its frames need beyond their time, no more.
    expect(LESSON_LATENCY_MS).toBeGreaterThan(0);
    expect(LESSON_LATENCY_MS).toBeLessThanOrEqual(40);
  }, 30_000);

  it('a lesson without a pace (RTMP) keeps the latency its elements report: nothing keeps their needs beyond a fixed one', async () => {
    const options = await lessonOptions(`rtmp://127.0.0.1:${await freePort()}/live/lesson`);
    expect(options?.pace).toBeUndefined();
    expect(options?.latencyMs).toBeUndefined();
  }, 30_000);
});
