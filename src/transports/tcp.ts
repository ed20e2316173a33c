import { Socket } from 'node:net';
import type { ByteLink } from './link.js';

/** A TCP connection: PJLink, ESC/VP.net, raw VISCA over TCP or a serial-to-Ethernet bridge. */
export class TcpLink implements ByteLink {
  private socket: Socket | undefined;
  private dataFn: (chunk: Buffer) => void = () => {};
  private closeFn: (err?: Error) => void = () => {};

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly connectTimeoutMs = 3000,
  ) {}

  get description(): string {
    return `${this.host}:${this.port}`;
  }

  get isOpen(): boolean {
    return this.socket !== undefined && !this.socket.destroyed && this.socket.readyState === 'open';
  }

  onData(fn: (chunk: Buffer) => void): void {
    this.dataFn = fn;
  }

  onClose(fn: (err?: Error) => void): void {
    this.closeFn = fn;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      // Commands are a few bytes each: Nagle would hold a stop behind the previous move for 40 ms or more.
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 10_000);
      const timer = setTimeout(
        () => socket.destroy(new Error(`no connection to ${this.description} within ${this.connectTimeoutMs} ms`)),
        this.connectTimeoutMs,
      );
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', fail);
      socket.connect(this.port, this.host, () => {
        clearTimeout(timer);
        socket.off('error', fail);
        this.socket = socket;
        let lastError: Error | undefined;
        socket.on('error', (err) => (lastError = err));
        socket.on('data', (chunk) => this.dataFn(chunk));
        socket.once('close', () => {
          if (this.socket === socket) this.socket = undefined;
          this.closeFn(lastError ?? new Error(`${this.description} closed the connection`));
        });
        resolve();
      });
    });
  }

  write(data: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new Error(`${this.description} is not connected`));
    return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 200).unref();
    });
  }
}
