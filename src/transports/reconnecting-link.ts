import { ClassboxError } from '../core/errors.js';
import type { ByteLink, LinkFactory } from './link.js';

export interface ReconnectOptions {
  /** First wait after a failure; doubles each time up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Runs after every (re)open before the link counts as up: VISCA Address Set, ESC/VP.net handshake. */
  onOpen?: (link: OpeningLink) => Promise<void>;
}

/** The link as a start-up handshake sees it: it may write and listen before the link counts as up. */
export interface OpeningLink {
  readonly description: string;
  write(data: Buffer): Promise<void>;
  /** Returns the function that removes the listener. */
  onData(fn: (chunk: Buffer) => void): () => void;
}

export type LinkStatus = { up: true } | { up: false; reason: string };

/**
 * Keeps one device link open for as long as it is wanted: when the port or host disappears (USB
 * adapter unplugged, bridge rebooted) it tries again with backoff and reports up/down, so the device
 * layer can say `device.offline` and `device.online`. Writes while down fail at once with
 * `device_unavailable`, never wait.
 */
export class ReconnectingLink {
  private link: ByteLink | undefined;
  private wanted = false;
  private up = false;
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  private lastReason = 'not opened yet';
  private readonly dataListeners = new Set<(chunk: Buffer) => void>();
  private readonly statusListeners = new Set<(s: LinkStatus) => void>();
  private readonly initialDelay: number;
  private readonly maxDelay: number;

  constructor(
    private readonly factory: LinkFactory,
    readonly description: string,
    private readonly options: ReconnectOptions = {},
  ) {
    this.initialDelay = options.initialDelayMs ?? 500;
    this.maxDelay = options.maxDelayMs ?? 30_000;
    this.delay = this.initialDelay;
  }

  get isUp(): boolean {
    return this.up;
  }

  get downReason(): string {
    return this.lastReason;
  }

  onData(fn: (chunk: Buffer) => void): () => void {
    this.dataListeners.add(fn);
    return () => this.dataListeners.delete(fn);
  }

  onStatus(fn: (s: LinkStatus) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  /** Starts keeping the link open; resolves after the first attempt, up or not. */
  async start(): Promise<void> {
    this.wanted = true;
    await this.attempt();
  }

  async stop(): Promise<void> {
    this.wanted = false;
    clearTimeout(this.timer);
    const link = this.link;
    this.link = undefined;
    this.setUp(false, 'stopped');
    await link?.close();
  }

  async write(data: Buffer): Promise<void> {
    const link = this.link;
    if (!this.up || !link?.isOpen)
      throw new ClassboxError('device_unavailable', `${this.description} is not connected (${this.lastReason})`);
    try {
      await link.write(data);
    } catch (err) {
      throw new ClassboxError('device_unavailable', `${this.description}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async attempt(): Promise<void> {
    if (!this.wanted) return;
    const link = this.factory();
    link.onData((chunk) => {
      for (const fn of this.dataListeners) fn(chunk);
    });
    try {
      await link.open();
      this.link = link;
      link.onClose((err) => {
        if (this.link !== link) return;
        this.link = undefined;
        this.setUp(false, err?.message ?? 'closed');
        this.schedule();
      });
      await this.options.onOpen?.({ description: link.description, write: (d) => link.write(d), onData: (fn) => this.onData(fn) });
      if (!this.wanted) return void (await link.close());
      this.delay = this.initialDelay;
      this.setUp(true);
    } catch (err) {
      if (this.link === link) this.link = undefined;
      await link.close().catch(() => undefined);
      this.setUp(false, (err as Error).message);
      this.schedule();
    }
  }

  private schedule(): void {
    if (!this.wanted || this.timer) return;
    const wait = this.delay;
    this.delay = Math.min(this.maxDelay, this.delay * 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.attempt();
    }, wait);
    this.timer.unref?.();
  }

  private setUp(up: boolean, reason = ''): void {
    if (!up) this.lastReason = reason;
    if (up === this.up) return;
    this.up = up;
    const status: LinkStatus = up ? { up: true } : { up: false, reason };
    for (const fn of this.statusListeners) fn(status);
  }
}
