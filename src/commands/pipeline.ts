import type { Config } from '../config/schema.js';
import { screenLines } from '../media/displays.js';
import { buildGraph, canvasOf, channelName, INTER_TIMEOUT_NS } from '../media/graph.js';
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
  // The screens that do not show the lesson: each a feed and a share here, and the display's own process.
  if (role === 'playback' || !config.displays) return;
  const canvas = canvasOf(config);
  for (const d of config.displays.filter((x) => x.shows !== 'lesson')) {
    const channel = (source: string) => channelName(config, source);
    const lines = screenLines(config, d, d.shows, profile, canvas, `/tmp/classbox-screen-${d.name}`, channel, INTER_TIMEOUT_NS);
    process.stdout.write(
      `# screen:${d.name}:feed\n${lines.feed}\n# screen:${d.name}:share\n${lines.share}\n# screen:${d.name}\n${lines.sink}\n`,
    );
  }
}
