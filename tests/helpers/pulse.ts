// A sound card nobody here wrote: PulseAudio with three null sinks, `mic`, `room` and `hall`, paced by
// PulseAudio's clock as a card is by its crystal. Boxes reach it through ALSA's `pulse` device
// (PULSE_SINK / PULSE_SOURCE choose which sink or monitor); `parec` listens to a sink's monitor. A tone
// that starts and stops on the wall clock's even seconds (tone-flip.py) gives the time from mouth to ear.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { delayAfterFlip, edgesOf, type Edges } from './flip-edges.js';
import { tempDir } from './temp-dir.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TONE = fileURLToPath(new URL('./tone-flip.py', import.meta.url));
const RATE = 48_000;
/** Mean absolute sample above which a 10 ms chunk holds the tone (its amplitude is about 10,000). */
const LOUD = 1000;

export interface Pulse {
  /** The environment that points ALSA's `pulse` device and PulseAudio's tools at this server. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startPulse(extraSinks: string[] = []): Promise<Pulse> {
  const socket = join(tempDir('classbox-pulse-'), 'native');
  const p: ChildProcess = spawn(
    'pulseaudio',
    [
      '-n',
      '--daemonize=no',
      '--exit-idle-time=-1',
      '--use-pid-file=no',
      '-L',
      `module-native-protocol-unix auth-anonymous=1 socket=${socket}`,
      '-L',
      'module-null-sink sink_name=room',
      '-L',
      'module-null-sink sink_name=mic',
      '-L',
      'module-null-sink sink_name=hall',
      ...extraSinks.flatMap((name) => ['-L', `module-null-sink sink_name=${name}`]),
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(50);
  if (!existsSync(socket)) throw new Error('PulseAudio did not start (apt-get install pulseaudio pulseaudio-utils libasound2-plugins)');
  return {
    env: { PULSE_SERVER: `unix:${socket}` },
    stop: async () => {
      if (p.exitCode !== null) return;
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await gone;
    },
  };
}

/** The tone, started and stopped on the wall clock, into a sink of the server. */
export function toneInto(pulse: Pulse, sink: string): { stop(): void } {
  const child = spawn('/usr/bin/python3', [TONE, sink], { env: { ...process.env, ...pulse.env }, stdio: 'ignore' });
  return { stop: () => child.kill('SIGKILL') };
}

/** The tone's starts and stops heard at a sink's monitor for `seconds`, each against its wall-clock instant. */
export function listenForTones(pulse: Pulse, sink: string, seconds: number): Promise<Edges> {
  return new Promise((resolve, reject) => {
    const rec = spawn('parec', ['-d', `${sink}.monitor`, '--raw', '--format=s16le', `--rate=${RATE}`, '--channels=1'], {
      env: { ...process.env, ...pulse.env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const delaysMs: number[] = [];
    // A change counts once the new state has lasted 200 ms (a dropout inside the tone is not its end);
    // it is timed at the chunk where it began.
    let loud: boolean | null = null;
    let change: { loud: boolean; t: number; heardS: number } | null = null;
    let chunks = 0;
    rec.stdout.on('data', (d: Buffer) => {
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
        delaysMs.push(delayAfterFlip(change.t, now));
        loud = now;
        change = null;
      }
    });
    rec.once('error', reject);
    const timer = setTimeout(() => rec.kill('SIGTERM'), seconds * 1000);
    rec.once('exit', () => {
      clearTimeout(timer);
      if (chunks === 0) return reject(new Error(`parec heard nothing from ${sink}.monitor`));
      resolve(edgesOf(delaysMs));
    });
  });
}

/** `seconds` of what a sink plays (its monitor), 16 kHz mono, as samples in -1..1. */
export function recordSink(pulse: Pulse, sink: string, seconds: number, rate = 16_000): Promise<Float64Array> {
  return new Promise((resolve, reject) => {
    const rec = spawn(
      'parec',
      ['-d', `${sink}.monitor`, '--raw', '--format=s16le', `--rate=${rate}`, '--channels=1', '--latency-msec=20'],
      {
        env: { ...process.env, ...pulse.env },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const chunks: Buffer[] = [];
    rec.stdout.on('data', (d: Buffer) => chunks.push(d));
    rec.once('error', reject);
    const timer = setTimeout(() => rec.kill('SIGTERM'), seconds * 1000);
    rec.once('exit', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      resolve(Float64Array.from({ length: all.length >> 1 }, (_, i) => all.readInt16LE(2 * i) / 32768));
    });
  });
}

/** Runs a PulseAudio command line tool against the server. */
export function pactl(pulse: Pulse, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('pactl', args, { env: { ...process.env, ...pulse.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`pactl ${args.join(' ')}: ${out}`))));
  });
}
