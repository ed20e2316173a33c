import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { AsciiProjectorSim } from '../sim/ascii-projector.js';
import { EpsonProjectorSim } from '../sim/epson-projector.js';
import { PelcoCameraSim } from '../sim/pelco-camera.js';
import { PjlinkProjectorSim } from '../sim/pjlink-projector.js';
import { createPtyPair } from '../sim/pty.js';
import type { SerialSim } from '../sim/serial-sim.js';
import { ViscaCameraSim } from '../sim/visca-camera.js';
import { EXIT_USAGE } from './config-or-exit.js';

export const SIMULATORS = ['visca', 'pelco-d', 'epson', 'pjlink', 'benq', 'optoma'] as const;

export interface SimulateOptions {
  /** Where the serial simulators put the gateway's end of their pty (a path to use as `port:`). */
  link?: string;
  /** PJLink: TCP port to listen on. */
  tcpPort?: number;
  password?: string;
  cameras?: number;
  warmUpS?: number;
}

/**
 * A device simulator for bench work and training: serial devices on a pty pair whose gateway end is a
 * stable path (put it in a config as the device's `port`), PJLink on a TCP port. Runs until Ctrl-C.
 */
export async function simulate(device: string, options: SimulateOptions): Promise<void> {
  if (!(SIMULATORS as readonly string[]).includes(device)) {
    process.stderr.write(`classbox simulate: unknown device "${device}" (one of ${SIMULATORS.join(', ')})\n`);
    process.exit(EXIT_USAGE);
  }
  const timing = { warmUpMs: (options.warmUpS ?? 5) * 1000, coolDownMs: (options.warmUpS ?? 5) * 1000 };
  let stop: () => Promise<void>;
  if (device === 'pjlink') {
    const sim = new PjlinkProjectorSim({ ...timing, ...(options.password ? { password: options.password } : {}) });
    const port = await sim.start(options.tcpPort ?? 4352, '127.0.0.1');
    process.stdout.write(`classbox simulate: PJLink projector on 127.0.0.1:${port}${options.password ? ' (with password)' : ' (no authentication)'}\n`);
    stop = () => sim.stop();
  } else {
    const link = resolve(options.link ?? `classbox-${device}`);
    mkdirSync(resolve(link, '..'), { recursive: true });
    const pair = await createPtyPair(resolve(link, '..'), [link.split('/').pop()!, `.${link.split('/').pop()!}-device`]);
    const sims: Record<string, () => SerialSim> = {
      visca: () => new ViscaCameraSim(pair.b, { cameras: options.cameras ?? 1 }),
      'pelco-d': () => new PelcoCameraSim(pair.b, 1),
      epson: () => new EpsonProjectorSim(pair.b, timing),
      benq: () => new AsciiProjectorSim(pair.b, 'benq', timing),
      optoma: () => new AsciiProjectorSim(pair.b, 'optoma', timing),
    };
    const sim = sims[device]!();
    await sim.start();
    process.stdout.write(`classbox simulate: ${device} device ready; use port: ${pair.a}\n`);
    stop = async () => {
      await sim.stop();
      await pair.close();
    };
  }
  const done = async () => {
    await stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void done());
  process.once('SIGTERM', () => void done());
}
