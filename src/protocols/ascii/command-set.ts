import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * A projector brand's ASCII RS-232 commands as data (device-profiles/projectors/*.yaml), so that a new
 * brand is a YAML file, not code. `{id}` in a command is the projector ID (two digits), `{input}` the
 * input code.
 */
const regex = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

const action = z.strictObject({ send: z.string().min(1), expect: regex.optional() });
const query = z.strictObject({
  send: z.string().min(1),
  reply: regex,
  values: z.record(z.string(), z.enum(['on', 'standby', 'warming', 'cooling', 'error'])).optional(),
});

export const commandSetSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string(),
  baudRate: z.number().int().default(9600),
  terminators: z.string().min(1).default('\r'),
  /** Answers that come without a terminator (Optoma's P/F): taken as soon as the partial line matches. */
  bareAnswer: regex.optional(),
  power: z.strictObject({ on: action, off: action, query }),
  input: z.strictObject({ set: action, query: query.omit({ values: true }).optional() }).optional(),
  lamp: z.strictObject({ query: query.omit({ values: true }) }).optional(),
  /** Picture (and sound) mute: BenQ calls it blank. */
  mute: z.strictObject({ on: action, off: action }).optional(),
  errors: z.array(z.strictObject({ match: regex, code: z.enum(['device_busy', 'device_error']) })).default([]),
  notices: z.array(z.strictObject({ match: regex, power: z.enum(['on', 'standby', 'warming', 'cooling']) })).default([]),
});

export type CommandSet = z.output<typeof commandSetSchema>;

export const COMMAND_SET_DIR = fileURLToPath(new URL('../../../device-profiles/projectors/', import.meta.url));

export function loadCommandSet(name: string, dir = COMMAND_SET_DIR): CommandSet {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bad command set name ${JSON.stringify(name)}`);
  const file = join(dir, `${name}.yaml`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`no projector command set "${name}" (known: ${listCommandSets(dir).join(', ')})`);
  }
  const result = commandSetSchema.safeParse(parse(text));
  if (!result.success) throw new Error(`${file}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (result.data.name !== name) throw new Error(`${file}: name is ${result.data.name}, expected ${name}`);
  return result.data;
}

export function listCommandSets(dir = COMMAND_SET_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Fills `{id}` and `{input}`; values are checked by the config schema (digits and letters only). */
export function render(template: string, values: { id: number; input?: string }): Buffer {
  const text = template.replace(/\{id\}/g, String(values.id).padStart(2, '0')).replace(/\{input\}/g, () => {
    if (values.input === undefined || !/^[A-Za-z0-9]{1,8}$/.test(values.input))
      throw new RangeError(`bad input code ${JSON.stringify(values.input)}`);
    return values.input;
  });
  return Buffer.from(text, 'latin1');
}
