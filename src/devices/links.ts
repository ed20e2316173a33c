import type { Logger } from 'pino';
import type { CameraConfig, ProjectorConfig } from '../config/schema.js';
import type { ByteLink } from '../transports/link.js';
import { ReconnectingLink, type OpeningLink, type ReconnectOptions } from '../transports/reconnecting-link.js';
import { SerialLink } from '../transports/serial.js';
import { TcpLink } from '../transports/tcp.js';
import { UdpLink } from '../transports/udp.js';
import { isUdp, linkKey, type LinkAddress } from '../transports/link-key.js';

type LinkConfig = Pick<
  Extract<CameraConfig, { protocol: 'visca' }>,
  'port' | 'host' | 'baudRate' | 'dataBits' | 'stopBits' | 'parity' | 'rs485'
> &
  LinkAddress;

/** Makes the link to a device from its config: a serial port, TCP or UDP (tests: one end of a line in memory). */
export type LinkMaker = (c: LinkConfig, timeoutMs: number, defaultTcpPort?: number) => () => ByteLink;

export function linkFactory(c: LinkConfig, timeoutMs: number, defaultTcpPort?: number): () => ByteLink {
  if (c.host !== undefined) {
    const host = c.host;
    const port = typeof c.port === 'number' ? c.port : defaultTcpPort!;
    if (isUdp(c)) return () => new UdpLink(host, port);
    return () => new TcpLink(host, port, timeoutMs);
  }
  const settings = {
    path: String(c.port),
    baudRate: c.baudRate,
    dataBits: c.dataBits,
    stopBits: c.stopBits,
    parity: c.parity,
    rs485: c.rs485,
  };
  return () => new SerialLink(settings);
}

/** The kept-open links of a room, one per port or host, started and stopped together. */
export class LinkPool {
  private readonly links = new Map<string, ReconnectingLink>();
  private readonly ports = new Map<string, unknown>();

  constructor(
    private readonly log: Logger,
    private readonly reconnect: Pick<ReconnectOptions, 'initialDelayMs' | 'maxDelayMs'> = {},
    private readonly makeLink: LinkMaker = linkFactory,
  ) {}

  /**
   * The protocol port of a link, made once and shared by every device on it (cameras on one VISCA
   * chain); it initialises the line (VISCA Address Set) each time the link opens.
   */
  port<T extends { initialise(link: OpeningLink): Promise<void> }>(
    c: LinkConfig | CameraConfig,
    timeoutMs: number,
    make: (link: ReconnectingLink) => T,
  ): T {
    const key = linkKey(c);
    let port = this.ports.get(key) as T | undefined;
    if (!port) {
      const made: { port?: T } = {};
      // The link opens later (asynchronously), once the port exists.
      const link = this.get(c, timeoutMs, { onOpen: (l) => made.port!.initialise(l) });
      port = made.port = make(link);
      this.ports.set(key, port);
    }
    return port;
  }

  get(
    c: LinkConfig | ProjectorConfig | CameraConfig,
    timeoutMs: number,
    options: { defaultTcpPort?: number; onOpen?: ReconnectOptions['onOpen'] } = {},
  ): ReconnectingLink {
    const key = linkKey(c, options.defaultTcpPort);
    let link = this.links.get(key);
    if (!link) {
      link = new ReconnectingLink(this.makeLink(c as LinkConfig, timeoutMs, options.defaultTcpPort), key, {
        ...this.reconnect,
        ...(options.onOpen ? { onOpen: options.onOpen } : {}),
      });
      // Closed on purpose (the service stopping) is routine: info; lost is a warning.
      link.onStatus((s) =>
        s.up
          ? this.log.info({ link: key }, 'device link up')
          : s.reason === 'stopped'
            ? this.log.info({ link: key }, 'device link closed')
            : this.log.warn({ link: key, reason: s.reason }, 'device link down'),
      );
      this.links.set(key, link);
    }
    return link;
  }

  async start(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.stop()));
  }
}
