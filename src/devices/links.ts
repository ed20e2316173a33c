import type { Logger } from 'pino';
import type { CameraConfig, ProjectorConfig } from '../config/schema.js';
import type { ByteLink } from '../transports/link.js';
import { ReconnectingLink, type ReconnectOptions } from '../transports/reconnecting-link.js';
import { SerialLink } from '../transports/serial.js';
import { TcpLink } from '../transports/tcp.js';
import { UdpLink } from '../transports/udp.js';

type LinkConfig = Pick<Extract<CameraConfig, { protocol: 'visca' }>, 'port' | 'host' | 'baudRate' | 'dataBits' | 'stopBits' | 'parity' | 'rs485'> & { transport?: 'tcp' | 'udp' };

/** `/dev/ttyUSB0` or `host:port`: devices on the same key share one link (a VISCA daisy chain). */
export function linkKey(c: LinkConfig, defaultTcpPort?: number): string {
  if (c.host === undefined) return String(c.port);
  return `${c.transport === 'udp' ? 'udp://' : ''}${c.host}:${c.port ?? defaultTcpPort}`;
}

export function linkFactory(c: LinkConfig, timeoutMs: number, defaultTcpPort?: number): () => ByteLink {
  if (c.host !== undefined) {
    const host = c.host;
    const port = typeof c.port === 'number' ? c.port : defaultTcpPort!;
    if (c.transport === 'udp') return () => new UdpLink(host, port);
    return () => new TcpLink(host, port, timeoutMs);
  }
  const settings = { path: String(c.port), baudRate: c.baudRate, dataBits: c.dataBits, stopBits: c.stopBits, parity: c.parity, rs485: c.rs485 };
  return () => new SerialLink(settings);
}

/** The kept-open links of a room, one per port or host, started and stopped together. */
export class LinkPool {
  private readonly links = new Map<string, ReconnectingLink>();

  constructor(
    private readonly log: Logger,
    private readonly reconnect: Pick<ReconnectOptions, 'initialDelayMs' | 'maxDelayMs'> = {},
  ) {}

  /** A UDP link to one network device (VISCA over IP); a UDP socket is never shared. */
  udp(host: string, port: number, onOpen: ReconnectOptions['onOpen']): ReconnectingLink {
    return this.add(`udp://${host}:${port}`, () => new UdpLink(host, port), onOpen);
  }

  get(c: LinkConfig | ProjectorConfig | CameraConfig, timeoutMs: number, options: { defaultTcpPort?: number; onOpen?: ReconnectOptions['onOpen'] } = {}): ReconnectingLink {
    const key = linkKey(c as LinkConfig, options.defaultTcpPort);
    return this.add(key, linkFactory(c as LinkConfig, timeoutMs, options.defaultTcpPort), options.onOpen);
  }

  private add(key: string, factory: () => ByteLink, onOpen: ReconnectOptions['onOpen']): ReconnectingLink {
    let link = this.links.get(key);
    if (!link) {
      link = new ReconnectingLink(factory, key, { ...this.reconnect, ...(onOpen ? { onOpen } : {}) });
      link.onStatus((s) => (s.up ? this.log.info({ link: key }, 'device link up') : this.log.warn({ link: key, reason: s.reason }, 'device link down')));
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
