import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { configJsonSchema, configSchema, type Config } from './schema.js';
import { applyEnvOverrides } from './env-overrides.js';
import { formatIssues, type ConfigProblem } from './format-issues.js';

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** The YAML file; without it the config comes from the environment (and `base`) alone. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** A document to start from before the file is read (the demo uses it). */
  base?: Record<string, unknown>;
}

let keyCache: { all: Set<string>; top: Set<string> } | undefined;

/** Every property name a JSON schema knows, at any depth, and its top-level ones. */
export function jsonSchemaKeys(schema: { properties: Record<string, unknown> }): { all: Set<string>; top: Set<string> } {
  const all = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const props = (node as { properties?: Record<string, unknown> }).properties;
    if (props) Object.keys(props).forEach((k) => all.add(k));
    Object.values(node).forEach(walk);
  };
  walk(schema);
  return { all, top: new Set(Object.keys(schema.properties)) };
}

/** Every property name the room's schema knows (for env-variable segments, and for the docs check). */
export function schemaKeys(): { all: Set<string>; top: Set<string> } {
  keyCache ??= jsonSchemaKeys(configJsonSchema() as { properties: Record<string, unknown> });
  return keyCache;
}

/** A YAML config file as a plain document; every problem a ConfigError naming the file and line. */
export function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'not found'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : String(code ?? err);
    throw new ConfigError([{ path: `config file ${file}`, message: why }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  const yamlError = doc.errors[0];
  if (yamlError) {
    // Only the first: the parser's later errors are consequences of it.
    const pos = lines.linePos(yamlError.pos[0]);
    const at = `line ${pos.line}, column ${pos.col}`;
    throw new ConfigError([{ path: `config file ${file}`, message: `${at}: ${yamlError.message.split('\n')[0]}` }]);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError([{ path: '(top level)', message: 'expected a mapping of keys' }]);
  }
  return value as Record<string, unknown>;
}

/**
 * A reader of `*File` secrets relative to the config's folder: each failure is a problem naming the key.
 * `mqtt.passwordFile` and `http.tokenFile` (16+ characters) are read at once; the caller reads the rest.
 */
export function secretReader(
  config: {
    mqtt: { passwordFile?: string | undefined; password?: string | undefined };
    http: { tokenFile?: string | undefined; token?: string | undefined };
  },
  baseDir: string,
): { read(path: string, file: string): string | undefined; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const read = (path: string, file: string): string | undefined => {
    try {
      return readFileSync(resolve(baseDir, file), 'utf8').trim();
    } catch (err) {
      problems.push({ path, message: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
      return undefined;
    }
  };
  if (config.mqtt.passwordFile) config.mqtt.password = read('mqtt.passwordFile', config.mqtt.passwordFile);
  if (config.http.tokenFile) {
    config.http.token = read('http.tokenFile', config.http.tokenFile);
    if (config.http.token !== undefined && config.http.token.length < 16) {
      problems.push({ path: 'http.tokenFile', message: 'token must be at least 16 characters' });
    }
  }
  return { read, problems };
}

/** Reads `*File` secrets into their keys, so the rest of the service sees one field. */
function readSecrets(config: Config, baseDir: string): ConfigProblem[] {
  const { read, problems } = secretReader(config, baseDir);
  for (const [name, p] of Object.entries(config.devices.projectors)) {
    if (p.protocol === 'pjlink' && p.passwordFile) p.password = read(`devices.projectors.${name}.passwordFile`, p.passwordFile);
  }
  if (config.upload?.secretAccessKeyFile)
    config.upload.secretAccessKey = read('upload.secretAccessKeyFile', config.upload.secretAccessKeyFile);
  return problems;
}

/** Relative paths in a config file are relative to the file, so a box's config can travel with its media. */
function resolvePaths(config: Config, baseDir: string): void {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  config.dataDir = abs(config.dataDir);
  for (const s of Object.values(config.sources)) if (s.kind === 'file') s.path = abs(s.path);
  for (const o of config.outputs) if (o.kind === 'record' || o.kind === 'hls') o.dir = abs(o.dir);
  const tls = config.mqtt.tls;
  if (tls) for (const k of ['ca', 'cert', 'key'] as const) if (tls[k]) tls[k] = abs(tls[k]);
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const doc: Record<string, unknown> = structuredClone(options.base ?? {});
  if (options.file) Object.assign(doc, readYaml(options.file));
  const keys = schemaKeys();
  const envProblems = applyEnvOverrides(doc, env, keys.all, keys.top);
  if (envProblems.length) throw new ConfigError(envProblems);

  const result = configSchema.safeParse(doc);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, doc));
  const config = result.data;
  const baseDir = options.file ? dirname(resolve(options.file)) : process.cwd();
  resolvePaths(config, baseDir);
  const secretProblems = readSecrets(config, baseDir);
  if (secretProblems.length) throw new ConfigError(secretProblems);
  return config;
}
