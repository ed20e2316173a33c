import { describe, expect, it } from 'vitest';
import { runSoak } from '../../bench/soak.js';

/**
 * The guard that keeps a leak from landing: five minutes of the long run's traffic (`npm run bench --
 * soak` runs it for hours), then the class ends and the box must hold what it held before the class.
 * Two descriptors leaked per closed segment, or a pipeline kept per restart, fail here.
 */
describe('a five-minute soak of classbox run', () => {
  it('gives back descriptors, threads and heap when the class ends, and restarts nothing it was not made to', async () => {
    const r = await runSoak({ durationS: 300, warmupS: 60, sampleS: 20, brokerRestartS: 120, sourceLossS: 150, segmentS: 30 });
    const detail = JSON.stringify({ baseline: r.baseline, after: r.after, descriptors: r.descriptors, settled: r.settled, log: r.logFile });
    // What was still closing when the class had ended, and how long it took: in the log, pass or fail.
    if (r.settled.waitedS > 0) console.log(`descriptors settled after ${r.settled.waitedS} s more: ${detail}`);
    expect(r.provoked.brokerRestarts, detail).toBeGreaterThanOrEqual(2);
    expect(r.provoked.sourceLosses, detail).toBeGreaterThanOrEqual(1);
    // Segments of 30 s in a class of 5 min.
    expect(r.segments, detail).toBeGreaterThanOrEqual(8);
    expect(r.settled.fds, detail).toBeLessThanOrEqual(r.baseline.fds);
    // GStreamer's task pool may keep a spare thread for a while; leaked pipelines kept theirs for good.
    expect(r.after.threads, detail).toBeLessThanOrEqual(r.baseline.threads + 2);
    expect(r.after.heapMB - r.baseline.heapMB, detail).toBeLessThan(5);
    expect(r.unprovokedRestarts, detail).toEqual([]);
    expect(r.requests.failures, detail).toEqual([]);
    expect(r.requests.sent, detail).toBeGreaterThan(60);
  }, 600_000);
});
