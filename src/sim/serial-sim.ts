import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { SerialLink } from '../transports/serial.js';
import type { ByteLink } from '../transports/link.js';

/** An accepted TCP connection as a ByteLink (the device end of a serial-to-Ethernet bridge). */
function socketLink(socket: Socket): ByteLink {
  let dataFn: (c: Buffer) => void = () => {};
  socket.on('data', (c) => dataFn(c));
  socket.on('error', () => undefined);
  return {
    description: `${socket.remoteAddress}:${socket.remotePort}`,
    open: async () => undefined,
    write: (d) => new Promise((resolve, reject) => socket.write(d, (err) => (err ? reject(err) : resolve()))),
    close: async () => void socket.destroy(),
    get isOpen() {
      return !socket.destroyed;
    },
    onData: (fn) => (dataFn = fn),
    onClose: (fn) => void socket.once('close', () => fn()),
  };
}

/** Bytes a simulator received, with when: tests assert order and timing on them. */
export interface Received {
  at: number;
  bytes: Buffer;
}

/**
 * The device end of a serial line: a simulator opens the other side of a pty pair (or is handed any
 * ByteLink) and answers as the device would. Subclasses turn chunks into replies.
 */
export abstract class SerialSim {
  protected link: ByteLink | undefined;
  private server: Server | undefined;
  private udp: UdpSocket | undefined;
  /** Every chunk of bytes as it arrived (framing is the subclass's job). */
  readonly rx: Received[] = [];
  /** When set, the device hears everything and answers nothing (powered off, wrong baud rate...). */
  silent = false;

  constructor(
    private readonly path: string,
    private readonly baudRate: number,
  ) {}

  async start(link?: ByteLink): Promise<void> {
    this.link = link ?? new SerialLink({ path: this.path, baudRate: this.baudRate });
    this.link.onData((chunk) => {
      this.rx.push({ at: performance.now(), bytes: Buffer.from(chunk) });
      this.onBytes(chunk);
    });
    await this.link.open();
  }

  /**
   * Serves the device on a TCP port instead (raw VISCA over IP, a serial-to-Ethernet bridge): the
   * latest connection is the line. Resolves with the port.
   */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    this.server = createServer((socket) => {
      void this.link?.close();
      void this.start(socketLink(socket));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as { port: number }).port;
  }

  /**
   * Serves the device in UDP datagrams instead (raw VISCA over UDP, no header): replies go to whoever
   * sent the last datagram. Resolves with the port.
   */
  async listenUdp(port = 0, host = '127.0.0.1'): Promise<number> {
    const socket = createSocket('udp4');
    this.udp = socket;
    let peer: RemoteInfo | undefined;
    let dataFn: (c: Buffer) => void = () => {};
    socket.on('message', (msg, from) => {
      peer = from;
      dataFn(msg);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => resolve());
    });
    await this.start({
      description: `udp ${host}:${socket.address().port}`,
      open: async () => undefined,
      close: async () => undefined,
      isOpen: true,
      write: async (d) => {
        if (peer) socket.send(d, peer.port, peer.address);
      },
      onData: (fn) => (dataFn = fn),
      onClose: () => undefined,
    });
    return socket.address().port;
  }

  async stop(): Promise<void> {
    await this.link?.close();
    this.link = undefined;
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  /** All bytes received so far, as one buffer. */
  received(): Buffer {
    return Buffer.concat(this.rx.map((r) => r.bytes));
  }

  clearReceived(): void {
    this.rx.length = 0;
  }

  /** Writes raw bytes to the line: replies, or garbage in scenario tests. */
  send(bytes: Buffer | string): void {
    if (this.silent || !this.link?.isOpen) return;
    void this.link.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes).catch(() => undefined);
  }

  protected abstract onBytes(chunk: Buffer): void;
}
