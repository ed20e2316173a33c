import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { recordOutputs, type Config } from '../config/schema.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { summary, type Lesson } from './lesson-record.js';
import type { SegmentRecord } from './recorder.js';

/** The class's segments in one record output's folder (the first that has them), in recording order. */
export function classSegments(segments: SegmentRecord[], config: Config, cls: string): SegmentRecord[] {
  const all = segments.filter((s) => s.class === cls && existsSync(s.path));
  const dir = recordOutputs(config)
    .filter((o) => o.lessons)
    .map((o) => o.dir)
    .find((d) => all.some((s) => s.path.startsWith(`${d}/`)));
  return dir ? all.filter((s) => dirname(s.path) === dir).sort((a, b) => basename(a.path).localeCompare(basename(b.path))) : [];
}

/** The class's manifest (`recordings/classes/<class>.json`) gets the lesson's summary. */
export function addToManifest(dataDir: string, l: Lesson, log: Logger): void {
  const file = join(dataDir, 'recordings', 'classes', `${l.id}.json`);
  try {
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    manifest.lesson = summary(l);
    writeFileAtomic(file, JSON.stringify(manifest, null, 2));
  } catch (err) {
    log.warn({ err, file }, 'class manifest not updated with its lesson');
  }
}
