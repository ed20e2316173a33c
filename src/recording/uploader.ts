import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';

export interface UploadItem {
  path: string;
  key: string;
  /** `video/x-matroska` when absent (the queue of an older version held segments only). */
  contentType?: string;
  class: string | null;
  bytes: number;
  sha256: string;
  state: 'queued' | 'uploading' | 'done';
  uploadId?: string;
  parts: Array<{ n: number; etag: string }>;
  attempts: number;
  lastError?: string;
  queuedAt: string;
  completedAt?: string;
}

type UploadConfig = NonNullable<Config['upload']>;

export interface UploaderContext {
  config: Config;
  upload: UploadConfig;
  log: Logger;
  bus: EventBus;
  /** Called once an upload is verified (the recorder marks the segment; may delete the local copy). */
  onUploaded: (path: string) => void;
  /** Backoff between attempts, ms (tests shorten it). */
  backoffMs?: readonly number[];
}

const BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000, 60_000];

/**
 * Uploads each lesson file (and, if so configured, each closed segment) to S3-compatible storage in the background, one at a time, as a
 * multipart upload whose parts are recorded on disk as they are acknowledged: after a broken
 * connection, an outage of hours or a restart of classbox it goes on from the next part. An upload
 * counts only when the store reports the right size and the SHA-256 it was given.
 */
