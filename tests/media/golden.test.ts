import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { buildGraph } from '../../src/media/graph.js';
import { boardProfileNames, loadBoardProfile } from '../../src/media/profiles.js';
import { ROOT } from '../helpers/cli.js';

const DIR = join(ROOT, 'tests/golden');
const config = loadConfig({ file: join(DIR, 'room.yaml'), env: {} });
const ROLES = ['broadcast', 'receive', 'playback'] as const;

/**
 * The exact line each board runs for each role, checked in so a reviewer sees what runs on a Pi.
 * After an intended change: UPDATE_GOLDEN=1 npx vitest run tests/media/golden.test.ts
 */
describe('golden pipelines (board x role)', () => {
  it('covers all six boards', () => {
    expect(boardProfileNames()).toEqual(['jetson', 'rpi4', 'rpi5', 'software', 'x86-nvenc', 'x86-vaapi']);
  });

  for (const board of boardProfileNames()) {
    for (const role of ROLES) {
      it(`${board} ${role}`, () => {
        const graph = buildGraph(config, loadBoardProfile(board), role, { media: '/var/lib/classbox/lessons/math-01.mkv' });
        const file = join(DIR, `${board}-${role}.txt`);
        const text = `${graph.printable}\n`;
        if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
        expect(text).toBe(readFileSync(file, 'utf8'));
      });
    }
  }
});
