import { createHash } from 'node:crypto';

/**
 * PJLink class 1, pure. Frame: `%1` + 4-letter command + space + parameter + CR; answers
 * `%1CMND=value` or `=ERRn`. The projector speaks first: `PJLINK 0` (no authentication) or
 * `PJLINK 1 <8-char random>`, to which the controller answers with lowercase hex
 * MD5(random + password) directly followed by its first command. Facts: protocols.md §3.
 */

export type Greeting = { auth: false } | { auth: true; random: string } | { error: 'auth' } | { unknown: string };

export function parseGreeting(line: string): Greeting {
  if (line === 'PJLINK 0') return { auth: false };
  const m = /^PJLINK 1 (.{8})$/.exec(line);
  if (m) return { auth: true, random: m[1]! };
  if (line === 'PJLINK ERRA') return { error: 'auth' };
  return { unknown: line };
}

export function authDigest(random: string, password: string): string {
  return createHash('md5')
    .update(random + password, 'latin1')
    .digest('hex');
}

export const COMMANDS = ['POWR', 'INPT', 'AVMT', 'ERST', 'LAMP', 'INST', 'NAME', 'INF1', 'INF2', 'INFO', 'CLSS'] as const;
export type PjlinkCommand = (typeof COMMANDS)[number];

export function encodeCommand(command: PjlinkCommand, parameter: string): string {
  if (!/^[\x20-\x7e]{1,128}$/.test(parameter)) throw new RangeError('PJLink parameters are 1-128 printable characters');
  return `%1${command} ${parameter}\r`;
}

export const ERRORS = {
  ERR1: 'undefined command',
  ERR2: 'out of parameter',
  ERR3: 'unavailable time (warming up or cooling down)',
  ERR4: 'projector failure',
  ERRA: 'authentication error',
} as const;

export type Answer = { command: string; ok: true; value: string } | { command: string; ok: false; error: keyof typeof ERRORS };

/** `%1POWR=1` -> { command: 'POWR', value: '1' }; undefined for lines that are not answers. */
export function parseAnswer(line: string): Answer | undefined {
  const m = /^%[12]([A-Z0-9]{4})=(.*)$/.exec(line);
  if (!m) return undefined;
  const value = m[2]!;
  if (value in ERRORS) return { command: m[1]!, ok: false, error: value as keyof typeof ERRORS };
  return { command: m[1]!, ok: true, value };
}

export const POWER_STATES = { '0': 'standby', '1': 'on', '2': 'cooling', '3': 'warming' } as const;
export type PjlinkPower = (typeof POWER_STATES)[keyof typeof POWER_STATES];

/** `LAMP` answer: "hours on/off" pairs, one per lamp. */
export function parseLamps(value: string): Array<{ hours: number; on: boolean }> {
  const parts = value.trim().split(/\s+/);
  const lamps: Array<{ hours: number; on: boolean }> = [];
  for (let i = 0; i + 1 < parts.length; i += 2) lamps.push({ hours: Number(parts[i]), on: parts[i + 1] === '1' });
  return lamps.filter((l) => Number.isFinite(l.hours));
}

const ERST_PARTS = ['fan', 'lamp', 'temperature', 'cover', 'filter', 'other'] as const;
const ERST_LEVELS = { '0': 'ok', '1': 'warning', '2': 'error' } as const;

/** `ERST` answer: six digits, fan/lamp/temperature/cover/filter/other, each 0 ok / 1 warning / 2 error. */
export function parseErrorStatus(value: string): Record<(typeof ERST_PARTS)[number], 'ok' | 'warning' | 'error' | 'unknown'> {
  return Object.fromEntries(ERST_PARTS.map((p, i) => [p, ERST_LEVELS[value[i] as keyof typeof ERST_LEVELS] ?? 'unknown'])) as never;
}
