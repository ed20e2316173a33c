import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCentralConfig } from '../../src/central/config.js';
import { ConfigError } from '../../src/config/load.js';
import { loadConfig } from '../../src/config/load.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeTempConfig } from '../helpers/temp-config.js';

const problems = (run: () => unknown): string[] => {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
};

describe("the centre's config", () => {
  it('has defaults for everything, the database beside the file', () => {
    const dir = tempDir();
    const file = join(dir, 'central.yaml');
    writeFileSync(file, '');
    const c = loadCentralConfig(file, {});
    expect(c.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', prefix: 'classbox', clientId: 'classbox-central' });
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 8090 });
    expect(c.database).toBe(join(dir, 'central.db'));
  });

  it('takes CLASSBOX_CENTRAL_ variables, and a box leaves them alone', () => {
    const file = writeTempConfig({ http: { port: 9000 } }, 'central.yaml');
    const env = { CLASSBOX_CENTRAL_HTTP__PORT: '9100', CLASSBOX_CENTRAL_MQTT__URL: 'mqtt://broker.example:1883' };
    const c = loadCentralConfig(file, env);
    expect(c.http.port).toBe(9100);
    expect(c.mqtt.url).toBe('mqtt://broker.example:1883');
    const box = loadConfig({ file: writeTempConfig({ site: 's', room: 'r' }), env });
    expect(box.http.port).toBe(8080);
  });

  it('says what is wrong, key by key', () => {
    expect(problems(() => loadCentralConfig(writeTempConfig({ http: { host: '0.0.0.0' } }, 'central.yaml'), {}))).toEqual([
      'http.token: required when host is not loopback (127.0.0.1, ::1): the fleet must not be open to the whole network',
    ]);
    expect(problems(() => loadCentralConfig(writeTempConfig({ database: 'mysql://centre@db/classbox' }, 'central.yaml'), {}))).toEqual([
      'database: a SQLite file path, or postgres://user@host:port/database',
    ]);
    expect(loadCentralConfig(writeTempConfig({ database: 'postgres://centre@db:5432/classbox' }, 'central.yaml'), {}).database).toBe(
      'postgres://centre@db:5432/classbox',
    );
    expect(problems(() => loadCentralConfig(writeTempConfig({ mqtt: { url: 'http://x' }, telemetry: 1 }, 'central.yaml'), {})).length).toBe(
      2,
    );
  });

  it('the bin exits 2 with one line per problem and starts nothing', async () => {
    const r = await runCli(['central', '--config', writeTempConfig({ http: { port: 0 } }, 'central.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('http.port: must be >= 1');
  });
});

describe('examples/central.yaml', () => {
  it('loads as it is shipped', () => {
    const c = loadCentralConfig(join(import.meta.dirname, '../../examples/central.yaml'), {});
    expect(c.database).toBe(join(import.meta.dirname, '../../examples/central.db'));
    expect(c.telemetryIntervalS).toBe(10);
  });
});
