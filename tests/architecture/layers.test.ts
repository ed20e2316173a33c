import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * The folders of src/, lowest first: a file may import from its own folder and from folders below it,
 * never from above (a part low down that knows a part above it cannot be understood, tested or
 * replaced alone). docs/architecture.md says what each is for.
 */
export const LAYERS = [
  'core',
  'transports',
  'protocols',
  'board',
  'config',
  'requests',
  'sim',
  'devices',
  'media',
  'recording',
  'mqtt',
  'schedule',
  'fleet',
  'features',
  'webrtc',
  'http',
  'doctor',
  'central',
  'app.ts',
  'commands',
  'cli.ts',
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of each file under src/, as paths relative to src/ (`import type` included). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^(?:import|export)[^'"]*?from '(\.[^']+)'/gm)].map((m) =>
      relative(SRC, normalize(join(dirname(file), m[1]!))).replace(/\.js$/, '.ts'),
    );
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

const layerOf = (file: string) => {
  const top = file.includes('/') ? file.split('/')[0]! : file;
  const i = LAYERS.indexOf(top);
  if (i < 0) throw new Error(`${file}: its folder is in no layer (add it to LAYERS and docs/architecture.md)`);
  return i;
};

describe('the layers of src/', () => {
  const graph = importGraph();

  it('every import goes to the same folder or one below it', () => {
    const upward = [...graph].flatMap(([file, targets]) => targets.filter((t) => layerOf(t) > layerOf(file)).map((t) => `${file} -> ${t}`));
    expect(upward).toEqual([]);
  });

  it('no file imports itself through others', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      state.set(file, 'open');
      for (const t of graph.get(file) ?? []) {
        if (state.get(t) === 'open') cycles.push([...path.slice(path.indexOf(t)), t].join(' -> '));
        else if (!state.has(t)) visit(t, [...path, t]);
      }
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
    expect(cycles).toEqual([]);
  });

  it('finds an upward import when there is one (the check is not vacuous)', () => {
    expect(layerOf('features/classroom.ts')).toBeGreaterThan(layerOf('recording/recorder.ts'));
    expect([...graph.values()].flat().length).toBeGreaterThan(200);
  });
});
