// The wall-clock flips the latency measurements time (the camera's picture, the microphone's tone):
// on for the first two seconds of every four, off for the other two.

export interface Edges {
  /** Milliseconds from each flip at the source to the flip where it was seen or heard. */
  delaysMs: number[];
  medianMs: number | null;
  minMs: number | null;
  maxMs: number | null;
}

/** How long after the flip it belongs to an edge seen at `tS` (wall clock, seconds) came, in ms. */
export function delayAfterFlip(tS: number, on: boolean): number {
  const since = tS - (on ? 0 : 2);
  return Math.round((((since % 4) + 4) % 4) * 1000 * 10) / 10;
}

export function edgesOf(delaysMs: number[]): Edges {
  if (delaysMs.length === 0) return { delaysMs, medianMs: null, minMs: null, maxMs: null };
  const sorted = [...delaysMs].sort((a, b) => a - b);
  return { delaysMs, medianMs: sorted[Math.floor(sorted.length / 2)]!, minMs: sorted[0]!, maxMs: sorted.at(-1)! };
}
