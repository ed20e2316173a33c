import type { ElementLink } from './launch.js';

/** The meters' floor: what `level` reports as -inf (digital silence) is shown as this. */
export const SILENCE_DBFS = -100;

/** A meter on an audio path: RMS over one second, posted on the bus as a `level` message. */
export function meter(name: string): ElementLink {
  return { element: 'level', name, properties: { interval: 1_000_000_000, 'post-messages': true } };
}
