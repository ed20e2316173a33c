/** What the centre accepts as a box's message: its topic's parts and its payload. */
export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Site and room names as a box's config allows them: anything else on the broker is not a box. */
export const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** A box's messages are small; anything bigger is not one of them. */
export const MAX_PAYLOAD = 256 * 1024;
export const MESSAGE_KINDS = ['availability', 'state', 'telemetry', 'event'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const key = (site: string, room: string) => `${site}/${room}`;

/** A message that is not a box's: counted and dropped, never an error of the centre. */
export class Dropped extends Error {}

export function parseObject(text: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Dropped('not JSON');
  }
  if (!isObject(v)) throw new Dropped('not a JSON object');
  return v;
}

/** A time a box wrote, as the store keeps times (ISO 8601, UTC); undefined when it is not one. */
export function isoTime(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}
