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
/** Every pipeline the service runs, as it runs them: each source, the composite, each output, the
 * display, the microphone and the speakers. */
function eachPipeline(graph: ReturnType<typeof buildGraph>): string {
  const specs = [...graph.sources, graph.main, ...graph.outputs, graph.display, graph.audio, graph.speaker];
  return specs.flatMap((s) => (s ? [`# ${s.id}\n${s.tokens.join(' ')}\n`] : [])).join('\n');
}

function expectGolden(name: string, text: string): void {
  const file = join(DIR, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

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
        expectGolden(`${board}-${role}.pipelines.txt`, eachPipeline(graph));
      });
    }
  }
});

describe('golden pipelines of rooms with sound both ways and two screens (software board)', () => {
  const rooms = { broadcast: 'sound-anchor', receive: 'sound-room', playback: 'sound-room' };
  for (const role of ROLES) {
    it(`${rooms[role]} ${role}`, () => {
      const room = loadConfig({ file: join(DIR, `${rooms[role]}.yaml`), env: {} });
      const graph = buildGraph(room, loadBoardProfile('software'), role, {
        media: '/var/lib/classbox/lessons/math-01.mkv',
        echo: { far: 47001, mic: 47002, clean: 47003 },
        soundPorts: { anchor: 47011, 'room-3': 47012 },
      });
      expectGolden(`${rooms[role]}-${role}.txt`, `${graph.printable}\n`);
      expectGolden(`${rooms[role]}-${role}.pipelines.txt`, eachPipeline(graph));
    });
  }
});
