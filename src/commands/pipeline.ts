import type { Config } from '../config/schema.js';
import { buildGraph } from '../media/graph.js';
import { launchString } from '../media/launch.js';
import { resolveProfile } from '../media/resolve-profile.js';

export interface PipelineOptions {
  role?: 'broadcast' | 'receive' | 'playback';
  media?: string;
  /** Print each pipeline the service runs separately instead of the one-line equivalent. */
  parts?: boolean;
}

/**
 * Prints the gst-launch-1.0 line of the room: the same elements the service builds, as one runnable
 * graph. The service runs it as separate pipelines (each source, the composite, each network output)
 * joined by intervideo channels and appsink/appsrc, so a failing part never stops the rest; `--parts`
 * prints those.
 */
export async function printPipeline(config: Config, options: PipelineOptions): Promise<void> {
  const { profile } = await resolveProfile(config);
  const role = options.role ?? config.role;
  const graph = buildGraph(config, profile, role, options.media === undefined ? {} : { media: options.media });
  if (!options.parts) {
    process.stdout.write(`${graph.printable}\n`);
    return;
  }
  const all = [...graph.sources, ...(graph.main ? [graph.main] : []), ...graph.outputs, ...(graph.display ? [graph.display] : [])];
  for (const spec of all) process.stdout.write(`# ${spec.id}\n${launchString(spec.tokens)}\n`);
}
