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

  it('restarts one element alone across the process while the rest plays on', async () => {
    const p = new ChildProcessRunner().create(
      'videotestsrc name=src is-live=true ! video/x-raw,width=160,height=90,framerate=30/1 ! fakesink name=display sync=true',
    );
    const messages: BusMessage[] = [];
    p.onMessage((m) => messages.push(m));
    p.play();
    const frames = () => renderedFrames(p.get('display', 'stats'));
    await waitUntil(() => frames() > 5, 'frames rendered', 15_000);
    expect(p.restartElement('src')).toBe(true);
    // The source went to NULL and came back to PLAYING; the pipeline never stopped.
    const states = () => messages.filter((m) => m.type === 'state-changed' && m.source === 'src').map((m) => m.newState);
    await waitUntil(() => states().includes('null') || undefined, 'the source stopped', 5000);
    await waitUntil(() => states().lastIndexOf('playing') > states().indexOf('null') || undefined, 'the source playing again', 5000);
    const after = frames();
    await waitUntil(() => frames() > after + 10, 'frames rendered after the restart', 5000);
    // An element that is not there is nothing to restart, and nothing breaks.
    p.restartElement('no-such-element');
    await waitUntil(() => frames() > after + 20, 'frames still rendered', 5000);
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
