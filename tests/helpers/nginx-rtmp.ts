import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitUntil } from './net.js';
import { tempDir } from './temp-config.js';

export interface NginxRtmp {
  port: number;
  url(app: string, key: string): string;
  stop(): Promise<void>;
}

/** Debian's nginx with libnginx-mod-rtmp: the RTMP server live platforms and school centres run. */
export async function startNginxRtmp(): Promise<NginxRtmp> {
  const module = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
  if (!existsSync(module)) throw new Error(`${module} missing: install nginx-light and libnginx-mod-rtmp (firmware-scripts/setup.sh does)`);
  const prefix = tempDir('classbox-nginx-');
  mkdirSync(join(prefix, 'logs'));
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `load_module ${module};
daemon off;
master_process off;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')} warn;
events { worker_connections 64; }
rtmp { server { listen 127.0.0.1:${port}; application live { live on; record off; } } }
`,
  );
  const child: ChildProcess = spawn('nginx', ['-p', prefix, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${err}`);
      const { connect } = await import('node:net');
      return new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
    },
    'nginx-rtmp listening',
    10_000,
  );
  return {
    port,
    url: (app, key) => `rtmp://127.0.0.1:${port}/${app}/${key}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
