import type { Logger } from 'pino';
import type { CameraConfig, ProjectorConfig } from '../config/schema.js';
import { loadCommandSet } from '../protocols/ascii/command-set.js';
import { AsciiSession } from '../protocols/ascii/session.js';
import { EscVp21Session } from '../protocols/escvp21/session.js';
import { PjlinkSession } from '../protocols/pjlink/session.js';
import { ViscaIpPort } from '../protocols/visca/ip-port.js';
import { ViscaPort } from '../protocols/visca/port.js';
import { AsciiDriver } from './ascii-driver.js';
import { EpsonDriver } from './epson-driver.js';
import { escvpNetHandshake } from './escvp-net.js';
import type { DeviceHealth } from './health.js';
import type { LinkPool } from './links.js';
import { PelcoPtz } from './pelco-ptz.js';
import { PjlinkDriver } from './pjlink-driver.js';
import type { ProjectorDriver } from './projector-driver.js';
import type { PtzCamera } from './ptz-camera.js';
import { ViscaPtz } from './visca-ptz.js';

/** What every device is built with. */
export interface DeviceParts {
  name: string;
  log: Logger;
  health: DeviceHealth;
  links: LinkPool;
  /** Camera poll interval, when not the default. */
  pollMs?: number;
}

type ByProtocol<C extends { protocol: string }, T> = { [P in C['protocol']]: (c: Extract<C, { protocol: P }>, parts: DeviceParts) => T };

/** One entry per camera protocol: a new protocol is a new entry (and its config in devices-schema.ts). */
export const CAMERA_FACTORIES: ByProtocol<CameraConfig, PtzCamera> = {
  visca: (c, { name, log, health, links, pollMs }) => {
    // Cameras on one serial line (a VISCA daisy chain) share one port: its replies are routed by address.
    const port = links.port(c, c.timeoutMs, (link) => new ViscaPort(link, log, c.timeoutMs));
    const options = { name, address: c.address, timeoutMs: c.timeoutMs, maxPreset: c.maxPreset, ...(pollMs ? { pollMs } : {}) };
    return new ViscaPtz(options, links.get(c, c.timeoutMs), port, health);
  },
  'visca-ip': (c, { name, log, health, links, pollMs }) => {
    const port = links.port(c, c.timeoutMs, (link) => new ViscaIpPort(link, log, c.timeoutMs));
    // VISCA over IP always speaks to address 1.
    const options = {
      name,
      protocol: 'visca-ip' as const,
      address: 1,
      timeoutMs: c.timeoutMs,
      maxPreset: c.maxPreset,
      ...(pollMs ? { pollMs } : {}),
    };
    return new ViscaPtz(options, links.get(c, c.timeoutMs), port, health);
  },
  'pelco-d': (c, { name, health, links }) => pelco(c, name, health, links),
  'pelco-p': (c, { name, health, links }) => pelco(c, name, health, links),
};

function pelco(
  c: Extract<CameraConfig, { protocol: 'pelco-d' | 'pelco-p' }>,
  name: string,
  health: DeviceHealth,
  links: LinkPool,
): PtzCamera {
  return new PelcoPtz({ name, variant: c.protocol, address: c.address, maxPreset: c.maxPreset }, links.get(c, c.timeoutMs), health);
}

/** One entry per projector protocol. */
export const PROJECTOR_FACTORIES: ByProtocol<ProjectorConfig, ProjectorDriver> = {
  pjlink: (p, { name }) =>
    new PjlinkDriver(
      new PjlinkSession({ host: p.host, port: p.port, password: p.password, timeoutMs: p.timeoutMs, label: `projector ${name}` }),
      p.timeoutMs,
    ),
  'epson-escvp21': (p, { name, links }) => {
    const link = links.get(p, p.timeoutMs, {
      defaultTcpPort: 3629,
      ...(p.host !== undefined ? { onOpen: escvpNetHandshake(p.timeoutMs) } : {}),
    });
    return new EpsonDriver(new EscVp21Session(link, `projector ${name}`), link, p.timeoutMs);
  },
  ascii: (p, { name, links }) => {
    const set = loadCommandSet(p.commandSet);
    const link = links.get(p, p.timeoutMs);
    return new AsciiDriver(new AsciiSession(link, set, `projector ${name}`), link, set, p.projectorId, p.timeoutMs);
  },
};
