import type { Config } from '../config/schema.js';
import { GstRunner } from '../media/gst-runner.js';
import { SILENCE_DBFS } from '../media/meter.js';
import type { Check } from './check.js';

/** The room first (1.2 s), then the tone (1.5 s): a loop works when the tone stands above the room. */
const ROOM_MS = 1200;
const TONE_MS = 1500;
/** How far above the room the tone must be heard, and at least how loud. */
const ABOVE_ROOM_DB = 10;
const AUDIBLE_DBFS = -60;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The room's loudest reading once the microphone settled (its first two readings are its own start),
 * or all it had: a loaded machine delivered two readings in the room's 1.2 s, and the loudest of none
 * said the tone was "Infinity dB above the room".
 */
export function roomLevel(readings: number[]): number {
  const settled = readings.length > 2 ? readings.slice(2) : readings;
  return settled.length ? Math.max(...settled) : SILENCE_DBFS;
}
const db = (n: number) => `${Math.round(n)} dBFS`;

/**
 * The room's sound loop, as a technician would test it by ear: a 1 kHz tone on the speakers
 * (`audio.speaker`) and the microphone (`audio.device`) listening. The room's own sound is measured
 * first, with the tone muted; the loop works when the tone is heard well above it. Said in words, with
 * what to look at when it does not.
 */
export async function soundLoopCheck(config: Config): Promise<Check | null> {
  const { device: mic, speaker } = config.audio;
  if (mic === 'none' || mic === 'test' || speaker === 'none') return null;
  const name = 'sound-loop';
  const line =
    'audiotestsrc is-live=true wave=sine freq=1000 volume=0.5 ! volume name=tone mute=true ! audioconvert ! audioresample ! ' +
    `alsasink device="${speaker}" ` +
    `alsasrc device="${mic}" ! audioconvert ! audioresample ! level name=heard interval=100000000 post-messages=true ! fakesink sync=false`;
  let p;
  try {
    p = new GstRunner().create(line);
  } catch (err) {
    return { name, status: 'fail', detail: (err as Error).message };
  }
  let error: string | undefined;
  const room: number[] = [];
  const tone: number[] = [];
  let phase: number[] = room;
  p.onMessage((m) => {
    if (m.type === 'error') error ??= `${m.source}: ${m.text ?? 'error'}`;
    if (m.source === 'heard' && m.levelDb !== undefined) phase.push(Math.max(m.levelDb, SILENCE_DBFS));
  });
  try {
    p.play();
    await sleep(ROOM_MS);
    phase = tone;
    p.set('tone', 'mute', false);
    await sleep(TONE_MS);
  } finally {
    p.stop();
  }
  if (error) {
    const busy = /busy/i.test(error) ? ' (in use: is the classbox service running?)' : '';
    return { name, status: 'fail', detail: `speakers ${speaker}, microphone ${mic}: ${error}${busy}` };
  }
  // The tone's first readings are the speakers' and the microphone's own delay: its loudest counts.
  const roomDb = roomLevel(room);
  const toneDb = tone.length ? Math.max(...tone) : SILENCE_DBFS;
  if (toneDb >= AUDIBLE_DBFS && toneDb >= roomDb + ABOVE_ROOM_DB) {
    return {
      name,
      status: 'ok',
      detail: `a tone on the speakers (${speaker}) was heard on the microphone (${mic}) at ${db(toneDb)}, ${Math.round(toneDb - roomDb)} dB above the room`,
    };
  }
  return {
    name,
    status: 'fail',
    detail:
      `a tone on the speakers (${speaker}) was not heard on the microphone (${mic}): ${db(toneDb)} with the tone, ${db(roomDb)} without. ` +
      'Check that the speakers are on and turned up, that the microphone is not muted, and which devices the config names (arecord -l, aplay -l).',
  };
}
