import { describe, expect, it } from 'vitest';
import { startEngine } from '../helpers/media-engine.js';
import { freePort, freeUdpPort, sleep, waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';

const VIDEO = { width: 320, height: 180, fps: 15, bitrateKbps: 300, keyframeIntervalS: 1 };

/** What the box says of its outputs must be what a viewer would find: nothing claims to run that does not deliver. */
describe('output states say what is delivered', () => {
  it('an SRT caller to nowhere and an RTMP server that is down: never running, output.down with growing attempts, no output.up', async () => {
    const h = startEngine({
      video: VIDEO,
      sources: { board: { kind: 'test' } },
      outputs: [
        { name: 'centre', kind: 'srt', url: `srt://127.0.0.1:${await freeUdpPort()}?mode=caller` },
        { name: 'platform', kind: 'rtmp', url: `rtmp://127.0.0.1:${await freePort()}/live/key` },
      ],
    });
    await h.engine.start();
    const seen: Array<Record<string, string>> = [];
    try {
      for (let i = 0; i < 20; i++) {
        const o = h.engine.stats().outputs;
        seen.push({ centre: o.centre!.state, platform: o.platform!.state });
        await sleep(500);
      }
      await waitUntil(
        () => h.events.filter((e) => e.type === 'output.down' && (e.payload as { output: string }).output === 'platform').length >= 3,
        'three RTMP attempts',
        20_000,
      );
    } finally {
      await h.engine.stop();
    }
    expect(seen.filter((s) => s.centre === 'running' || s.platform === 'running')).toEqual([]);
    expect(h.events.filter((e) => e.type === 'output.up')).toEqual([]);
    for (const name of ['centre', 'platform']) {
      const attempts = h.events
        .filter((e) => e.type === 'output.down' && (e.payload as { output: string }).output === name)
        .map((e) => (e.payload as { attempt: number }).attempt);
      expect(attempts.length, name).toBeGreaterThanOrEqual(2);
      // Each retry counts (it stayed at 1 when a failing output was briefly called up).
      expect(attempts.slice(0, 2), name).toEqual([1, 2]);
    }
    expect(h.engine.pipelineState()).not.toBe('running');
  }, 60_000);

  it('the record output between recordings: stopped, no bitrate', async () => {
    const h = startEngine({
      video: VIDEO,
      sources: { board: { kind: 'test' } },
      outputs: [{ name: 'archive', kind: 'record', dir: tempDir(), segmentS: 600 }],
    });
    await h.engine.setRecording(false);
    await h.engine.start();
    try {
      await waitUntil(() => h.engine.pipelineState() === 'running', 'composite running', 15_000);
      await sleep(1500);
      expect(h.engine.stats().outputs.archive).toEqual({ kind: 'record', state: 'stopped', bitrateKbps: 0 });
      await h.engine.setRecording(true);
      await waitUntil(
        () => h.engine.stats().outputs.archive!.state === 'running' && h.engine.stats().outputs.archive!.bitrateKbps > 0,
        'recording with a bitrate',
        15_000,
      );
      // Stopping the recording ends the composite with end-of-stream, which comes through (a shut preview
      // valve once swallowed it, and each stop waited out its time-out).
      // Its open segment is still written until the end-of-stream has come through: the recorder, which
      // measures every file not being written, must not take it for closed meanwhile.
      const writing = h.engine.recordingPrefix;
      expect(writing).toBeDefined();
      const stopping = h.engine.setRecording(false);
      expect(h.engine.recordingPrefix).toBe(writing);
      await stopping;
      expect(h.engine.recordingPrefix).toBeUndefined();
      expect(h.warnings.filter((w) => /end-of-stream did not come through/.test(w.msg))).toEqual([]);
    } finally {
      await h.engine.stop();
    }
  }, 60_000);
});
