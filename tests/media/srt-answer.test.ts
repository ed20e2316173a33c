import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { SrtAnswerWatch } from '../../src/media/srt-answer.js';
import { startEngine } from '../helpers/media-engine.js';
import { freeUdpPort, waitUntil } from '../helpers/net.js';

const VIDEO = { width: 320, height: 180, fps: 15, bitrateKbps: 300, keyframeIntervalS: 1 };

/** A listener nobody here wrote (gst-launch-1.0), counting what reaches it. */
function listener(port: number): { child: ChildProcess; firstDataAt: () => number | undefined } {
  const child = spawn(
    'gst-launch-1.0',
    ['srtsrc', `uri=srt://:${port}?mode=listener`, 'poll-timeout=100', '!', 'fakesink', 'silent=false', '-v'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let first: number | undefined;
  child.stdout.on('data', (d: Buffer) => {
    if (first === undefined && d.toString().includes('chain')) first = Date.now();
  });
  return { child, firstDataAt: () => first };
}

const stats = (sent: number, acks: number) =>
  `application/x-srt-statistics, packets-sent=(gint64)${sent}, packet-ack-received=(gint)${acks};`;

describe('an SRT caller output whose listener stops answering', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  it('calls the listener opened anew on its port at once, not after libsrt’s 5 s', async () => {
    const port = await freeUdpPort();
    const first = listener(port);
    children.push(first.child);
    const h = startEngine({
      video: VIDEO,
      sources: { board: { kind: 'test' } },
      outputs: [{ name: 'centre', kind: 'srt', url: `srt://127.0.0.1:${port}?mode=caller` }],
    });
    await h.engine.start();
    try {
      await waitUntil(() => first.firstDataAt(), 'the first listener receives', 20_000);
      await waitUntil(() => h.engine.stats().outputs.centre?.state === 'running' || undefined, 'the output running', 10_000);
      // The listener closed and opened anew at once (a box that restarts it, the anchor reopening a classroom's):
      // the caller's call ended with the old one and nothing tells it so.
      first.child.kill('SIGKILL');
      const second = listener(port);
      children.push(second.child);
      const reopenedAt = Date.now();
      await waitUntil(() => second.firstDataAt(), 'the new listener receives', 15_000);
      const backMs = second.firstDataAt()! - reopenedAt;
      console.log(`the caller on the reopened listener ${backMs} ms after it opened`);
      // Measured before: 5.3-5.6 s (libsrt's idle time-out); now about 2 s.
      expect(backMs).toBeLessThan(3000);
      const downs = h.events.filter((e) => e.type === 'output.down').map((e) => (e.payload as { reason: string }).reason);
      expect(downs).toContain('its listener stopped answering');
    } finally {
      await h.engine.stop();
    }
  }, 60_000);

  it('counts a listener as gone only while packets go out unacknowledged', () => {
    const w = new SrtAnswerWatch(750);
    expect(w.answers(stats(100, 10), 0)).toBe(true);
    // Sending, acknowledged: well however long it runs.
    expect(w.answers(stats(200, 20), 1000)).toBe(true);
    expect(w.answers(stats(300, 30), 2000)).toBe(true);
    // Nothing sent, nothing acknowledged (a pause upstream): not the listener's fault.
    expect(w.answers(stats(300, 30), 3000)).toBe(true);
    // Sent, unacknowledged: well for 750 ms, then gone.
    expect(w.answers(stats(400, 30), 3100)).toBe(true);
    expect(w.answers(stats(500, 30), 3700)).toBe(true);
    expect(w.answers(stats(600, 30), 3900)).toBe(false);
    // libsrt's own reconnect counts from zero again: an answer, not a fault.
    expect(w.answers(stats(20, 2), 4000)).toBe(true);
    // A new call starts owed nothing; what is not a caller's stats is no verdict.
    w.reset();
    expect(w.answers(stats(20, 2), 9000)).toBe(true);
    expect(w.answers(undefined, 9000)).toBe(true);
    expect(w.answers('application/x-srt-statistics;', 9000)).toBe(true);
  });
});
