// A sound card nobody here wrote: PulseAudio with three null sinks. `mic` is what the rooms'
// microphones hear (the boxes record its monitor through ALSA's `pulse` device); `room` is the
// receiving room's speakers and `hall` the anchor's (the boxes play to them through ALSA's `pulse`
// device, and their monitors are listened to here). Null sinks are paced by PulseAudio's clock, as a
// card is by its crystal. A tone that starts and stops on the wall clock's even seconds
// (bench/tone-flip.py) gives the time from mouth to ear.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from './lib.js';
import type { Edges } from '../tests/helpers/screen.js';
import type { Pulse } from '../tests/helpers/pulse.js';

export { startPulse } from '../tests/helpers/pulse.js';

const TONE = fileURLToPath(new URL('./tone-flip.py', import.meta.url));
const RATE = 48_000;
/** Mean absolute sample above which a 10 ms chunk holds the tone (its amplitude is about 10,000). */
const LOUD = 1000;

/** The tone, started and stopped on the wall clock, into a sink of the server. */
export function toneInto(pulse: Pulse, sink: string): { stop(): void } {
  const child = spawn('/usr/bin/python3', [TONE, sink], { env: { ...process.env, ...pulse.env }, stdio: 'ignore' });
  return { stop: () => child.kill('SIGKILL') };
}

/** The tone's starts and stops heard at a sink's monitor for `seconds`, each against its wall-clock instant. */
export function listenForTones(pulse: Pulse, sink: string, seconds: number): Promise<Edges> {
  return new Promise((resolve, reject) => {
    const rec = spawn('parec', ['-d', `${sink}.monitor`, '--raw', '--format=s16le', `--rate=${RATE}`, '--channels=1'], { env: { ...process.env, ...pulse.env }, stdio: ['ignore', 'pipe', 'ignore'] });
    const delaysMs: number[] = [];
    // A change counts once the new state has lasted 200 ms (a dropout inside the tone is not its end);
    // it is timed at the chunk where it began.
    let loud: boolean | null = null;
    let change: { loud: boolean; t: number; heardS: number } | null = null;
    let chunks = 0;
    rec.stdout!.on('data', (d: Buffer) => {
      chunks++;
      // The chunk's first sample was heard when it began: now, less its length.
      const lengthS = d.length / 2 / RATE;
      const t = Date.now() / 1000 - lengthS;
      let sum = 0;
      for (let i = 0; i + 1 < d.length; i += 2) sum += Math.abs(d.readInt16LE(i));
      const now = sum / (d.length / 2) > LOUD;
      if (loud === null) loud = now;
      if (now === loud) change = null;
      else if (!change || change.loud !== now) change = { loud: now, t, heardS: lengthS };
      else if ((change.heardS += lengthS) >= 0.2) {
        const since = change.t - (now ? 0 : 2);
        delaysMs.push(Math.round((((since % 4) + 4) % 4) * 1000 * 10) / 10);
        loud = now;
        change = null;
      }
    });
    rec.once('error', reject);
    const timer = setTimeout(() => rec.kill('SIGTERM'), seconds * 1000);
    rec.once('exit', () => {
      clearTimeout(timer);
      if (chunks === 0) return reject(new Error(`parec heard nothing from ${sink}.monitor`));
      const ds = delaysMs;
      resolve({ delaysMs: ds, medianMs: ds.length ? median(ds) : null, minMs: ds.length ? Math.min(...ds) : null, maxMs: ds.length ? Math.max(...ds) : null });
    });
  });
}
