import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { recordOutputs, type Config } from '../config/schema.js';
import { slug } from '../core/slug.js';
import { hasTag } from '../media/recording-names.js';

/**
 * Bytes of a class's recording files on this box: in every record output's folder, the files named
 * with the class name's slug and written since it started. A recording disk that is gone counts 0.
 */
export function recordedBytes(outputs: Config['outputs'], className: string, sinceMs: number): number {
  let total = 0;
  for (const o of recordOutputs({ outputs })) {
    try {
      for (const f of readdirSync(o.dir)) {
        if (!hasTag(f, slug(className))) continue;
        const st = statSync(join(o.dir, f));
        if (st.mtimeMs >= sinceMs - 1000) total += st.size;
      }
    } catch {
      // the recording disk is gone: nothing to count
    }
  }
  return total;
}
