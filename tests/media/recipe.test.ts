import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPreviewRecipe, loadRecipe, RECIPE_DIR, RecipeError, ROLES } from '../../src/media/recipe.js';
import { tempDir } from '../helpers/temp-config.js';

/** A copy of the recipes with one file changed: `edit` gets the file's text and returns the new text. */
function recipesWith(file: string, edit: (text: string) => string): string {
  const dir = tempDir();
  for (const f of [...ROLES.map((r) => `${r}.yaml`), 'preview.yaml']) copyFileSync(join(RECIPE_DIR, f), join(dir, f));
  writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('pipeline recipes (pipelines/*.yaml)', () => {
  it('every role has one, and each is valid', () => {
    for (const role of ROLES) expect(loadRecipe(role).role).toBe(role);
    expect(loadPreviewRecipe()).toEqual({ width: 640, height: 360, fps: 15 });
  });

  it('a misspelt branch is refused with its file, line and the branches there are', () => {
    const dir = recipesWith('broadcast.yaml', (t) => t.replace('[capture, source-preview]', '[captur, source-preview]'));
    const text = readFileSync(join(dir, 'broadcast.yaml'), 'utf8');
    expect(() => loadRecipe('broadcast', dir)).toThrow(RecipeError);
    expect(() => loadRecipe('broadcast', dir)).toThrow(
      new RegExp(`broadcast\\.yaml:${lineOf(text, 'captur,')}: pipelines\\.0\\.branches\\.0: .*capture`),
    );
  });

  it('a branch in a pipeline it does not belong in, a printed branch only the service runs, YAML that does not parse', () => {
    const wrongKind = recipesWith('receive.yaml', (t) => t.replace('branches: [microphone]', 'branches: [speaker-mix]'));
    expect(() => loadRecipe('receive', wrongKind)).toThrow(
      /receive\.yaml:\d+: pipelines\.4\.branches\.0: speaker-mix is not a branch of a audio pipeline/,
    );
    const serviceOnly = recipesWith('playback.yaml', (t) => t.replace('printable: [playback]', 'printable: [playback, service-taps]'));
    expect(() => loadRecipe('playback', serviceOnly)).toThrow(/playback\.yaml:\d+: printable\.1: service-taps runs only in the service/);
    const broken = recipesWith('playback.yaml', (t) => t.replace('kind: display', 'kind: [display'));
    expect(() => loadRecipe('playback', broken)).toThrow(/playback\.yaml:\d+: /);
  });

  it('one pipeline per source needs {source} in its id, and a receiving room needs its lesson', () => {
    const noPlaceholder = recipesWith('broadcast.yaml', (t) => t.replace('id: "source:{source}"', 'id: source'));
    expect(() => loadRecipe('broadcast', noPlaceholder)).toThrow(
      /pipelines\.0\.each: source: \{source\} in the id goes with each: local-source/,
    );
    const noLesson = recipesWith('receive.yaml', (t) => t.replace('lesson: first-remote\n', ''));
    expect(() => loadRecipe('receive', noLesson)).toThrow(/receive\.yaml:\d+: lesson: a receiving room plays a lesson/);
  });

  it('a preview size that is not even is refused', () => {
    const dir = recipesWith('preview.yaml', (t) => t.replace('width: 640', 'width: 641'));
    expect(() => loadPreviewRecipe(dir)).toThrow(/preview\.yaml:\d+: width: /);
  });
});
