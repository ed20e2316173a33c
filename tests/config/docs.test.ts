import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/schema.js';
import { ROOT } from '../helpers/cli.js';

describe('docs/config.md', () => {
  it('documents every key the schema knows', () => {
    const doc = readFileSync(join(ROOT, 'docs/config.md'), 'utf8');
    const keys = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (node === null || typeof node !== 'object') return;
      const props = (node as { properties?: Record<string, unknown> }).properties;
      if (props) Object.keys(props).forEach((k) => keys.add(k));
      Object.values(node).forEach(walk);
    };
    walk(configJsonSchema());
    const undocumented = [...keys].filter((k) => !doc.includes(`\`${k}\``));
    expect(undocumented).toEqual([]);
  });
});
