import { describe, expect, it } from 'vitest';
import { ChildProcessRunner } from '../../src/media/child-runner.js';
import { renderedFrames, type BusMessage } from '../../src/media/runner.js';
import { sleep, waitUntil } from '../helpers/net.js';

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

  it('waits the latency it was created with, not what its elements report, in its own process', async () => {
    // The jitter buffer reports 500 ms; a sink on the clock waits that for each buffer, and the leaky
    // queue in front of it drops what comes meanwhile: about one 10 ms buffer in 50 gets rendered.
    const line =
      'audiotestsrc is-live=true samplesperbuffer=80 ! audio/x-raw,rate=8000,channels=1 ! rtpL16pay ! rtpjitterbuffer latency=500 ! rtpL16depay ! ' +
      'queue max-size-buffers=1 max-size-time=0 max-size-bytes=0 leaky=downstream ! fakesink name=out sync=true';
    const rendered = async (latencyMs?: number) => {
      const p = new ChildProcessRunner().create(line, latencyMs === undefined ? {} : { latencyMs });
      p.play();
      await waitUntil(() => renderedFrames(p.get('out', 'stats')) > 0, 'a first buffer rendered', 15_000);
      const first = renderedFrames(p.get('out', 'stats'));
      await sleep(2000);
      const n = renderedFrames(p.get('out', 'stats')) - first;
      p.stop();
      return n;
    };
    const reported = await rendered();
    const fixed = await rendered(20);
    expect(reported).toBeLessThan(30);
    expect(fixed).toBeGreaterThan(100);
  }, 60_000);

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
