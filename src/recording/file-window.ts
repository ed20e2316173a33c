import { open, type FileHandle } from 'node:fs/promises';

/**
 * A file read through a moving window of a few MB, without blocking the event loop (reads go to the
 * thread pool): the box goes on serving its room while a lesson is made. `has` is checked before each
 * small read, so the parsers stay synchronous between window moves.
 */
export class FileWindow {
  /** The bytes in the window: a view of `store`, which is read into again at each move. */
  private buf: Buffer = Buffer.alloc(0);
  private store: Buffer;
  private start = 0;

  private constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly windowBytes: number,
    store: Buffer | undefined,
  ) {
    this.store = store ?? Buffer.allocUnsafe(Math.min(windowBytes, size));
  }

  /**
   * `store`: memory to read into, shared by files read one after another (a new 4 MB store for each of
   * an hour's 240 segment readings was most of the join's memory until the collector came by).
   */
  static async open(path: string, store?: Buffer, windowBytes = 4 << 20): Promise<FileWindow> {
    const fh = await open(path, 'r');
    try {
      return new FileWindow(fh, (await fh.stat()).size, windowBytes, store);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Whether `n` bytes at `pos` are in the window now. */
  has(pos: number, n: number): boolean {
    return pos >= this.start && pos + n <= this.start + this.buf.length;
  }

  /** Moves the window to start at `pos` (holding at least `n` bytes, fewer at the end of the file). */
  async fill(pos: number, n: number): Promise<void> {
    const len = Math.min(Math.max(n, this.windowBytes), this.size - pos);
    if (len <= 0) {
      this.start = pos;
      this.buf = Buffer.alloc(0);
      return;
    }
    if (this.store.length < len) this.store = Buffer.allocUnsafe(len);
    const { bytesRead } = await this.fh.read(this.store, 0, len, pos);
    this.buf = this.store.subarray(0, bytesRead);
    this.start = pos;
  }

  /** `n` bytes at `pos`, a view into the window (valid until the next fill); fewer at the end of the file. */
  async bytes(pos: number, n: number): Promise<Buffer> {
    if (!this.has(pos, n)) await this.fill(pos, n);
    return this.view(pos, n);
  }

  /** The bytes at `pos` already in the window (check `has` first). */
  view(pos: number, n: number): Buffer {
    const from = pos - this.start;
    return this.buf.subarray(from, Math.min(from + n, this.buf.length));
  }

  /** The memory read into, for the next file. */
  get memory(): Buffer {
    return this.store;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
