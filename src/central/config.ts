import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { filePath, host, tcpPort, url } from '../config/fields.js';
import { applyEnvOverrides, CENTRAL_PREFIX } from '../config/env-overrides.js';
import { formatIssues } from '../config/format-issues.js';
import { ConfigError, jsonSchemaKeys, readYaml, secretReader } from '../config/load.js';
import { isLoopback, mqttTls } from '../config/service-schema.js';

/** The centre's service: `classbox central --config central.yaml` (docs/central.md). */
export const centralConfigSchema = z.strictObject({
  mqtt: z
    .strictObject({
      url: url(['mqtt', 'mqtts']).default('mqtt://127.0.0.1:1883'),
      username: z.string().min(1).max(128).optional(),
      password: z.string().max(256).optional(),
      passwordFile: filePath().optional(),
      clientId: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 letters, digits or _.:-')
        .default('classbox-central'),
      prefix: z
        .string()
        .regex(/^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/, 'must be topic levels of [a-z0-9_-] joined by /')
        .default('classbox'),
      /** `$share/<group>/…` subscriptions, so that several `central` instances split the fleet (MQTT 5 brokers). */
      sharedGroup: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
        .optional(),
      keepaliveS: z.number().int().min(5).max(600).default(30),
      tls: mqttTls().optional(),
    })
    .refine((m) => !(m.password !== undefined && m.passwordFile !== undefined), {
      path: ['passwordFile'],
      message: 'give password or passwordFile, not both',
    })
    .refine((m) => m.tls === undefined || m.url.startsWith('mqtts://'), { path: ['tls'], message: 'tls needs an mqtts:// url' })
    .default({ url: 'mqtt://127.0.0.1:1883', clientId: 'classbox-central', prefix: 'classbox', keepaliveS: 30 }),
  http: z
    .strictObject({
      host: host().default('127.0.0.1'),
      port: tcpPort().default(8090),
      token: z.string().min(16, 'must be at least 16 characters').optional(),
      tokenFile: filePath().optional(),
    })
    .refine((h) => isLoopback(h.host) || h.token !== undefined || h.tokenFile !== undefined, {
      path: ['token'],
      message: 'required when host is not loopback (127.0.0.1, ::1): the fleet must not be open to the whole network',
    })
    .default({ host: '127.0.0.1', port: 8090 }),
  /** A SQLite file (created on first start), or a PostgreSQL database as `postgres://user:password@host:port/db`. */
  database: z
    .string()
    .min(1)
    .max(1024)
    .refine(
      (d) => !/^[a-z]+:\/\//.test(d) || /^postgres(ql)?:\/\/[^/]+\/[^/?#]+/.test(d),
      'a SQLite file path, or postgres://user@host:port/database',
    )
    .default('./central.db'),
  /** How often the boxes send telemetry (their `mqtt.telemetryIntervalS`): three intervals of silence is a fault. */
  telemetryIntervalS: z.number().int().min(1).max(3600).default(10),
  /** Raw events kept this long (faults and lessons are kept). */
  eventRetentionDays: z.number().int().min(1).max(3650).default(30),
  /** A box at or above this temperature is overheating. */
  overheatC: z.number().min(40).max(120).default(80),
  /** A box's clock this far from the centre's is not synchronised. */
  clockSkewS: z.number().min(1).max(3600).default(30),
  /** How long a room's answer to a request is awaited. */
  requestTimeoutS: z.number().min(1).max(300).default(10),
  log: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') }).default({ level: 'info' }),
});

export type CentralConfig = z.infer<typeof centralConfigSchema>;

/** The YAML file, `CLASSBOX_CENTRAL_<KEY>__<KEY>` overrides, secrets from files, paths relative to the file. */
export function loadCentralConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CentralConfig {
  const doc = file ? readYaml(file) : {};
  const keys = jsonSchemaKeys(z.toJSONSchema(centralConfigSchema, { io: 'input' }) as { properties: Record<string, unknown> });
  const envProblems = applyEnvOverrides(doc, env, keys.all, keys.top, CENTRAL_PREFIX);
  if (envProblems.length) throw new ConfigError(envProblems);
  const result = centralConfigSchema.safeParse(doc);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, doc));
  const config = result.data;
  const baseDir = file ? dirname(resolve(file)) : process.cwd();
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  if (!/^postgres(ql)?:\/\//.test(config.database)) config.database = abs(config.database);
  const { problems } = secretReader(config, baseDir);
  const tls = config.mqtt.tls;
  if (tls) for (const k of ['ca', 'cert', 'key'] as const) if (tls[k]) tls[k] = abs(tls[k]);
  if (problems.length) throw new ConfigError(problems);
  return config;
}
