import { parse as parseYaml } from 'yaml';
import type { ConfigProblem } from './format-issues.js';

/**
 * `CLASSBOX_<KEY>__<KEY>=value` overrides any config key, so Balena device and fleet variables can
 * configure a box. Segments match keys case-insensitively, ignoring `_` and `-`
 * (`CLASSBOX_MQTT__TELEMETRY_INTERVAL_S` -> mqtt.telemetryIntervalS); a segment that names no known key
 * becomes a name (`TEACHER_CAM` -> `teacher-cam`); a number indexes a list (`CLASSBOX_OUTPUTS__0__URL`).
 * Values are read as YAML scalars or flow collections (`9600`, `true`, `[mon, fri]`).
 *
 * Variables without `__` are overrides only when they name a top-level key (`CLASSBOX_ROOM`); others
 * (`CLASSBOX_TEST_VISCA_PORT`, `CLASSBOX_CONFIG`) belong to other uses and are left alone.
 */
const PREFIX = 'CLASSBOX_';
/** The centre's service reads its own variables (`CLASSBOX_CENTRAL_MQTT__URL`); a box leaves them alone. */
export const CENTRAL_PREFIX = 'CLASSBOX_CENTRAL_';

/** Values of these keys stay strings even when they look like numbers or booleans. */
const STRING_KEYS = new Set([
  'password',
  'username',
  'token',
  'clientId',
  'host',
  'url',
  'site',
  'room',
  'name',
  'path',
  'dir',
  'commandSet',
]);

const normalize = (s: string) => s.toLowerCase().replace(/[_-]/g, '');

export function applyEnvOverrides(
  doc: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  knownKeys: ReadonlySet<string>,
  topLevelKeys: ReadonlySet<string>,
  prefix = PREFIX,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const byNormal = new Map([...knownKeys].map((k) => [normalize(k), k]));
  const topNormal = new Set([...topLevelKeys].map(normalize));

  for (const [variable, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!variable.startsWith(prefix) || raw === undefined) continue;
    if (prefix === PREFIX && variable.startsWith(CENTRAL_PREFIX)) continue;
    const segments = variable.slice(prefix.length).split('__');
    if (segments.length === 1 && !topNormal.has(normalize(segments[0]!))) continue;
    if (segments.some((s) => s === '')) {
      problems.push({ path: variable, message: 'empty key segment (use one "__" between keys)' });
      continue;
    }
    let node: Record<string, unknown> | unknown[] = doc;
    const path: string[] = [];
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const last = i === segments.length - 1;
      let key: string | number;
      if (Array.isArray(node)) {
        if (!/^\d+$/.test(segment)) {
          problems.push({ path: variable, message: `"${segment}" must be a list index at ${path.join('.')}` });
          break;
        }
        key = Number(segment);
      } else {
        const existing = Object.keys(node).find((k) => normalize(k) === normalize(segment));
        key = existing ?? byNormal.get(normalize(segment)) ?? segment.toLowerCase().replace(/_/g, '-');
      }
      path.push(String(key));
      const container = node as Record<string | number, unknown>;
      if (last) {
        container[key] = parseValue(raw, typeof key === 'string' && STRING_KEYS.has(key), container[key]);
      } else {
        const next = container[key];
        if (next === undefined || next === null) container[key] = /^\d+$/.test(segments[i + 1]!) ? [] : {};
        else if (typeof next !== 'object') {
          problems.push({ path: variable, message: `${path.join('.')} is a value, not a mapping` });
          break;
        }
        node = container[key] as Record<string, unknown> | unknown[];
      }
    }
  }
  return problems;
}

function parseValue(raw: string, keepString: boolean, previous: unknown): unknown {
  if (keepString || typeof previous === 'string') return raw;
  try {
    return parseYaml(raw) ?? raw;
  } catch {
    return raw;
  }
}
