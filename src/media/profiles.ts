import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Chain } from './launch.js';
import type { ProfileName } from './profile-choice.js';

const propertyValue = z.union([z.string(), z.number(), z.boolean()]);
const link = z.union([
  z.strictObject({ element: z.string(), name: z.string().optional(), properties: z.record(z.string(), propertyValue).optional() }),
  z.strictObject({ caps: z.string() }),
]);
const chain = z.array(link).min(1);

/** How an encoder takes a number: as its own property, or as a V4L2 control inside `extra-controls`. */
const setting = z.union([
  z.strictObject({ property: z.string(), unit: z.enum(['kbit', 'bit']).optional() }),
  z.strictObject({ control: z.string(), unit: z.enum(['kbit', 'bit']).optional() }),
]);

const boardProfile = z.strictObject({
  name: z.enum(['rpi4', 'rpi5', 'jetson', 'x86-vaapi', 'x86-nvenc', 'software']),
  description: z.string(),
  encoder: z.strictObject({ chain, bitrate: setting, keyframes: setting, controls: z.record(z.string(), z.number()).optional() }),
  decoder: z.strictObject({ chain }),
  display: z.strictObject({ chain }),
  camera: z.strictObject({ chain }),
});

export type BoardProfile = z.output<typeof boardProfile>;
export type EncoderSetting = z.output<typeof setting>;

export const BOARD_PROFILE_DIR = fileURLToPath(new URL('../../device-profiles/boards/', import.meta.url));

export function loadBoardProfile(name: ProfileName, dir = BOARD_PROFILE_DIR): BoardProfile {
  const file = join(dir, `${name}.yaml`);
  const result = boardProfile.safeParse(parse(readFileSync(file, 'utf8')));
  if (!result.success) throw new Error(`${file}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (result.data.name !== name) throw new Error(`${file}: name is ${result.data.name}, expected ${name}`);
  return result.data;
}

export function boardProfileNames(dir = BOARD_PROFILE_DIR): ProfileName[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, '') as ProfileName)
    .sort();
}

/**
 * The encoder chain with bitrate and key-frame interval applied the way this encoder takes them.
 * The element named `enc` is the encoder itself.
 */
export function encoderChain(profile: BoardProfile, bitrateKbps: number, keyframeInterval: number): Chain {
  const enc = profile.encoder;
  const controls: Record<string, number> = { ...(enc.controls ?? {}) };
  const props: Record<string, number | string | boolean> = {};
  const apply = (s: EncoderSetting, v: number) => {
    if ('property' in s) props[s.property] = v;
    else controls[s.control] = v;
  };
  apply(enc.bitrate, enc.bitrate.unit === 'bit' ? bitrateKbps * 1000 : bitrateKbps);
  apply(enc.keyframes, keyframeInterval);
  if (Object.keys(controls).length > 0) {
    props['extra-controls'] = `controls,${Object.entries(controls)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`;
  }
  return enc.chain.map((l) => ('element' in l && l.name === 'enc' ? { ...l, properties: { ...l.properties, ...props } } : l));
}
