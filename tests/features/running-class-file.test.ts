import { describe, expect, it } from 'vitest';
import { CRASH_LOOP_MS, resumeDecision, type SavedClass } from '../../src/features/running-class-file.js';

const T = Date.parse('2026-12-01T09:00:00Z');
const saved = (endsAt: number, resumedAt?: number): SavedClass => ({
  mode: 'live',
  name: 'Maths',
  resume: { id: 'c1', startedAt: T - 600_000, endsAt, ...(resumedAt !== undefined ? { resumedAt } : {}) },
});

describe('whether a class saved at a crash is taken up again', () => {
  it('is taken up while its end is ahead', () => {
    expect(resumeDecision(saved(T + 60_000), T, T)).toEqual({ resume: true });
  });

  it('is not when its end passed while the box was down', () => {
    expect(resumeDecision(saved(T), T, T)).toMatchObject({ resume: false, crashLoop: false, reason: /end passed/ });
  });

  it('is not when the box went down again within a minute of taking it up, and is after that', () => {
    expect(resumeDecision(saved(T + 60_000, T - CRASH_LOOP_MS + 1), T, T)).toMatchObject({ resume: false, crashLoop: true });
    expect(resumeDecision(saved(T + 60_000, T - CRASH_LOOP_MS), T, T)).toEqual({ resume: true });
  });
});
