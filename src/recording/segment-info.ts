import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { renderedFrames, type PipelineRunner } from '../media/runner.js';

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
 * Duration of a Matroska segment as GStreamer reads it, so the box needs no ffprobe: its video frames
 * are counted, demuxed as fast as the disk reads (no decode: a 10-minute segment takes about a second),
 * at the recording's frame rate. Neither the header nor positions will do: a segment cut short by a
 * crash or a pipeline restart has no Duration element, and demuxers then report the last timestamp,
 * which runs on from the previous segment's.
 */
export async function segmentDurationS(runner: PipelineRunner, path: string, fps: number, timeoutMs = 30_000): Promise<number> {
  const p = runner.create(`filesrc location="${path.replace(/"/g, '')}" ! matroskademux ! fakesink name=count sync=false`);
  let ended = false;
  p.onMessage((m) => {
    if (m.type === 'eos' || m.type === 'error') ended = true;
  });
  try {
    p.play();
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && !ended) await new Promise((r) => setTimeout(r, 20));
    return Math.round((renderedFrames(p.get('count', 'stats')) / fps) * 1000) / 1000;
  } finally {
    p.stop();
  }
}
