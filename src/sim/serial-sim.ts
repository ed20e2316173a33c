import { SerialLink } from '../transports/serial.js';
import type { ByteLink } from '../transports/link.js';

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

  async stop(): Promise<void> {
    await this.link?.close();
    this.link = undefined;
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
