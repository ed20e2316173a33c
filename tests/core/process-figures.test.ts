import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readProcFigures, slopePerHour } from '../../src/core/process-figures.js';

describe('readProcFigures', () => {
  it('counts this process: descriptors opened are seen, memory and threads are there', () => {
    const before = readProcFigures();
    const fds = Array.from({ length: 10 }, () => openSync('/dev/null', 'r'));
    const during = readProcFigures();
    for (const fd of fds) closeSync(fd);
    expect(during.fds! - before.fds!).toBe(10);
    expect(readProcFigures().fds).toBe(before.fds);
    expect(before.fdLimit).toBeGreaterThan(before.fds!);
    expect(before.threads).toBeGreaterThan(1);
    expect(before.rssAnonMB).toBeGreaterThan(1);
    expect(before.rssMB).toBeGreaterThan(before.rssAnonMB!);
  });

  it('reads another process by pid, and a process that is gone as unknown', async () => {
    const child = spawn('sleep', ['5'], { stdio: 'ignore' });
    const f = readProcFigures(child.pid);
    expect(f.fds).toBeGreaterThanOrEqual(3);
    expect(f.threads).toBe(1);
    child.kill();
    await new Promise((r) => child.once('exit', r));
    expect(readProcFigures(child.pid)).toEqual({ rssMB: null, rssAnonMB: null, fds: null, fdLimit: null, threads: null });
  });
});

describe('slopePerHour', () => {
  it('is the least-squares trend, per hour, through noise', () => {
    expect(
      slopePerHour([
        { t: 0, y: 10 },
        { t: 1800, y: 11 },
        { t: 3600, y: 12 },
      ]),
    ).toBeCloseTo(2);
    expect(
      slopePerHour([
        { t: 0, y: 5 },
        { t: 60, y: 7 },
        { t: 120, y: 5 },
        { t: 180, y: 7 },
      ]),
    ).toBeCloseTo(24);
    expect(
      slopePerHour([
        { t: 0, y: 5 },
        { t: 60, y: 7 },
        { t: 120, y: 7 },
        { t: 180, y: 5 },
      ]),
    ).toBeCloseTo(0);
    expect(slopePerHour([{ t: 0, y: 1 }])).toBe(0);
  });
});
