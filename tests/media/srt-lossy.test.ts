import { describe, expect, it } from 'vitest';
import { startEngine } from '../helpers/media-engine.js';
import { freeUdpPort, sleep, waitUntil } from '../helpers/net.js';
import { udpRelay } from '../helpers/udp-relay.js';

const VIDEO = { width: 320, height: 180, fps: 25, bitrateKbps: 400, keyframeIntervalS: 1 };

/**
 * The lesson over a real network's faults: 3 % of datagrams lost and 40 ms added each way (80 ms round
 * trip), with SRT's latency set for it (400 ms: room for retransmissions). The receiving classroom
 * still sees the whole lesson, and both boxes report what the network cost.
 */
describe('the lesson over a lossy network', () => {
  it('decodes at least 99 % of the frames, and SRT statistics show the loss, the retransmissions and the round trip', async () => {
    const port = await freeUdpPort();
    const relay = await udpRelay(port, { loss: 0.03, delayMs: 40 });
    const anchor = startEngine({
      video: VIDEO,
      audio: { device: 'test' },
      sources: { board: { kind: 'test' } },
      outputs: [{ name: 'link', kind: 'srt', url: `srt://127.0.0.1:${port}?mode=listener&latency=400` }],
    });
    const receiver = startEngine({
      role: 'receive',
      display: { sink: 'none' },
      audio: { speaker: 'none' },
      video: VIDEO,
      sources: { lesson: { kind: 'remote', url: `srt://127.0.0.1:${relay.port}?mode=caller`, latencyMs: 400 } },
    });
    await anchor.engine.start();
    await receiver.engine.start();
    try {
      await waitUntil(() => receiver.engine.inputFrames('lesson') > 50, 'the lesson decoded through the relay', 30_000);
      // Ten seconds of lesson at 25 fps: what the receiving classroom's display was given.
      const from = receiver.engine.inputFrames('lesson');
      await sleep(10_000);
      const shown = receiver.engine.inputFrames('lesson') - from;
      expect(shown).toBeGreaterThanOrEqual(0.99 * 250);
      expect(relay.counts.dropped).toBeGreaterThan(20);

      const out = anchor.engine.stats().outputs.link!.srt!;
      const src = receiver.engine.stats().sources.lesson!.srt!;
      expect(out.peers).toBe(1);
      expect(out.packetsRetransmitted).toBeGreaterThan(0);
      expect(src.packetsLost).toBeGreaterThan(0);
      expect(src.rttMs).toBeGreaterThanOrEqual(75);
      expect(out.rttMs).toBeGreaterThanOrEqual(75);
      expect(src.latencyMs).toBe(400);
      expect(receiver.events.filter((e) => e.type === 'source.lost')).toEqual([]);
    } finally {
      await Promise.all([receiver.engine.stop(), anchor.engine.stop()]);
      await relay.close();
    }
  }, 90_000);
});
