import type { Chain } from '../launch.js';

/**
 * Sound crosses to and from the echo canceller as 16 kHz mono: the voice band and more (a room's
 * voices, answers to a lesson), at a third of the work of 48 kHz for a filter as long as a room's echo.
 */
export const ECHO_RATE = 16_000;
export const ECHO_CAPS = `audio/x-raw,format=S16LE,layout=interleaved,rate=${ECHO_RATE},channels=1`;

/** Loopback UDP ports of the canceller: what is played (far), the microphone, and the microphone cleaned. */
export interface EchoPorts {
  far: number;
  mic: number;
  clean: number;
}

export type EchoReport =
  | { type: 'ready' }
  | { type: 'error'; text: string }
  | {
      type: 'stats';
      /** Far end and microphone paired (something plays). */
      paired: boolean;
      /** How long after it was played the room's echo comes back, as the canceller has learnt it. */
      echoDelayMs: number | null;
      realigned: number;
      /** Microphone blocks that went out without their whole far end (it came too late). */
      farLate: number;
      /** Times the echo jumped against its far end and was followed (the speakers' skew corrected, the room changed). */
      jumps: number;
      /** Times the echo was found before (or too near) its far end, and the far end paired newer for it. */
      echoBeforeFarEnd: number;
      /** How much faster the far end is read than it comes (the speakers' clock against the microphone's), ppm. */
      driftPpm: number;
      blocks: number;
      busyMs: number;
    };

/**
 * How much earlier than the speakers the canceller is told what they play. A sink's idea of when a
 * sample is heard is not the room's: an ALSA device that takes its ring buffer's whole 80 ms at once
 * (PulseAudio's plugin did) played it up to 80 ms before the pipeline's clock said, and a far end that
 * comes after its echo cannot be cancelled at all. Told this much earlier, the far end leads its echo
 * whatever the device, by at most this and the room's path, within the canceller's reach.
 */
export const FAR_END_EARLY_MS = 100;

/**
 * The branch of a playing pipeline that tells the canceller what the speakers play: on the speakers'
 * clock (`sync`, their own offset) less FAR_END_EARLY_MS.
 */
export function farEndBranch(tee: string, port: number, timing: Record<string, number | boolean>): Chain {
  const offset = (typeof timing['ts-offset'] === 'number' ? timing['ts-offset'] : 0) - FAR_END_EARLY_MS * 1_000_000;
  return [
    { ref: `${tee}.` },
    { element: 'queue' },
    { element: 'audioconvert' },
    { element: 'audioresample' },
    { caps: ECHO_CAPS },
    { element: 'udpsink', properties: { host: '127.0.0.1', port, async: false, sync: true, ...timing, 'ts-offset': offset } },
  ];
}

/** The microphone to the canceller, as it is captured (already ECHO_CAPS: it is metered so). */
export function micToCanceller(port: number): Chain {
  return [{ element: 'udpsink', properties: { host: '127.0.0.1', port, async: false, sync: false } }];
}

/** The microphone back from the canceller. */
export function micFromCanceller(port: number): Chain {
  return [{ element: 'udpsrc', name: 'echo-clean', properties: { address: '127.0.0.1', port, caps: ECHO_CAPS } }];
}
