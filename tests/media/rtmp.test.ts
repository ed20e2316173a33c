import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { probe } from '../helpers/media.js';
import { startEngine } from '../helpers/media-engine.js';
import { freePort, waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';
import { requireTool } from '../helpers/tools.js';

describe('RTMP output', () => {
  it('reaches a live platform that comes up after the class started, with picture and sound', async () => {
    requireTool('ffmpeg');
    const port = await freePort();
    const out = join(tempDir(), 'received.flv');
    const h = startEngine({
      audio: { device: 'test' },
      video: { width: 640, height: 360, fps: 30, bitrateKbps: 800, keyframeIntervalS: 1 },
      sources: { board: { kind: 'test' } },
      outputs: [{ name: 'cloud', kind: 'rtmp', url: `rtmp://127.0.0.1:${port}/live/classkey` }],
    });
    await h.engine.start();
    try {
      await waitUntil(() => h.events.some((e) => e.type === 'output.down'), 'first failed attempt', 10_000);
      // The platform comes up: ffmpeg as an RTMP server, keeping 3 s of what it receives.
      const server = spawn(
        'ffmpeg',
        ['-v', 'error', '-y', '-listen', '1', '-i', `rtmp://127.0.0.1:${port}/live/classkey`, '-t', '3', '-c', 'copy', out],
        { stdio: 'ignore' },
      );
      const done = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
      await waitUntil(() => h.events.some((e) => e.type === 'output.up'), 'output.up after reconnect', 20_000);
      expect(await done).toBe(0);
    } finally {
      await h.engine.stop();
    }
    const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', out]);
    expect(stdout.trim().split('\n').sort()).toEqual(['aac', 'h264']);
    expect((await probe(out)).durationS).toBeGreaterThan(2);
  });
});
