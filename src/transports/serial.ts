import { SerialPort } from 'serialport';
import type { ByteLink } from './link.js';

export interface SerialSettings {
  path: string;
  baudRate: number;
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  parity?: 'none' | 'even' | 'odd';
  /** RS-485 adapters whose transmitter the kernel enables with RTS (TIOCSRS485). */
  rs485?: boolean;
}

/** A serial port through node-serialport; an unplugged USB adapter shows up as a close with an error. */
export class SerialLink implements ByteLink {
  private port: SerialPort | undefined;
  private dataFn: (chunk: Buffer) => void = () => {};
  private closeFn: (err?: Error) => void = () => {};

  constructor(private readonly settings: SerialSettings) {}

  get description(): string {
    return this.settings.path;
  }

  get isOpen(): boolean {
    return this.port?.isOpen === true;
  }

  onData(fn: (chunk: Buffer) => void): void {
    this.dataFn = fn;
  }

  onClose(fn: (err?: Error) => void): void {
    this.closeFn = fn;
  }

  open(): Promise<void> {
    const s = this.settings;
    return new Promise((resolve, reject) => {
      const port = new SerialPort({
        path: s.path,
        baudRate: s.baudRate,
        dataBits: s.dataBits ?? 8,
        stopBits: s.stopBits ?? 1,
        parity: s.parity ?? 'none',
        autoOpen: false,
        // No flow control: VISCA, Pelco and the projector sets are all specified 8N1 without it.
        rtscts: false,
        xon: false,
        xoff: false,
        lock: true,
      });
      port.open((err) => {
        if (err) return reject(err);
        this.port = port;
        port.on('data', (chunk: Buffer) => this.dataFn(chunk));
        port.once('close', (closeErr: Error | null) => {
          if (this.port === port) this.port = undefined;
          this.closeFn(closeErr ?? undefined);
        });
        port.on('error', () => {});
        if (s.rs485) {
          // RS-485 half duplex: the adapter's driver switches the transmitter on RTS.
          port.set({ rts: true }, () => resolve());
        } else resolve();
      });
    });
  }

  write(data: Buffer): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.reject(new Error(`${this.settings.path} is not open`));
    return new Promise((resolve, reject) => {
      port.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }
}
