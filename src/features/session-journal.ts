import type { ClassSource } from '../core/class-session.js';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Incident {
  at: string;
  type: string;
  detail: string;
}

/** What the centre learns of each class: whether the classroom is really used, and how it went. */
export interface SessionSummary {
  id: string;
  name: string;
  mode: string;
  source: ClassSource;
  startedAt: string;
  endedAt: string;
  durationS: number;
  endReason: string;
  outputs: string[];
  recorded: boolean;
  /** Bytes of the class's recording files on this box when it ended. */
  bytesRecorded: number;
  incidents: Incident[];
}

/**
 * The last sessions, kept on disk as JSON lines (bounded: compacted to the newest `keep` when it grows
 * past twice that), so `sessions/list` answers after a restart and through broker outages.
 */
export class SessionJournal {
  constructor(
    private readonly file: string,
    private readonly keep = 500,
  ) {}

  append(s: SessionSummary): void {
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, `${JSON.stringify(s)}\n`);
    const all = this.readAll();
    if (all.length > this.keep * 2)
      writeFileSync(
        this.file,
        all
          .slice(-this.keep)
          .map((x) => JSON.stringify(x))
          .join('\n') + '\n',
      );
  }

  /** Newest first. A torn last line (power cut mid-write) is passed over. */
  list(limit = 20): SessionSummary[] {
    return this.readAll().slice(-limit).reverse();
  }

  private readAll(): SessionSummary[] {
    if (!existsSync(this.file)) return [];
    const out: SessionSummary[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as SessionSummary);
      } catch {
        // a line cut short by a crash
      }
    }
    return out;
  }
}
