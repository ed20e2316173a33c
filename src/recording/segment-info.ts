import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { renderedFrames, type PipelineRunner } from '../media/runner.js';
import { quoted, runToEnd } from './run-to-end.js';

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
export function segmentDurationS(runner: PipelineRunner, path: string, fps: number, timeoutMs = 30_000): Promise<number> {
  return runToEnd(
    runner,
    `filesrc location=${quoted(path)} ! matroskademux ! fakesink name=count sync=false`,
    timeoutMs,
    (p) => Math.round((renderedFrames(p.get('count', 'stats')) / fps) * 1000) / 1000,
  );
}
