import type { Logger } from 'pino';
import type { RecordOutput } from '../config/schema.js';
import { megabytesFree } from '../core/disk-free.js';
import type { EventBus } from '../core/events.js';

/** A file retention may delete. */
export interface KeptFile {
  path: string;
  bytes: number;
  closedAt: string;
  class: string | null;
  /** Another copy covers it. */
  redundant: boolean;
  remove: (reason: string) => void;
}

/** Keeps a recording folder within its limits: age, size, room left free. Warns once per low spell. */
export class Retention {
  /** Folders whose disk is low now (`disk.low` said once, again only after it recovered). */
  private readonly low = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly bus: EventBus,
  ) {}

  /**
   * Retention by age, then by size, then free space: what another copy covers goes first (an uploaded
   * file, a segment joined into its lesson), then the oldest, other classes' before the running
   * class's; the segment being written never.
   */
  keep(out: RecordOutput, files: () => KeptFile[], currentClass: string | undefined): void {
    const mine = () =>
      files().sort(
        (a, b) =>
          Number(b.redundant) - Number(a.redundant) ||
          Number(a.class === currentClass) - Number(b.class === currentClass) ||
          a.closedAt.localeCompare(b.closedAt),
      );
    if (out.retentionDays !== undefined) {
      const before = Date.now() - out.retentionDays * 86_400_000;
      for (const k of mine()) if (Date.parse(k.closedAt) < before) k.remove(`older than ${out.retentionDays} days`);
    }
    if (out.maxSizeGB !== undefined) {
      const limit = out.maxSizeGB * 1024 ** 3;
      const list = mine();
      let total = list.reduce((a, k) => a + k.bytes, 0);
      for (const k of list) {
        if (total <= limit) break;
        k.remove(`recordings over ${out.maxSizeGB} GB`);
        total -= k.bytes;
      }
    }
    const free = () => megabytesFree(out.dir);
    let freeMB = free();
    if (freeMB >= out.minFreeMB) {
      this.low.delete(out.dir);
      return;
    }
    if (!this.low.has(out.dir)) {
      this.low.add(out.dir);
      this.log.warn({ dir: out.dir, freeMB, minFreeMB: out.minFreeMB }, 'recording disk low');
      this.bus.emit('disk.low', { dir: out.dir, freeMB, minFreeMB: out.minFreeMB });
    }
    for (const k of mine()) {
      if (freeMB >= out.minFreeMB) break;
      k.remove(`disk low (${freeMB} MB free)`);
      freeMB = free();
    }
  }
}
