import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { tempDir } from './temp-dir.js';

export { tempDir };

/** Writes a config file (an object is written as YAML, a string as it is) and returns its path. */
export function writeTempConfig(content: string | Record<string, unknown>, name = 'classbox.yaml'): string {
  const file = join(tempDir('classbox-config-'), name);
  writeFileSync(file, typeof content === 'string' ? content : stringify(content));
  return file;
}

/** The smallest valid config, pointing at a broker. */
let portTurn = 0;
/**
 * A port for a box's technician page that no other test file is likely to take: the default 8080 is
 * the demo's (`npm start`), and a test that ran `classbox run` on it beside the demo's test made one of
 * the two fail to listen.
 */
function pagePort(): number {
  return 20_000 + ((process.pid * 97 + portTurn++ * 7919) % 40_000);
}

export function minimalConfig(mqttUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    site: 'test-school',
    room: 'room-1',
    mqtt: { url: mqttUrl },
    dataDir: tempDir('classbox-data-'),
    http: { host: '127.0.0.1', port: pagePort() },
    ...extra,
  };
}

/**
 * A room as the tests write it: the software profile, a data folder of its own, the broker, and the
 * rest as given (`httpPort` puts the page on 127.0.0.1 at that port).
 */
export function roomConfig(
  site: string,
  room: string,
  mqttUrl: string,
  extra: Record<string, unknown> & { httpPort?: number },
): Record<string, unknown> {
  const { httpPort, ...rest } = extra;
  return {
    site,
    room,
    profile: 'software',
    dataDir: tempDir(),
    mqtt: { url: mqttUrl },
    ...(httpPort !== undefined ? { http: { host: '127.0.0.1', port: httpPort } } : {}),
    ...rest,
  };
}
