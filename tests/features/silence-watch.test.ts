import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/events.js';
import { SilenceWatch } from '../../src/features/silence-watch.js';
import { createLogger } from '../../src/core/log.js';

function watch(paths = ['mic', 'speaker']) {
  let now = 0;
  const bus = new EventBus();
  const events: Array<{ type: string; payload: unknown }> = [];
  for (const type of ['audio.silent', 'audio.restored'] as const) bus.on({}, type, (payload) => events.push({ type, payload }));
  const w = new SilenceWatch({ bus, log: createLogger({ level: 'silent' }), silenceS: 20, paths, now: () => now, autoTick: false });
  /** `seconds` of one-a-second meter readings, `db(second)` on each path given. */
  const run = (seconds: number, db: Record<string, number | null>) => {
    for (let i = 0; i < seconds; i++) {
      now += 1000;
      for (const [path, v] of Object.entries(db)) if (v !== null) bus.emit('audio.level', { path, dbfs: v });
      w.tick();
    }
  };
  return { bus, events, run };
}

describe('SilenceWatch', () => {
  it('says nothing between classes, however quiet', () => {
    const { events, run } = watch();
    run(120, { mic: -100, speaker: -100 });
    expect(events).toEqual([]);
  });

  it('a microphone muted in class: audio.silent once after silenceS, audio.restored when sound is back', () => {
    const { bus, events, run } = watch();
    bus.emit('class.started', { id: 'c', name: 'x', mode: 'live', source: 'request', startedAt: '', endsAt: null } as never);
    run(10, { mic: -30, speaker: -25 });
    run(19, { mic: -90, speaker: -25 });
    expect(events).toEqual([]);
    run(5, { mic: -90, speaker: -25 });
    expect(events).toEqual([{ type: 'audio.silent', payload: { path: 'mic', seconds: 20 } }]);
    run(30, { mic: -90, speaker: -25 });
    expect(events).toHaveLength(1);
    run(1, { mic: -40, speaker: -25 });
    expect(events[1]).toMatchObject({ type: 'audio.restored', payload: { path: 'mic' } });
    expect((events[1]!.payload as { silentS: number }).silentS).toBeGreaterThanOrEqual(50);
  });

  it('a lesson whose meter stopped reporting (its pipeline down) is silent too', () => {
    const { bus, events, run } = watch(['speaker']);
    bus.emit('class.started', {} as never);
    run(25, { speaker: null });
    expect(events).toEqual([{ type: 'audio.silent', payload: { path: 'speaker', seconds: 20 } }]);
    bus.emit('class.ended', {} as never);
    bus.emit('class.started', {} as never);
    run(10, { speaker: -30 });
    expect(events).toHaveLength(1);
  });
});
