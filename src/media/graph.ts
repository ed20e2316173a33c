import type { PaceSpec } from './lead-pace.js';
import { lessonPace } from './lesson.js';
import { networkOutputs, type Config, type SourceConfig } from '../config/schema.js';
import { singleLayout } from '../core/layout-names.js';
import { hasAudio } from './audio.js';
import type { EchoPorts } from './echo/echo-link.js';
import { pipelineTokens, shellLine, type Chain } from './launch.js';
import type { BoardProfile } from './profiles.js';
import { BRANCH_KIND, loadRecipe, type PipelineKind, type Recipe, type RecipePipeline, type Role } from './recipe.js';
import { BRANCHES, canvasOf, channelName, type BranchContext } from './recipe-branches.js';
import { recordingPrefix } from './recording-names.js';
import { demuxHead, isSrtListener, soundChannel, sourceOut } from './sources.js';

export { PREVIEW } from './preview-branch.js';
export { canvasOf, channelName, INTER_TIMEOUT_NS } from './recipe-branches.js';
export type { NetworkOutput } from '../config/schema.js';

export interface PipelineSpec {
  /** Stable id: `source:<name>`, `composite`, `output:<name>`, `receive`, `playback`, `audio`, `speaker`. */
  id: string;
  kind: PipelineKind;
  tokens: string[];
  /** A lesson played earlier by what it has to spare: what its pipeline's pace reads and moves (see LeadPace). */
  pace?: PaceSpec;
}

/** A local source's own pipeline: its frames leave by `out`; a remote one (another classroom) says how it connects. */
export interface SourceSpec extends PipelineSpec {
  kind: 'source';
  name: string;
  out: string;
  remote: { srtListener: boolean } | null;
}

export interface OutputSpec extends PipelineSpec {
  kind: 'output';
  name: string;
}

export interface MediaGraph {
  role: Role;
  sources: SourceSpec[];
  main: PipelineSpec | null;
  outputs: OutputSpec[];
  /** The display pipeline of the receive and playback roles. */
  display: PipelineSpec | null;
  /** The audio device's own pipeline, when `audio.device` is not none. */
  audio: PipelineSpec | null;
  /** The anchor's speakers: the remote classrooms' sound mixed, when there are remote sources. */
  speaker: PipelineSpec | null;
  /** Source names in compositor pad order (sink_0, sink_1, ...). */
  padOrder: string[];
  /** Each composed source's compositor pad (`sink_0`...). */
  pads: Record<string, string>;
  /** The whole graph as one runnable gst-launch-1.0 line. */
  printable: string;
}

export interface GraphOptions {
  /** The layout to build with (the live one, which `layout/set` may have changed). */
  layout?: string;
  /** Recording file prefix, e.g. `demo-school-room-101-20261123-080000`. */
  filePrefix?: string;
  /** For playback: the file or URL to play. */
  media?: string;
  /** Whether the record outputs are in the composite (a box records during classes). Default true. */
  record?: boolean;
  /** The speakers to play the lesson on, when not `audio.speaker` (`none` after the device failed). */
  speaker?: string;
  /** What each screen shows now (`display/set` may have changed it); default: the config's. */
  displays?: Record<string, string>;
  /** The echo canceller's ports, when it runs: the microphone goes through it, and what is played is sent to it. */
  echo?: EchoPorts;
  /** Each remote source's sound link to the speakers (loopback UDP port, by source name); an interaudio store without. */
  soundPorts?: Record<string, number>;
}

/**
 * The layout a role starts with, as its recipe says. In the receive role the anchor's lesson is on the
 * display and the composite carries only what goes back to the anchor: the first local source alone.
 */
export function initialLayout(config: Config, role: Role): string {
  const recipe = loadRecipe(role);
  if (recipe.layout !== 'first-local-alone') return config.layout;
  const lesson = lessonSource(config, recipe)?.[0];
  const first = Object.keys(config.sources).find((n) => n !== lesson);
  return first ? singleLayout(first) : config.layout;
}

/** The source the role plays as its lesson, as its recipe says: the anchor's stream, the first remote source. */
function lessonSource(config: Config, recipe: Recipe): [string, SourceConfig] | undefined {
  return recipe.lesson === 'first-remote' ? Object.entries(config.sources).find(([, s]) => s.kind === 'remote') : undefined;
}

/** Whether a pipeline of the recipe is made for this room, as its `when` says. */
function wanted(p: Pick<RecipePipeline, 'when'>, c: BranchContext): boolean {
  switch (p.when) {
    case undefined:
      return true;
    case 'lesson':
      return c.lesson !== undefined;
    case 'local-sources':
      return c.local.length > 0;
    case 'microphone':
      return c.local.length > 0 && hasAudio(c.config);
    case 'classrooms-heard':
      return c.heard.length > 0;
  }
}

