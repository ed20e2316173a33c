import { SerialPort } from 'serialport';
import type { ByteLink } from './link.js';

export interface SerialSettings {
  path: string;
  baudRate: number;
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  parity?: 'none' | 'even' | 'odd';
  /**
   * Half-duplex RS-485 adapters that switch their transmitter with RTS: raised for each write and
   * dropped once the bytes have left. Adapters with automatic direction control (most FTDI and CH340
   * RS-485 dongles) need none of this and work with rs485: false.
   */
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
        // RS-485: receive by default; the transmitter is switched on only while writing.
        if (!s.rs485) return resolve();
        port.set({ rts: false }, (rtsErr) => {
          if (!rtsErr) return resolve();
          this.port = undefined;
          port.close(() =>
            reject(
              new Error(
                `rs485: ${s.path} has no RTS line to switch the transmitter (${rtsErr.message}); use rs485: false for adapters with automatic direction control`,
              ),
            ),
          );
        });
      });
    });
  }

  write(data: Buffer): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.reject(new Error(`${this.settings.path} is not open`));
    if (!this.settings.rs485) {
      return new Promise((resolve, reject) => {
        port.write(data, (err) => (err ? reject(err) : resolve()));
      });
    }
    const step = (fn: (cb: (err: Error | null | undefined) => void) => void) =>
      new Promise<void>((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
    return (async () => {
      await step((cb) => port.set({ rts: true }, cb));
      try {
        await step((cb) => port.write(data, cb));
        await step((cb) => port.drain(cb));
      } finally {
        await step((cb) => port.set({ rts: false }, cb)).catch(() => undefined);
      }
    })();
  }

  close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }
}
