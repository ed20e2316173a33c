/**
 * The other end of ChildProcessRunner: one pipeline in its own process, driven over IPC. A display
 * sink or a decoder that crashes (SIGSEGV in a driver, a hostile file) takes this process down, not
 * the service. Exits when the pipeline is stopped or when the service goes away.
 */
import { GstRunner } from './gst-runner.js';
import type { CreateOptions, RunningPipeline } from './runner.js';
import type { HostCommand, HostReport } from './child-runner.js';

const send = (r: HostReport) => process.send?.(r);
let pipeline: RunningPipeline;
try {
  // The options the service created the pipeline with (its pace, its latency), but the environment, which is this process's own.
  const options = JSON.parse(process.env.CLASSBOX_CREATE ?? '{}') as CreateOptions;
  pipeline = new GstRunner().create(process.env.CLASSBOX_PIPELINE ?? '', options);
} catch (err) {
  send({ type: 'bus', message: { type: 'error', source: 'pipeline', text: (err as Error).message } });
  process.exit(2);
}
const watched = new Map<string, [string, string]>();
pipeline.onMessage((message) => send({ type: 'bus', message }));

function snapshot(): void {
  const values: Record<string, unknown> = {};
  for (const [key, [element, property]] of watched) values[key] = pipeline.get(element, property);
  send({ type: 'snapshot', values, position: pipeline.position(), duration: pipeline.duration() });
}
const ticker = setInterval(snapshot, 200);

process.on('message', (c: HostCommand) => {
  switch (c.op) {
    case 'play':
      return pipeline.play();
    case 'pause':
      return pipeline.pause();
    case 'eos':
      return pipeline.sendEos();
    case 'seek':
      pipeline.seek(c.seconds);
      return snapshot();
    case 'set':
      return void pipeline.set(c.element, c.property, c.value);
    case 'pad':
      return void pipeline.setPad(c.element, c.pad, c.property, c.value);
    case 'keyframe':
      return pipeline.forceKeyUnit(c.element);
    case 'restart':
      return void pipeline.restartElement(c.element);
    case 'watch':
      watched.set(`${c.element}\u0000${c.property}`, [c.element, c.property]);
      return snapshot();
    case 'stop':
      clearInterval(ticker);
      pipeline.stop();
      return process.exit(0);
  }
});
// The service is gone (crashed, killed): nothing is left to show the picture to.
process.on('disconnect', () => {
  pipeline.stop();
  process.exit(0);
});
