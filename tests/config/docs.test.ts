import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaKeys } from '../../src/config/load.js';
import { ROOT } from '../helpers/cli.js';

describe('docs/config.md', () => {
  it('documents every key the schema knows', () => {
    const doc = readFileSync(join(ROOT, 'docs/config.md'), 'utf8');
    const keys = schemaKeys().all;
    const undocumented = [...keys].filter((k) => !doc.includes(`\`${k}\``));
    expect(undocumented).toEqual([]);
  });
});
