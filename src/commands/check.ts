import type { Config } from '../config/schema.js';
import { buildGraph } from '../media/graph.js';
import { LaunchError } from '../media/launch.js';
import { loadBoardProfile } from '../media/profiles.js';

/**
 * What `run` would refuse beyond the schema: the room's pipelines rendered as the service renders
 * them (every role's, on the configured profile or the software one for `auto`), so that `check`
 * refuses exactly what `run` refuses. Returns one line per problem.
 */
export function pipelineProblems(config: Config): string[] {
  if (Object.keys(config.sources).length === 0) return [];
  const profile = loadBoardProfile(config.profile === 'auto' ? 'software' : config.profile);
  try {
    buildGraph(config, profile, config.role);
    return [];
  } catch (err) {
    if (err instanceof LaunchError) return [`pipeline: ${err.message}`];
    throw err;
  }
}
