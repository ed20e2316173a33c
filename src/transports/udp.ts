import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { ByteLink } from './link.js';

/**
 * A UDP "connection" to one device (VISCA over IP): each write is one datagram and each datagram
 * received is one chunk, so message boundaries survive. UDP has no connection to lose: whether the
 * device is there is learnt from its answers, not from this link.
 */
export class UdpLink implements ByteLink {
  private socket: Socket | undefined;
  private dataFn: (chunk: Buffer) => void = () => {};

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  get description(): string {
    return `udp://${this.host}:${this.port}`;
  }

  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  onData(fn: (chunk: Buffer) => void): void {
    this.dataFn = fn;
  }

  /** Never called: a UDP socket has no connection that can go away (see the class comment). */
  onClose(_fn: (err?: Error) => void): void {}

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(isIPv6(this.host) ? 'udp6' : 'udp4');
      const fail = (err: Error) => {
        socket.close();
        reject(err);
      };
      socket.once('error', fail);
      // connect() makes the kernel drop datagrams from anyone but the camera, and resolves the name once.
      socket.connect(this.port, this.host, () => {
        socket.off('error', fail);
        // An ICMP "port unreachable" for one datagram is not a broken link: the camera may be booting.
        socket.on('error', () => undefined);
        socket.on('message', (msg) => this.dataFn(msg));
        this.socket = socket;
        resolve();
      });
    });
  }

  write(data: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error(`${this.description} is not open`));
    return new Promise((resolve, reject) => socket.send(data, (err) => (err ? reject(err) : resolve())));
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}
