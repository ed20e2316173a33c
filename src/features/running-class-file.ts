import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ClassRequest } from '../core/class-session.js';

/** A class as saved while it runs: its request, with what resuming it needs (id, start, end). */
export type SavedClass = ClassRequest & { resume: NonNullable<ClassRequest['resume']> };

/**
 * The running class on disk (`<dataDir>/running-class.json`): written when a class starts, is extended
 * or the service stops on purpose, removed when it ends, read once at start to resume a class that
 * was on when classbox died (a crash, a power cut).
 */
export class RunningClassFile {
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.file = join(dataDir, 'running-class.json');
  }

  /** The saved class, or undefined when there is none (or it cannot be read: nothing to resume). */
  read(): SavedClass | undefined {
    try {
      const saved = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<SavedClass> | null;
      return saved?.resume ? (saved as SavedClass) : undefined;
    } catch {
      return undefined;
    }
  }

  save(saved: SavedClass): void {
    try {
      writeFileSync(this.file, JSON.stringify(saved));
    } catch (err) {
      this.log.warn({ err }, 'running class not saved');
    }
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }
}

/** A class resumed after a crash that crashes the box again within this long is not resumed again. */
export const CRASH_LOOP_MS = 60_000;

/**
 * Whether a class saved when classbox died is taken up again at start: not when its end passed while
 * the box was down (what it recorded becomes its lesson), nor when the box went down again within a
 * minute of taking it up (the class itself, a lesson file or a display, may be what brings it down).
 */
export function resumeDecision(
  saved: SavedClass,
  now: number,
  wallNow: number,
): { resume: true } | { resume: false; reason: string; crashLoop: boolean } {
  if (saved.resume.endsAt <= now) return { resume: false, reason: 'its end passed while classbox was down', crashLoop: false };
  const last = saved.resume.resumedAt;
  if (last !== undefined && wallNow - last < CRASH_LOOP_MS)
    return { resume: false, reason: `classbox stopped again within ${CRASH_LOOP_MS / 1000} s of resuming it`, crashLoop: true };
  return { resume: true };
}
