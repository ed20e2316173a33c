import { SILENCE_DBFS } from './meter.js';

/** Where sound is metered: the room's microphone, the speakers (the lesson or file played), remote sources. */
export type AudioPath = 'mic' | 'speaker' | `source:${string}`;

/** A meter's reading older than this means the path has stopped (its pipeline is down): silence. */
const STALE_MS = 3000;

/**
 * Power mean of the channels' RMS (dBFS) as `level` posts them, e.g. `< -9.03, -12.5 >`; -inf
 * (digital silence) and anything unreadable is the floor.
 */
export function parseLevel(rms: string): number {
  const dbs = (rms.match(/-?(?:\d+(?:\.\d+)?|inf)/g) ?? []).map((t) => (t === '-inf' || t === 'inf' ? SILENCE_DBFS : Number(t)));
  if (dbs.length === 0) return SILENCE_DBFS;
  const power = dbs.reduce((s, db) => s + 10 ** (db / 10), 0) / dbs.length;
  return power > 0 ? Math.max(SILENCE_DBFS, Math.round(10 * Math.log10(power) * 10) / 10) : SILENCE_DBFS;
}

/** The path a meter element measures, by its name in the pipelines (`mic-level`, `speaker-level`, `<source>-level`). */
export function pathOfMeter(element: string): AudioPath | null {
  if (element === 'mic-level') return 'mic';
  if (element === 'speaker-level') return 'speaker';
  const m = /^(.+)-level$/.exec(element);
  return m ? `source:${m[1]}` : null;
}

/** The latest reading of every metered path. */
export class AudioLevels {
  private readonly latest = new Map<AudioPath, { dbfs: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  record(path: AudioPath, dbfs: number): void {
    this.latest.set(path, { dbfs, at: this.now() });
  }

  /** dBFS per path; a path whose meter stopped reporting reads as silence. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    const now = this.now();
    for (const [path, r] of this.latest) out[path] = now - r.at > STALE_MS ? SILENCE_DBFS : r.dbfs;
    return out;
  }
}