export class Uploader implements Part {
  readonly name = 'uploader';
  private items: UploadItem[] = [];
  private readonly file: string;
  private client!: S3Client;
  /** The SDK, loaded at start: only a box that uploads carries it (about 20 MB). */
  private s3!: typeof import('@aws-sdk/client-s3');
  private running = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private abort: AbortController | undefined;
  private readonly log: Logger;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: UploaderContext) {
    this.file = join(ctx.config.dataDir, 'uploads.json');
    this.log = ctx.log.child({ part: 'upload' });
  }

  async start(): Promise<void> {
    this.s3 = await import('@aws-sdk/client-s3');
    const { S3Client } = this.s3;
    const u = this.ctx.upload;
    this.client = new S3Client({
      region: u.region,
      ...(u.endpoint ? { endpoint: u.endpoint } : {}),
      forcePathStyle: u.forcePathStyle,
      ...(u.accessKeyId && u.secretAccessKey ? { credentials: { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey } } : {}),
      // Retries are this class's own (with persisted parts), not the SDK's.
      maxAttempts: 1,
    });
    mkdirSync(this.ctx.config.dataDir, { recursive: true });
    try {
      this.items = JSON.parse(await readFile(this.file, 'utf8')) as UploadItem[];
    } catch {
      this.items = [];
    }
    const pending = this.items.filter((i) => i.state !== 'done').length;
    if (pending > 0) this.log.info({ pending }, 'uploads waiting from before');
    if (this.ctx.upload.segments) this.ctx.bus.on(this, 'recording.segment', (s) => this.enqueue(s));
    this.ctx.bus.on(this, 'recording.lesson', (l) => this.enqueueLesson(l));
    this.stopped = false;
    void this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ctx.bus.removeAll(this);
    this.abort?.abort();
    this.wake?.();
    await this.save();
    this.client?.destroy();
  }

  list(): UploadItem[] {
    return this.items.map((i) => ({ ...i, parts: [...i.parts] }));
  }

  private keyFor(path: string, cls: string | null): string {
    const c = this.ctx.config;
    return `${this.ctx.upload.prefix}${c.site}/${c.room}/${cls ?? 'no-class'}/${basename(path)}`;
  }

  /** A lesson and its thumbnail, under `<prefix><site>/<room>/<YYYY-MM-DD>/<class>.mp4` (the class's UTC start date). */
  enqueueLesson(l: {
    class: string;
    path: string;
    bytes: number;
    sha256: string;
    startedAt: string;
    thumbnail: { path: string; bytes: number; sha256: string } | null;
  }): void {
    const c = this.ctx.config;
    const key = `${this.ctx.upload.prefix}${c.site}/${c.room}/${l.startedAt.slice(0, 10)}/${l.class}`;
    this.enqueue({ ...l, key: `${key}.mp4`, contentType: 'video/mp4' });
    if (l.thumbnail) this.enqueue({ ...l.thumbnail, class: l.class, key: `${key}.jpg`, contentType: 'image/jpeg' });
  }

  enqueue(s: { path: string; class: string | null; bytes: number; sha256: string; key?: string; contentType?: string }): void {
    if (this.items.some((i) => i.path === s.path && i.sha256 === s.sha256)) return;
    this.items.push({
      path: s.path,
      key: s.key ?? this.keyFor(s.path, s.class),
      ...(s.contentType ? { contentType: s.contentType } : {}),
      class: s.class,
      bytes: s.bytes,
      sha256: s.sha256,
      state: 'queued',
      parts: [],
      attempts: 0,
      queuedAt: new Date().toISOString(),
    });
    // Finished uploads older than the newest 1,000 are forgotten: the state file stays small.
    const done = this.items.filter((i) => i.state === 'done');
    if (done.length > 1000) this.items = this.items.filter((i) => i.state !== 'done' || done.indexOf(i) >= done.length - 1000);
    void this.save();
    this.wake?.();
  }

  /**
   * One write at a time: two saves at once shared the temporary file, and the second rename found it
   * gone (ENOENT), which took the whole process down. A failed write (disk full) is logged; the queue in
   * memory goes on and the next save tries again.
   */
  private save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      try {
        await writeFile(`${this.file}.tmp`, JSON.stringify(this.items));
        await rename(`${this.file}.tmp`, this.file);
      } catch (err) {
        this.log.error({ err, file: this.file }, 'upload queue not saved');
      }
    });
    return this.saving;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.stopped) {
        const item = this.items.find((i) => i.state !== 'done');
        if (!item) {
          await this.sleep(60_000);
          continue;
        }
        try {
          await this.upload(item);
        } catch (err) {
          if (this.stopped) break;
          item.attempts++;
          item.lastError = (err as Error).message;
          await this.save();
          const wait = (this.ctx.backoffMs ?? BACKOFF_MS)[Math.min(item.attempts - 1, (this.ctx.backoffMs ?? BACKOFF_MS).length - 1)]!;
          this.log.warn({ path: item.path, attempt: item.attempts, err, retryInMs: wait }, 'upload interrupted; will go on');
          // An outage of hours is normal: the centre hears of the first attempts, then every 30th.
          if (item.attempts <= 3 || item.attempts % 30 === 0)
            this.ctx.bus.emit('upload.retrying', {
              path: item.path,
              key: item.key,
              attempt: item.attempts,
              reason: item.lastError,
              retryInS: wait / 1000,
            });
          await this.sleep(wait);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async upload(item: UploadItem): Promise<void> {
    const u = this.ctx.upload;
    const bucket = u.bucket;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    if (!item.uploadId) {
      const created = await this.client.send(
        new this.s3.CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: item.key,
          ContentType: item.contentType ?? 'video/x-matroska',
          Metadata: { sha256: item.sha256, class: item.class ?? '' },
        }),
        { abortSignal: signal },
      );
      item.uploadId = created.UploadId!;
      item.parts = [];
      item.state = 'uploading';
      await this.save();
      this.ctx.bus.emit('upload.started', { path: item.path, key: item.key, bytes: item.bytes });
    }
    const partSize = u.partSizeMB * 1024 * 1024;
    const count = Math.max(1, Math.ceil(item.bytes / partSize));
    const fh = await open(item.path, 'r');
    try {
      for (let n = item.parts.length + 1; n <= count; n++) {
        const start = (n - 1) * partSize;
        const length = Math.min(partSize, item.bytes - start);
        const buf = Buffer.alloc(length);
        await fh.read(buf, 0, length, start);
        const t0 = Date.now();
        let res;
        try {
          res = await this.client.send(
            new this.s3.UploadPartCommand({ Bucket: bucket, Key: item.key, UploadId: item.uploadId, PartNumber: n, Body: buf }),
            { abortSignal: signal },
          );
        } catch (err) {
          // The store no longer knows this upload (expired, or the store was reset): start it again.
          if ((err as { name?: string }).name === 'NoSuchUpload') {
            delete item.uploadId;
            item.parts = [];
          }
          throw err;
        }
        item.parts.push({ n, etag: res.ETag! });
        await this.save();
        if (u.bandwidthKbps) {
          const wantMs = (length * 8) / u.bandwidthKbps;
          const left = wantMs - (Date.now() - t0);
          if (left > 0) await this.sleep(left);
          if (this.stopped) throw new Error('stopping');
        }
      }
    } finally {
      await fh.close();
    }
    await this.client.send(
      new this.s3.CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: item.key,
        UploadId: item.uploadId,
        MultipartUpload: { Parts: item.parts.map((p) => ({ PartNumber: p.n, ETag: p.etag })) },
      }),
      { abortSignal: signal },
    );
    const head = await this.client.send(new this.s3.HeadObjectCommand({ Bucket: bucket, Key: item.key }), { abortSignal: signal });
    if (head.ContentLength !== item.bytes || head.Metadata?.sha256 !== item.sha256) {
      delete item.uploadId;
      item.parts = [];
      throw new Error(`verification failed: stored ${head.ContentLength} bytes, sha256 ${head.Metadata?.sha256 ?? 'none'}`);
    }
    item.state = 'done';
    item.completedAt = new Date().toISOString();
    delete item.lastError;
    await this.save();
    this.log.info({ path: item.path, key: item.key, bytes: item.bytes }, 'upload verified');
    this.ctx.bus.emit('upload.completed', { path: item.path, key: item.key, bytes: item.bytes, sha256: item.sha256 });
    this.ctx.onUploaded(item.path);
  }
}
