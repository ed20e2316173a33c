import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';

/** Exit code for bad arguments or config (CONTRACT §2): nothing is started. */
export const EXIT_USAGE = 2;

/** Loads the config, or prints one line per problem with its key path and exits 2. */
export function loadConfigOrExit(file: string | undefined): Config {
  try {
    return loadConfig(file === undefined ? {} : { file });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`${p.path}: ${p.message}\n`);
      process.exit(EXIT_USAGE);
    }
    throw err;
  }
}
