import { describe, expect, it } from 'vitest';
import { ChildProcessRunner } from '../../src/media/child-runner.js';
import { renderedFrames, type BusMessage } from '../../src/media/runner.js';
import { waitUntil } from '../helpers/net.js';

describe('a pipeline in a process of its own', () => {
  it('plays, reports its properties and position, and ends with end-of-stream', async () => {
    const p = new ChildProcessRunner().create(
      'videotestsrc num-buffers=45 ! video/x-raw,width=160,height=90,framerate=30/1 ! fakesink name=display sync=true',
    );
    const messages: BusMessage[] = [];
    p.onMessage((m) => messages.push(m));
    p.play();
    await waitUntil(() => renderedFrames(p.get('display', 'stats')) > 5, 'frames rendered, read across the process', 15_000);
    await waitUntil(() => p.position() > 0, 'a position', 5000);
    await waitUntil(() => messages.some((m) => m.type === 'eos'), 'end of stream', 15_000);
    p.stop();
    expect(messages.filter((m) => m.type === 'error')).toEqual([]);
  }, 30_000);

  it('a launch line that does not parse is a bus error, not an exception in the service', async () => {
    const p = new ChildProcessRunner().create('videotestsrc ! no-such-element ! fakesink');
    const messages: BusMessage[] = [];
    p.onMessage((m) => messages.push(m));
    p.play();
    await waitUntil(() => messages.some((m) => m.type === 'error'), 'an error', 15_000);
    expect(messages.find((m) => m.type === 'error')!.text).toMatch(/no-such-element/);
    p.stop();
  }, 30_000);
});
