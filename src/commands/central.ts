import { ConfigError } from '../config/load.js';
import { loadCentralConfig } from '../central/config.js';
import { startCentral } from '../central/service.js';
import { createLogger } from '../core/log.js';
import { EXIT_USAGE } from './config-or-exit.js';

/** `classbox central --config central.yaml`: runs until SIGINT or SIGTERM. */
export async function runCentral(file: string | undefined): Promise<void> {
  let config;
  try {
    config = loadCentralConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`${p.path}: ${p.message}\n`);
      process.exit(EXIT_USAGE);
    }
    throw err;
  }
  const log = createLogger({ level: config.log.level, pretty: process.stdout.isTTY === true }).child({ service: 'classbox-central' });
  let central;
  try {
    central = await startCentral(config, log);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`classbox central: ${e.code === 'EADDRINUSE' ? `port ${config.http.port} is in use (http.port)` : e.message}\n`);
    process.exit(1);
  }
  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await central.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
