import type { ElementLink } from './launch.js';

/**
 * A live compositor whose timeline starts at its inputs' first frame (`start-time-selection=first`).
 * Started at zero (its default), GStreamer 1.22's compositor stamped its second picture at zero again,
 * lasting two frames, whenever the first input frame came a few milliseconds in, as intervideosrc's
 * always do: the encoder dropped it, and every recording began with a picture missing after its first
 * (seen in 2 of 4 class starts through the service, and every time with gst-launch-1.0). A lesson was
 * then a frame longer than its pictures for every start of its recording.
 */
export function liveCompositor(name: string, pads: Record<string, number>): ElementLink {
  return { element: 'compositor', name, properties: { background: 'black', 'start-time-selection': 'first', ...pads } };
}
