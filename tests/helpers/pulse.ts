// A sound card nobody here wrote: PulseAudio with three null sinks, `mic`, `room` and `hall`, paced by
// PulseAudio's clock as a card is by its crystal. Boxes reach it through ALSA's `pulse` device
// (PULSE_SINK / PULSE_SOURCE choose which sink or monitor); `parec` listens to a sink's monitor.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Pulse {
  /** The environment that points ALSA's `pulse` device and PulseAudio's tools at this server. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startPulse(): Promise<Pulse> {
  const socket = join(mkdtempSync(join(tmpdir(), 'classbox-pulse-')), 'native');
  const p: ChildProcess = spawn(
    'pulseaudio',
    ['-n', '--daemonize=no', '--exit-idle-time=-1', '--use-pid-file=no', '-L', `module-native-protocol-unix auth-anonymous=1 socket=${socket}`, '-L', 'module-null-sink sink_name=room', '-L', 'module-null-sink sink_name=mic', '-L', 'module-null-sink sink_name=hall'],
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