/** The contexts a pipeline is rendered in: one per local source or network output, or just one. */
function instances(p: Pick<RecipePipeline, 'each'>, c: BranchContext): BranchContext[] {
  if (p.each === 'local-source') return c.local.map((source) => ({ ...c, source }));
  // Network outputs are fed by the composite's encode: none without one.
  if (p.each === 'network-output') return c.local.length > 0 ? networkOutputs(c.config).map((output) => ({ ...c, output })) : [];
  return [c];
}

function render(p: RecipePipeline, c: BranchContext): Chain[] {
  return p.branches.reduce<Chain[]>((chains, b) => BRANCHES[b](c, chains), []);
}

/** The room's part in the role: which source is its lesson, which it composes, which classrooms it hears. */
function roomContext(
  config: Config,
  recipe: Recipe,
  profile: BoardProfile,
  options: GraphOptions,
  form: BranchContext['form'],
): BranchContext {
  const lesson = lessonSource(config, recipe);
  const local = Object.entries(config.sources).filter(([n]) => n !== lesson?.[0]);
  // The classrooms heard: every remote source that sends sound over a stream the box can demux.
  const heard = local
    .filter(([, s]) => s.kind === 'remote' && demuxHead(s.url, s.latencyMs, 'x') !== null)
    .map(([n]) => ({ channel: soundChannel(channelName(config, n)), port: options.soundPorts?.[n] }));
  return {
    config,
    profile,
    canvas: canvasOf(config),
    form,
    layout: options.layout ?? initialLayout(config, recipe.role),
    filePrefix: options.filePrefix ?? recordingPrefix(config, undefined, new Date(0)),
    record: form === 'printable' || (options.record ?? true),
    speaker: options.speaker ?? config.audio.speaker,
    displays: options.displays,
    echo: options.echo,
    soundPorts: options.soundPorts,
    media: options.media ?? 'file:///dev/null',
    lesson: lesson as BranchContext['lesson'],
    local,
    heard,
  };
}

/** Renders every pipeline the service runs for the role, as its recipe (`pipelines/<role>.yaml`) says, and the one-line equivalent. */
export function buildGraph(config: Config, profile: BoardProfile, role: Role, options: GraphOptions = {}): MediaGraph {
  const recipe = loadRecipe(role);
  const c = roomContext(config, recipe, profile, options, 'service');
  const graph: MediaGraph = {
    role,
    sources: [],
    main: null,
    outputs: [],
    display: null,
    audio: null,
    speaker: null,
    padOrder: c.local.map(([n]) => n),
    pads: Object.fromEntries(c.local.map(([n], i) => [n, `sink_${i}`])),
    printable: '',
  };
  for (const p of recipe.pipelines) {
    if (!wanted(p, c)) continue;
    for (const at of instances(p, c)) {
      const name = at.source?.[0] ?? at.output?.name;
      const spec = { id: name ? p.id.replace(/\{(source|output)\}/, name) : p.id, kind: p.kind, tokens: pipelineTokens(render(p, at)) };
      if (p.kind === 'source') {
        const source = at.source![1];
        graph.sources.push({
          ...spec,
          kind: 'source',
          name: name!,
          out: sourceOut(name!),
          remote: source.kind === 'remote' ? { srtListener: isSrtListener(source.url) } : null,
        });
      } else if (p.kind === 'output') graph.outputs.push({ ...spec, kind: 'output', name: name! });
      else if (p.kind === 'composite') graph.main = spec;
      else if (p.kind === 'display' && c.lesson) {
        // Decided with the chains themselves (lessonChains): probes in the line and a pace for them go together.
        const pace = lessonPace(c.lesson[0], c.lesson[1], options.echo?.far !== undefined);
        graph.display = pace ? { ...spec, pace } : spec;
      } else graph[p.kind] = spec;
    }
  }
  // The one line: each printable branch where the pipeline of its kind would be made, in the recipe's order.
  const printed = roomContext(config, recipe, profile, options, 'printable');
  const chains = recipe.printable.flatMap((b) => {
    const p = recipe.pipelines.find((x) => x.kind === (BRANCH_KIND[b] ?? 'composite'));
    if (!p || !wanted(p, printed)) return [];
    return instances(p, printed).flatMap((at) => BRANCHES[b](at, []));
  });
  graph.printable = shellLine(pipelineTokens(chains));
  return graph;
}
