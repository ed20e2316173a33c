import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { RecordOutput } from '../../src/config/schema.js';
import { EventBus } from '../../src/core/events.js';
import { Retention, type KeptFile } from '../../src/recording/retention.js';
import { tempDir } from '../helpers/temp-config.js';

const GB = 1024 ** 3;

function folder(files: Array<Omit<KeptFile, 'remove' | 'path'> & { name: string }>) {
  const removed: Array<{ name: string; reason: string }> = [];
  let left = files.map((f) => ({ ...f, path: `/rec/${f.name}` }));
  const kept = (): KeptFile[] =>
    left.map((f) => ({
      ...f,
      remove: (reason: string) => {
        removed.push({ name: f.name, reason });
        left = left.filter((x) => x !== f);
      },
    }));
  return { kept, removed };
}

const output = (o: Partial<RecordOutput>): RecordOutput =>
  ({ name: 'archive', kind: 'record', dir: tempDir(), minFreeMB: 0, ...o }) as RecordOutput;

describe('retention of a recording folder', () => {
  it('over its size: what another copy covers first, then other classes oldest first, the running class last', () => {
    const f = folder([
      { name: 'running-1', bytes: GB, closedAt: '2026-12-01T08:00:00Z', class: 'now', redundant: false },
      { name: 'old-1', bytes: GB, closedAt: '2026-12-01T09:00:00Z', class: 'before', redundant: false },
      { name: 'older-1', bytes: GB, closedAt: '2026-11-30T09:00:00Z', class: 'before', redundant: false },
      { name: 'uploaded-1', bytes: GB, closedAt: '2026-12-01T10:00:00Z', class: 'before', redundant: true },
    ]);
    new Retention(pino({ level: 'silent' }), new EventBus()).keep(output({ maxSizeGB: 1.5 }), f.kept, 'now');
    expect(f.removed).toEqual([
      { name: 'uploaded-1', reason: 'recordings over 1.5 GB' },
      { name: 'older-1', reason: 'recordings over 1.5 GB' },
      { name: 'old-1', reason: 'recordings over 1.5 GB' },
    ]);
  });

  it('by age: only what is older than the limit', () => {
    const day = 86_400_000;
    const f = folder([
      { name: 'week-old', bytes: 1, closedAt: new Date(Date.now() - 8 * day).toISOString(), class: 'a', redundant: false },
      { name: 'yesterday', bytes: 1, closedAt: new Date(Date.now() - day).toISOString(), class: 'b', redundant: false },
    ]);
    new Retention(pino({ level: 'silent' }), new EventBus()).keep(output({ retentionDays: 7 }), f.kept, undefined);
    expect(f.removed).toEqual([{ name: 'week-old', reason: 'older than 7 days' }]);
  });

  it('a disk that stays low is said once, and again after it recovered', () => {
    const bus = new EventBus();
    const said: number[] = [];
    bus.on({}, 'disk.low', (e) => said.push(e.minFreeMB));
    const retention = new Retention(pino({ level: 'silent' }), bus);
    const nothing = () => [];
    const low = output({ minFreeMB: 1e12 });
    retention.keep(low, nothing, undefined);
    retention.keep(low, nothing, undefined);
    expect(said).toEqual([1e12]);
    retention.keep({ ...low, minFreeMB: 0 }, nothing, undefined);
    retention.keep(low, nothing, undefined);
    expect(said).toEqual([1e12, 1e12]);
  });
});
