import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { EventBus } from '../../src/core/events.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { Inputs } from '../../src/media/inputs.js';
import { renderedFrames } from '../../src/media/runner.js';
import { SOUND_LINK_SETTLE_MS } from '../../src/media/sound-link.js';
import { sleep, waitUntil } from '../helpers/net.js';

describe("a classroom's sound link", () => {
  it('takes the sound only once the classroom has delivered for a while, not the burst a call starts with', async () => {
    const config = loadConfig({
      base: { site: 'test-school', room: 'room-1', profile: 'software', sources: { 'class-a': { kind: 'test' } } },
      env: {},
    });
    const inputs = new Inputs({
      config,
      log: pino({ level: 'silent' }),
      bus: new EventBus(),
      runner: new GstRunner(),
      compositeSlate: () => {},
      preview: () => undefined,
      onMessage: () => {},
      changed: () => {},
    });
    // A classroom's pipeline as far as it matters here: its pictures (what says it delivers) and its
    // sound into the link's valve, shut as the service renders it.
    const tokens = [
      'videotestsrc is-live=true ! video/x-raw,width=64,height=36,framerate=30/1 ! fakesink name=out sync=false',
      'audiotestsrc is-live=true ! valve name=class-a-link-valve drop=true drop-mode=forward-sticky-events ! fakesink name=link sync=false async=false',
    ]
      .join(' ')
      .split(' ');
    inputs.add({ id: 'source:class-a', kind: 'source', tokens }, 'class-a', 'out', { soundLinkValve: 'class-a-link-valve' });
    const linked = () => renderedFrames(inputs.pipeline('class-a')?.get('link', 'stats'));
    inputs.startAll();
    try {
      await waitUntil(() => inputs.frames('class-a') > 0 || undefined, 'the classroom delivering', 10_000, 20);
      const upAt = performance.now();
      await sleep(SOUND_LINK_SETTLE_MS * 0.6);
      expect(linked()).toBe(0);
      await waitUntil(() => linked() > 0 || undefined, 'its sound on the link', SOUND_LINK_SETTLE_MS + 3000, 20);
      expect(performance.now() - upAt).toBeGreaterThanOrEqual(SOUND_LINK_SETTLE_MS - 300);
    } finally {
      await inputs.stopAll();
    }
  }, 30_000);
});
