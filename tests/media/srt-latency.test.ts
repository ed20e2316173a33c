import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { latencyForLink, namesLatency, SrtLatencyTuner } from '../../src/media/srt-latency.js';

const receiving = (rttMs: number, latencyMs: number) =>
  `application/x-srt-statistics, packets-received=(gint64)500, packet-ack-sent=(int)40, negotiated-latency-ms=(int)${latencyMs}, rtt-ms=(double)${rttMs};`;
const alone = 'application/x-srt-statistics, packets-received=(gint64)0, rtt-ms=(double)100;';

/** A receiver's pipeline as the tuner sees it: its element's figures, and what it was told. */
function pipeline() {
  const p = {
    stats: alone,
    calls: [] as string[],
    get: () => p.stats,
    set: (_e: string, prop: string, value: unknown) => (p.calls.push(`${prop}=${String(value)}`), true),
    restartElement: (e: string) => (p.calls.push(`restart ${e}`), true),
  };
  return p;
}

describe('SRT latency fitted to the link', () => {
  it('is four round trips, six or eight where the network loses more, at least 20 ms, in 5 ms steps', () => {
    expect(latencyForLink(0.05)).toBe(20);
    expect(latencyForLink(6)).toBe(25);
    expect(latencyForLink(80.4)).toBe(325);
    expect(latencyForLink(5000)).toBe(2000);
    expect(latencyForLink(80, 0.03)).toBe(480);
    expect(latencyForLink(80, 0.08)).toBe(640);
  });

  it('keeps a latency the URL names', () => {
    expect(namesLatency('srt://a:9000?mode=caller&latency=300')).toBe(true);
    expect(namesLatency('srt://a:9000?mode=caller')).toBe(false);
  });

  it('starts at 120 ms, and calls again at once with 20 ms on a LAN link; once', () => {
    const t = new SrtLatencyTuner('lesson', 'lesson-src', pino({ level: 'silent' }));
    const p = pipeline();
    expect(t.latencyMs).toBe(120);
    t.watch(p, 0); // not connected yet: nothing to measure
    expect(p.calls).toEqual([]);
    p.stats = receiving(0.3, 120);
    t.watch(p, 1000);
    expect(p.calls).toEqual(['latency=20', 'restart lesson-src']);
    expect(t.latencyMs).toBe(20);
    p.stats = receiving(0.3, 20);
    for (let at = 1200; at < 20_000; at += 200) t.watch(p, at);
    expect(p.calls).toHaveLength(2);
  });

  it('is not lowered late in a call, nor for a round trip that moves a little', () => {
    const t = new SrtLatencyTuner('lesson', 'lesson-src', pino({ level: 'silent' }));
    const p = pipeline();
    p.stats = receiving(26, 120); // wants 105: less than a quarter lower
    t.watch(p, 0);
    p.stats = receiving(1, 120); // a LAN figure, but 6 s into the call
    t.watch(p, 6000);
    expect(p.calls).toEqual([]);
  });

  it("raises a latency a quarter short of the link's once that has lasted 2 s, and does not lower it again soon", () => {
    const t = new SrtLatencyTuner('lesson', 'lesson-src', pino({ level: 'silent' }));
    const p = pipeline();
    p.stats = receiving(80, 120);
    t.watch(p, 0);
    t.watch(p, 1900);
    expect(p.calls).toEqual([]);
    t.watch(p, 2100);
    expect(p.calls).toEqual(['latency=320', 'restart lesson-src']);
    // The call comes back; the round trip is short again for a moment: it stays at its worst.
    p.stats = alone;
    t.watch(p, 2300);
    p.stats = receiving(2, 320);
    t.watch(p, 2500);
    expect(t.latencyMs).toBe(320);
    expect(p.calls).toHaveLength(2);
  });
});
