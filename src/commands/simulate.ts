import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { AsciiProjectorSim } from '../sim/ascii-projector.js';
import { EpsonProjectorSim } from '../sim/epson-projector.js';
import { PelcoCameraSim } from '../sim/pelco-camera.js';
import { PjlinkProjectorSim } from '../sim/pjlink-projector.js';
import { createPtyPair } from '../sim/pty.js';
import type { SerialSim } from '../sim/serial-sim.js';
import { ViscaCameraSim } from '../sim/visca-camera.js';
import { ViscaIpCameraSim } from '../sim/visca-ip-camera.js';
import { EXIT_USAGE } from './config-or-exit.js';

export const SIMULATORS = ['visca', 'visca-ip', 'pelco-d', 'epson', 'pjlink', 'benq', 'optoma'] as const;

export interface SimulateOptions {
  /** Where the serial simulators put the gateway's end of their pty (a path to use as `port:`). */
  link?: string;
  /** PJLink: TCP port (4352 by default); VISCA over IP: UDP port (52381); serial devices: serve on TCP instead of a pty (raw VISCA over TCP, a serial-to-Ethernet bridge). */
  tcpPort?: number;
  /** Serial devices: serve in UDP datagrams on this port instead of a pty (raw VISCA over UDP). */
  udpPort?: number;
  password?: string;
  cameras?: number;
  warmUpS?: number;
}

function serialSim(device: string, path: string, options: SimulateOptions, timing: { warmUpMs: number; coolDownMs: number }): SerialSim {
  const sims: Record<string, () => SerialSim> = {
    visca: () => new ViscaCameraSim(path, { cameras: options.cameras ?? 1 }),
    'pelco-d': () => new PelcoCameraSim(path, 1),
    epson: () => new EpsonProjectorSim(path, timing),
    benq: () => new AsciiProjectorSim(path, 'benq', timing),
    optoma: () => new AsciiProjectorSim(path, 'optoma', timing),
  };
  return sims[device]!();
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
    process.stdout.write(
      `classbox simulate: PJLink projector on 127.0.0.1:${port}${options.password ? ' (with password)' : ' (no authentication)'}\n`,
    );
    stop = () => sim.stop();
  } else if (device === 'visca-ip') {
    const sim = new ViscaIpCameraSim();
    const port = await sim.start(options.tcpPort ?? 52381, '127.0.0.1');
    process.stdout.write(
      `classbox simulate: VISCA over IP camera on udp 127.0.0.1:${port}; use protocol: visca-ip, host: 127.0.0.1, port: ${port}\n`,
    );
    stop = () => sim.stop();
  } else if (options.udpPort !== undefined) {
    const sim = serialSim(device, '', options, timing);
    const port = await sim.listenUdp(options.udpPort);
    process.stdout.write(
      `classbox simulate: ${device} device on udp 127.0.0.1:${port}; use host: 127.0.0.1, port: ${port}, transport: udp\n`,
    );
    stop = () => sim.stop();
  } else if (options.tcpPort !== undefined) {
    const sim = serialSim(device, '', options, timing);
    const port = await sim.listen(options.tcpPort);
    process.stdout.write(`classbox simulate: ${device} device on 127.0.0.1:${port}; use host: 127.0.0.1, port: ${port}\n`);
    stop = () => sim.stop();
  } else {
    const link = resolve(options.link ?? `classbox-${device}`);
    mkdirSync(resolve(link, '..'), { recursive: true });
    const pair = await createPtyPair(resolve(link, '..'), [link.split('/').pop()!, `.${link.split('/').pop()!}-device`]);
    const sim = serialSim(device, pair.b, options, timing);
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
