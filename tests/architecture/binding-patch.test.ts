import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/**
 * The binding patch is applied to the published package on every clean install. Made without its
 * exclusion, it once carried the built addon (build/, binary) and `npm ci` could not apply it.
 */
describe('the binding patch', () => {
  it('changes the binding sources only', () => {
    const patch = readFileSync(join(ROOT, 'patches/gstreamer-superficial+1.7.4.patch'), 'utf8');
    const files = [...patch.matchAll(/^diff --git a\/(\S+)/gm)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f).toMatch(/^node_modules\/gstreamer-superficial\/[A-Za-z]+\.(cpp|h)$/);
    expect(patch).not.toMatch(/^Binary files /m);
  });
});
