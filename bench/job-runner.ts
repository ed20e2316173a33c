// Runs one launch string through classbox's GStreamer runner (the binding the service uses) until
// end of stream: the "classbox" column of the composite benchmark.
import { GstRunner } from '../src/media/gst-runner.js';

const line = process.argv[2];
if (!line) throw new Error('usage: job-runner.ts "<launch line>"');
const p = new GstRunner().create(line);
// Timed from the pipeline reaching PLAYING, as gst-launch times its "Execution ended after" (which
// leaves out the preroll to PAUSED).
let t0 = performance.now();
p.onMessage((m) => {
  if (m.type === 'state-changed' && /^pipeline\d+$/.test(m.source) && m.newState === 'playing') t0 = performance.now();
  if (m.type === 'eos') {
    process.stdout.write(`PIPELINE_S ${((performance.now() - t0) / 1000).toFixed(3)}\n`);
    p.stop();
    process.exit(0);
  }
  if (m.type === 'error') {
    process.stderr.write(`${m.source}: ${m.text}\n`);
    process.exit(1);
  }
});
p.play();
