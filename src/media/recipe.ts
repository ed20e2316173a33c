import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * A role's recipe (`pipelines/<role>.yaml`): which pipelines the role runs, and which named branches each
 * is made of. The branches themselves are rendered from the room config and the board profile
 * (recipe-branches.ts); a recipe only chooses and orders them. A recipe with a mistake is refused with
 * its file, line and reason, before anything runs.
 */

export const ROLES = ['broadcast', 'receive', 'playback'] as const;
export type Role = (typeof ROLES)[number];

export const PIPELINE_KINDS = ['source', 'composite', 'output', 'display', 'audio', 'speaker'] as const;
export type PipelineKind = (typeof PIPELINE_KINDS)[number];

/** Each branch and the kind of pipeline it belongs in; `network-inline` only in the printable line. */
export const BRANCH_KIND = {
  capture: 'source',
  'source-preview': 'source',
  compose: 'composite',
  'sound-encode': 'composite',
  record: 'composite',
  'service-taps': 'composite',
  'network-inline': null,
  'network-send': 'output',
  microphone: 'audio',
  'speaker-mix': 'speaker',
  lesson: 'display',
  playback: 'display',
} as const satisfies Record<string, PipelineKind | null>;
export type BranchName = keyof typeof BRANCH_KIND;
const BRANCHES = Object.keys(BRANCH_KIND) as [BranchName, ...BranchName[]];
/** Branches the service runs that a one-line equivalent leaves out (it has no appsinks to feed). */
const SERVICE_ONLY: ReadonlySet<BranchName> = new Set(['source-preview', 'service-taps', 'network-send']);

const pipeline = z.strictObject({
  /** `composite`, or `source:{source}` / `output:{output}` for one pipeline per source or output. */
  id: z.string().regex(/^[a-z]+(:\{(source|output)\})?$/, 'a name, or name:{source} / name:{output}'),
  kind: z.enum(PIPELINE_KINDS),
  each: z.enum(['local-source', 'network-output']).optional(),
  when: z.enum(['lesson', 'local-sources', 'microphone', 'classrooms-heard']).optional(),
  branches: z.array(z.enum(BRANCHES)).min(1),
});

const recipeSchema = z
  .strictObject({
    role: z.enum(ROLES),
    /** Which source is the lesson this room plays: the anchor's stream, the first remote source. */
    lesson: z.enum(['first-remote']).optional(),
    /** The layout the composite starts with: the config's, or the first local source alone. */
    layout: z.enum(['configured', 'first-local-alone']),
    pipelines: z.array(pipeline).min(1),
    printable: z.array(z.enum(BRANCHES)).min(1),
  })
  .superRefine((r, ctx) => {
    r.pipelines.forEach((p, i) => {
      const at = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: ['pipelines', i, key], message });
      const perSource = p.id.endsWith(':{source}');
      const perOutput = p.id.endsWith(':{output}');
      if (perSource !== (p.each === 'local-source')) at('each', `${p.id}: {source} in the id goes with each: local-source`);
      if (perOutput !== (p.each === 'network-output')) at('each', `${p.id}: {output} in the id goes with each: network-output`);
      if ((p.kind === 'source') !== perSource)
        at('kind', `a ${p.kind} pipeline ${perSource ? 'is not one per source' : 'is one per source'}`);
      if ((p.kind === 'output') !== perOutput)
        at('kind', `a ${p.kind} pipeline ${perOutput ? 'is not one per output' : 'is one per output'}`);
      p.branches.forEach((b, j) => {
        if (BRANCH_KIND[b] !== p.kind)
          ctx.addIssue({ code: 'custom', path: ['pipelines', i, 'branches', j], message: `${b} is not a branch of a ${p.kind} pipeline` });
      });
    });
    for (const kind of PIPELINE_KINDS)
      if (kind !== 'source' && kind !== 'output' && r.pipelines.filter((p) => p.kind === kind).length > 1)
        ctx.addIssue({ code: 'custom', path: ['pipelines'], message: `more than one ${kind} pipeline` });
    r.printable.forEach((b, j) => {
      if (SERVICE_ONLY.has(b)) ctx.addIssue({ code: 'custom', path: ['printable', j], message: `${b} runs only in the service` });
      else if (!r.pipelines.some((p) => p.kind === (BRANCH_KIND[b] ?? 'composite')))
        ctx.addIssue({
          code: 'custom',
          path: ['printable', j],
          message: `${b}: the recipe has no ${BRANCH_KIND[b] ?? 'composite'} pipeline`,
        });
    });
    if (r.role === 'receive' && !r.lesson) ctx.addIssue({ code: 'custom', path: ['lesson'], message: 'a receiving room plays a lesson' });
  });

export type Recipe = z.output<typeof recipeSchema>;
export type RecipePipeline = Recipe['pipelines'][number];

const previewSchema = z.strictObject({
  width: z.number().int().min(16).max(1920).multipleOf(2),
  height: z.number().int().min(16).max(1080).multipleOf(2),
  fps: z.number().int().min(1).max(60),
});
export type PreviewRecipe = z.output<typeof previewSchema>;

export const RECIPE_DIR = fileURLToPath(new URL('../../pipelines/', import.meta.url));

export class RecipeError extends Error {}

/** Parses and checks one recipe file; a mistake is a RecipeError naming the file, the line and why. */
function loadChecked<T>(file: string, schema: z.ZodType<T>): T {
  const lines = new LineCounter();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RecipeError(`${file}: ${(err as Error).message}`);
  }
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new RecipeError(`${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
  }
  const result = schema.safeParse(doc.toJS());
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  // The line of the deepest part of the path the file has.
  let line = 1;
  for (let n = issue.path.length; n >= 0; n--) {
    const node = doc.getIn(issue.path.slice(0, n) as Array<string | number>, true) as { range?: [number, number, number] } | undefined;
    if (node?.range) {
      line = lines.linePos(node.range[0]).line;
      break;
    }
  }
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw new RecipeError(`${file}:${line}: ${where}${issue.message}`);
}

const cache = new Map<string, unknown>();

/** A recipe file read and checked once per process. */
function cached<T>(file: string, schema: z.ZodType<T>): T {
  if (!cache.has(file)) cache.set(file, loadChecked(file, schema));
  return cache.get(file) as T;
}

/** The role's recipe from `pipelines/`. */
export function loadRecipe(role: Role, dir = RECIPE_DIR): Recipe {
  const file = join(dir, `${role}.yaml`);
  const recipe = cached(file, recipeSchema);
  if (recipe.role !== role) throw new RecipeError(`${file}: role is ${recipe.role}, expected ${role}`);
  return recipe;
}

/** The preview's size and rate from `pipelines/preview.yaml`. */
export function loadPreviewRecipe(dir = RECIPE_DIR): PreviewRecipe {
  return cached(join(dir, 'preview.yaml'), previewSchema);
}
