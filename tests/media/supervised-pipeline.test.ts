import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BusMessage, PipelineRunner, RunningPipeline } from '../../src/media/runner.js';
import { SupervisedPipeline } from '../../src/media/supervised-pipeline.js';
import { sleep, waitUntil } from '../helpers/net.js';

/** Stands in for GStreamer in the supervision logic only: a pipeline whose frame counter the test moves. */
function countingRunner() {
  const state = { frames: 0, built: 0, stopped: 0 };
  const runner: PipelineRunner = {
    create: () => {
      state.built++;
      const listeners: Array<(m: BusMessage) => void> = [];
      return {
        play() {},
        pause() {},
        stop: () => void state.stopped++,
        sendEos() {},
        seek: () => false,
        position: () => -1,
        duration: () => -1,
        get: () => `rendered=(guint64)${state.frames}`,
        set: () => true,
        setPad: () => true,
        pullLoop() {},
        push: () => false,
        forceKeyUnit() {},
        latencyMs: () => null,
        runningTime: () => -1,
        onMessage: (fn: (m: BusMessage) => void) => void listeners.push(fn),
      } as unknown as RunningPipeline;
    },
  };
  return { runner, state };
}

describe('SupervisedPipeline with progress (a pipeline that recovers by itself)', () => {
  it('reports a stall while it keeps running (helped once per stall), recovers without a rebuild, and rebuilds a stall that lasts', async () => {
    const { runner, state } = countingRunner();
    const seen: string[] = [];
    // What helps it recover (an SRT caller called anew), given the running pipeline, once per stall.
    const helped: RunningPipeline[] = [];
    const sp = new SupervisedPipeline({
      id: 'lesson',
      runner,
      log: pino({ level: 'silent' }),
      launch: () => 'fake',
      backoffMs: [10],
      checkMs: 20,
      isUp: () => state.frames > 0,
      progress: { count: () => state.frames, stallMs: 150, stallRestartMs: 400, onStall: (p) => helped.push(p) },
      onUp: () => seen.push('up'),
      onDown: (reason) => seen.push(`down: ${reason}`),
    });
    sp.start();
    const ticking = setInterval(() => state.frames++, 10);
    await waitUntil(() => seen.includes('up'), 'up', 1000);
    clearInterval(ticking);
    await waitUntil(() => seen.length === 2, 'stall reported', 1000);
    expect(seen[1]).toBe('down: stalled: no new frames');
    expect(state.built).toBe(1);
    expect(helped).toEqual([sp.pipeline]);
    const again = setInterval(() => state.frames++, 10);
    await waitUntil(() => seen.length === 3, 'delivering again', 1000);
    expect(seen[2]).toBe('up');
    expect(state.built).toBe(1);
    clearInterval(again);
    await waitUntil(() => state.built === 2, 'rebuilt after the long stall', 2000);
    // Helped once more when it stalled again, not at every check while it stayed stalled.
    expect(helped).toHaveLength(2);
    expect(seen.some((s) => /^down: stalled for \d+ s: rebuilt$/.test(s))).toBe(true);
    await sp.stop();
    await sleep(50);
    expect(state.stopped).toBe(2);
  });
});
