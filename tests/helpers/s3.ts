import S3rver from 's3rver';
import { freePort } from './net.js';
import { tempDir } from './temp-config.js';

export interface S3Server {
  url: string;
  port: number;
  dir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A real S3-compatible server (s3rver) on loopback, its objects on disk so that a restart keeps them. */
export async function startS3(bucket = 'lessons'): Promise<S3Server> {
  const port = await freePort();
  const dir = tempDir('classbox-s3-');
  let server: S3rver | undefined;
  const start = async () => {
    server = new S3rver({ port, address: '127.0.0.1', directory: dir, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });
    await server.run();
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (s) await s.close();
  };
  await start();
  return { url: `http://127.0.0.1:${port}`, port, dir, start, stop };
}
