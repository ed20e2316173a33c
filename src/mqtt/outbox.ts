import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Room kept free for the `events.dropped` report, so reporting a loss never causes another. */
const REPORT_RESERVE_BYTES = 4096;

export interface OutboxEntry {
  seq: number;
  line: string;
}

/**
 * Events kept on disk until the broker has acknowledged them: appended before any attempt to publish
 * (so a kill, a power cut or SIGTERM loses nothing), delivered in order, bounded in size (oldest
 * dropped first, and counted). Delivery is at least once: an event sent just before a crash may come
 * again after it, with the same `seq`, which lets a consumer drop the copy.
 */
export class Outbox {
  private readonly file: string;
  private readonly ackFile: string;
  private readonly droppedFile: string;
  /** Events dropped for room and not yet reported; kept on disk so a restart does not forget them. */
  private droppedUnreported = 0;
  private pending: OutboxEntry[] = [];
  private pendingBytes = 0;
  private acked = 0;
  private nextSeq = 1;
  /** Lines in the file that are already delivered; the file is rewritten when they pile up. */
  private deliveredInFile = 0;

  constructor(
    dir: string,
    private readonly maxBytes: number,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'events.ndjson');
    this.ackFile = join(dir, 'delivered-seq');
    this.droppedFile = join(dir, 'dropped-count');
    this.load();
  }

  private load(): void {
    const number = (file: string) => {
      try {
        return Number(readFileSync(file, 'utf8').trim()) || 0;
      } catch {
        return 0;
      }
    };
    this.acked = number(this.ackFile);
    this.droppedUnreported = number(this.droppedFile);
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      text = '';
    }
    let maxSeq = this.acked;
    for (const line of text.split('\n')) {
      if (!line) continue;
      let seq: number;
      try {
        seq = Number((JSON.parse(line) as { seq?: unknown }).seq);
      } catch {
        continue; // a line cut by a power failure
      }
      if (!Number.isInteger(seq)) continue;
      maxSeq = Math.max(maxSeq, seq);
      if (seq > this.acked) this.pushPending({ seq, line });
    }
    this.nextSeq = maxSeq + 1;
    this.compact();
  }

  private pushPending(e: OutboxEntry): void {
    this.pending.push(e);
    this.pendingBytes += Buffer.byteLength(e.line) + 1;
  }

  /**
   * Stores an event under the next seq, dropping the oldest when over the bound; returns how many were
   * dropped. `report: true` (the drop report itself) may use the reserve and never drops.
   */
  add(make: (seq: number) => Record<string, unknown>, report = false): { entry: OutboxEntry; dropped: number; persisted: boolean } {
    const seq = this.nextSeq++;
    const entry = { seq, line: JSON.stringify(make(seq)) };
    // A full or read-only disk must not lose the event: it stays in memory and goes out all the same;
    // only a restart before delivery could lose it then.
    const persisted = this.write(() => appendFileSync(this.file, `${entry.line}\n`));
    this.pushPending(entry);
    let dropped = 0;
    while (!report && this.pendingBytes > this.maxBytes - REPORT_RESERVE_BYTES && this.pending.length > 1) {
      const old = this.pending.shift()!;
      this.pendingBytes -= Buffer.byteLength(old.line) + 1;
      dropped++;
    }
    if (dropped > 0) {
      this.droppedUnreported += dropped;
      this.write(() => writeFileSync(this.droppedFile, String(this.droppedUnreported)));
      this.compact();
    }
    return { entry, dropped, persisted };
  }

  /** The last disk write that failed (ENOSPC, EROFS...), cleared by the next one that works. */
  writeError: NodeJS.ErrnoException | undefined;

  private write(fn: () => void): boolean {
    try {
      fn();
      this.writeError = undefined;
      return true;
    } catch (err) {
      this.writeError = err as NodeJS.ErrnoException;
      return false;
    }
  }

  /** Events dropped since the last report; resets the count. */
  takeDropped(): number {
    const n = this.droppedUnreported;
    if (n > 0) {
      this.droppedUnreported = 0;
      this.write(() => writeFileSync(this.droppedFile, '0'));
    }
    return n;
  }

  peek(): OutboxEntry | undefined {
    return this.pending[0];
  }

  get size(): number {
    return this.pending.length;
  }

  /** The broker acknowledged the oldest pending event. */
  delivered(seq: number): void {
    const first = this.pending[0];
    if (!first || first.seq !== seq) return;
    this.pending.shift();
    this.pendingBytes -= Buffer.byteLength(first.line) + 1;
    this.acked = seq;
    this.write(() => writeFileSync(this.ackFile, String(seq)));
    if (++this.deliveredInFile >= 1000 || this.pending.length === 0) this.compact();
  }

  /** Rewrites the file with the pending events only (atomically: a crash leaves the old or the new file). */
  private compact(): void {
    const tmp = `${this.file}.tmp`;
    if (!this.write(() => writeFileSync(tmp, this.pending.map((e) => `${e.line}\n`).join('')))) return;
    this.write(() => renameSync(tmp, this.file));
    this.deliveredInFile = 0;
  }
}
