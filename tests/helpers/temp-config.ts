import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export function tempDir(prefix = 'classbox-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a config file (an object is written as YAML, a string as it is) and returns its path. */
export function writeTempConfig(content: string | Record<string, unknown>, name = 'classbox.yaml'): string {
  const file = join(tempDir('classbox-config-'), name);
  writeFileSync(file, typeof content === 'string' ? content : stringify(content));
  return file;
}

/** The smallest valid config, pointing at a broker. */
export function minimalConfig(mqttUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { site: 'test-school', room: 'room-1', mqtt: { url: mqttUrl }, dataDir: tempDir('classbox-data-'), ...extra };
}
