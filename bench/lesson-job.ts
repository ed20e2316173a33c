// One lesson made the way the box makes it, in its own process so /usr/bin/time measures it alone:
// `join` (the MP4 alone) or `make` (join, then every frame decoded, the thumbnail and the SHA-256).
import { join } from 'node:path';
import { GstRunner } from '../src/media/gst-runner.js';
import { decodeLesson, joinSegments, thumbnail } from '../src/recording/lesson-join.js';
import { sha256File } from '../src/recording/segment-info.js';
import { statSync } from 'node:fs';

const [what, out, ...segments] = process.argv.slice(2);
if (!what || !out || segments.length === 0) throw new Error('usage: lesson-job.ts join|make OUT.mp4 SEGMENT...');
const runner = new GstRunner();
const bytes = segments.reduce((a, s) => a + statSync(s).size, 0);
const t0 = performance.now();
const joined = await joinSegments(runner, { segments, out, workDir: join(out, '..', '.bench.join'), audio: true, totalBytes: bytes });
const joinedS = (performance.now() - t0) / 1000;
process.stdout.write(`JOINED_BY ${joined.by}${joined.why ? ` (${joined.why})` : ''}\n`);
if (what === 'make') {
  const size = statSync(out).size;
  const t1 = performance.now();
  const decoded = await decodeLesson(runner, out, true, 90_000);
  const decodeS = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  await thumbnail(runner, out, 180, size);
  const thumbS = (performance.now() - t2) / 1000;
  const t3 = performance.now();
  await sha256File(out);
  const shaS = (performance.now() - t3) / 1000;
  process.stdout.write(
    `PARTS join ${joinedS.toFixed(2)} decode ${decodeS.toFixed(2)} thumbnail ${thumbS.toFixed(2)} sha256 ${shaS.toFixed(2)} frames ${decoded.videoFrames}\n`,
  );
}
process.stdout.write(`PIPELINE_S ${((performance.now() - t0) / 1000).toFixed(3)}\n`);
process.exit(0);
