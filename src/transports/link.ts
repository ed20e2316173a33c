/**
 * A byte pipe to one device: a serial port, a TCP socket, or (in tests and the demo) a simulator's end
 * of a pseudo-terminal. Protocol code sees only this, so every protocol runs over every transport.
 */
export interface ByteLink {
  /** Where it goes, for logs and error messages: `/dev/ttyUSB0` or `10.0.0.20:4352`. */
  readonly description: string;
  /** Resolves once bytes can flow; rejects when the port or host is not there. */
  open(): Promise<void>;
  /** Resolves once the bytes are handed to the kernel. */
  write(data: Buffer): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
  /** One listener each: the connection that owns the link routes what it needs. */
  onData(fn: (chunk: Buffer) => void): void;
  /** Called once per open when the link goes away by itself (unplugged adapter, host gone). */
  onClose(fn: (err?: Error) => void): void;
}

export type LinkFactory = () => ByteLink;
