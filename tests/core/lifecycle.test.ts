import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Lifecycle, type Part } from '../../src/core/lifecycle.js';

const silent = pino({ level: 'silent' });

function part(name: string, log: string[], behaviour: { failStart?: boolean; hangStop?: boolean; failStop?: boolean } = {}): Part {
  return {
    name,
    async start() {
      if (behaviour.failStart) throw new Error(`${name} cannot start`);
      log.push(`start ${name}`);
    },
    async stop() {
      if (behaviour.hangStop) return new Promise<void>(() => {});
      if (behaviour.failStop) throw new Error('stop failed');
      log.push(`stop ${name}`);
    },
  };
}

describe('Lifecycle', () => {
  it('starts in order and stops in reverse', async () => {
    const log: string[] = [];
    const lc = new Lifecycle([part('a', log), part('b', log), part('c', log)], silent);
    await lc.start();
    await lc.stop();
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('stops what already started when a later part fails to start', async () => {
    const log: string[] = [];
    const lc = new Lifecycle([part('a', log), part('b', log), part('c', log, { failStart: true })], silent);
    await expect(lc.start()).rejects.toThrow('c cannot start');
    expect(log).toEqual(['start a', 'start b', 'stop b', 'stop a']);
  });

  it('abandons a part that hangs in stop and still stops the rest within the deadline', async () => {
    const log: string[] = [];
    const lc = new Lifecycle([part('a', log), part('b', log, { failStop: true }), part('c', log, { hangStop: true })], silent);
    await lc.start();
    const t0 = Date.now();
    await lc.stop(600);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop a']);
  });
});
