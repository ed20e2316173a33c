import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { PipelineRunner } from '../media/runner.js';

/** SHA-256 of a file, streamed (segments are hundreds of MB). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * Duration of a Matroska segment as GStreamer reads it (demuxed to a fakesink and paused: no decode),
 * so the box needs no ffprobe. A segment cut short by a crash has no Duration element: the demuxer
 * then scans to its last cluster.
 */
export async function segmentDurationS(runner: PipelineRunner, path: string, timeoutMs = 5000): Promise<number> {
  const p = runner.create(`filesrc location="${path.replace(/"/g, '')}" ! matroskademux ! fakesink`);
  try {
    p.pause();
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const d = p.duration();
      if (d > 0) return Math.round(d * 1000) / 1000;
      await new Promise((r) => setTimeout(r, 50));
    }
    return 0;
  } finally {
    p.stop();
  }
}
