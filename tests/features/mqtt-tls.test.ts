import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { freePort, sleep, waitUntil } from '../helpers/net.js';
import { tempDir, writeTempConfig } from '../helpers/temp-config.js';
import { requireTool } from '../helpers/tools.js';

/** A CA, a broker certificate for 127.0.0.1 and client certificates named by their CN. */
function makePki(dir: string, clients: string[]): void {
  requireTool('openssl');
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=classbox-test-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  // mosquitto started as root drops to its own user, which must read these (test-only keys).
  chmodSync(dir, 0o755);
  for (const name of ['broker', ...clients]) {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name === 'broker' ? '127.0.0.1' : name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      ...(name === 'broker' ? ['-extfile', 'san.ext'] : []),
      '-out',
      `${name}.crt`,
    );
  }
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
}

describe('MQTT over TLS with client certificates and a per-room ACL', () => {
  const pki = tempDir();
  let broker: Mosquitto;
  let box: RunningCli;
  let port: number;
  const clients: MqttClient[] = [];
  const as = async (name: string) => {
    const c = await connectAsync(`mqtts://127.0.0.1:${port}`, {
      ca: readFileSync(join(pki, 'ca.crt')),
      cert: readFileSync(join(pki, `${name}.crt`)),
      key: readFileSync(join(pki, `${name}.key`)),
      protocolVersion: 5,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    makePki(pki, ['box-101', 'box-102', 'dashboard', 'classbox-central']);
    writeFileSync(
      join(pki, 'acl'),
      readFileSync(join(import.meta.dirname, '../../docs/examples/mosquitto-acl.conf'), 'utf8').replace(
        /demo-school\/room-101/g,
        'tls-school/room-101',
      ) + 'user box-102\ntopic readwrite classbox/tls-school/room-102/#\n',
    );
    port = await freePort();
    broker = await startMosquitto({
      port,
      extraConfig: [
        `cafile ${join(pki, 'ca.crt')}`,
        `certfile ${join(pki, 'broker.crt')}`,
        `keyfile ${join(pki, 'broker.key')}`,
        'require_certificate true',
        'use_identity_as_username true',
        `acl_file ${join(pki, 'acl')}`,
      ].join('\n'),
    });
    const config = writeTempConfig({
      site: 'tls-school',
      room: 'room-101',
      dataDir: tempDir(),
      mqtt: {
        url: `mqtts://127.0.0.1:${port}`,
        tls: { ca: join(pki, 'ca.crt'), cert: join(pki, 'box-101.crt'), key: join(pki, 'box-101.key') },
      },
    });
    box = startCli(['run', '--config', config]);
  });
  afterAll(async () => {
    await box?.stop('SIGTERM');
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker?.stop();
  });

  it('connects with its certificate, and the dashboard sees it online and gets answers', async () => {
    const dashboard = await as('dashboard');
    const seen: Array<[string, string]> = [];
    dashboard.on('message', (t, p) => seen.push([t, p.toString()]));
    await dashboard.subscribeAsync('classbox/#', { qos: 1 });
    await waitUntil(
      () => seen.some(([t, p]) => t === 'classbox/tls-school/room-101/availability' && p === 'online'),
      'box online over TLS',
      15_000,
    );
    await dashboard.publishAsync('classbox/tls-school/room-101/request/state/get', JSON.stringify({ id: 'tls-1' }), { qos: 1 });
    await waitUntil(
      () => seen.some(([t, p]) => t === 'classbox/tls-school/room-101/response/state/get' && JSON.parse(p).id === 'tls-1'),
      'response over TLS',
      10_000,
    );
  });

  it("keeps one room out of another room's topics", async () => {
    const other = await as('box-102');
    const got: string[] = [];
    other.on('message', (t) => got.push(t));
    await other.subscribeAsync('classbox/tls-school/room-101/#', { qos: 1 });
    // A request from the other room's identity never reaches room-101 either.
    await other
      .publishAsync('classbox/tls-school/room-101/request/state/get', JSON.stringify({ id: 'intruder' }), { qos: 1 })
      .catch(() => undefined);
    const dashboard = await as('dashboard');
    await dashboard.publishAsync('classbox/tls-school/room-101/request/state/get', JSON.stringify({ id: 'legit' }), { qos: 1 });
    await sleep(1500);
    expect(got).toEqual([]);
  });

  it('runs classbox central with the shipped ACL: it sees the room and drives it, and can say nothing in its name', async () => {
    const http = await freePort();
    const centralConfig = writeTempConfig(
      {
        mqtt: {
          url: `mqtts://127.0.0.1:${port}`,
          tls: { ca: join(pki, 'ca.crt'), cert: join(pki, 'classbox-central.crt'), key: join(pki, 'classbox-central.key') },
        },
        http: { port: http },
        database: join(tempDir(), 'central.db'),
      },
      'central.yaml',
    );
    const central = startCli(['central', '--config', centralConfig]);
    try {
      const api = `http://127.0.0.1:${http}`;
      await waitUntil(
        async () => {
          const rooms = (await (await fetch(`${api}/api/rooms`).catch(() => undefined))?.json().catch(() => undefined)) as
            Array<{ room: string; online: boolean }> | undefined;
          return rooms?.find((r) => r.room === 'room-101' && r.online);
        },
        'room-101 online at the centre',
        20_000,
      );
      const r = await fetch(`${api}/api/rooms/tls-school/room-101/request/state/get`, { method: 'POST', body: '{}' });
      expect(((await r.json()) as { status: string }).status).toBe('ok');
      // The centre's identity may not speak for a room.
      const watcher = await as('dashboard');
      const got: string[] = [];
      watcher.on('message', (_t, p) => got.push(p.toString()));
      await watcher.subscribeAsync('classbox/tls-school/room-101/availability', { qos: 1 });
      await sleep(300);
      got.length = 0;
      const impostor = await as('classbox-central');
      await impostor.publishAsync('classbox/tls-school/room-101/availability', 'offline', { qos: 1 }).catch(() => undefined);
      await sleep(1000);
      expect(got).toEqual([]);
    } finally {
      await central.stop('SIGTERM');
    }
  }, 60_000);

  it('fails clearly without a client certificate', async () => {
    await expect(
      connectAsync(`mqtts://127.0.0.1:${port}`, { ca: readFileSync(join(pki, 'ca.crt')), reconnectPeriod: 0, connectTimeout: 3000 }),
    ).rejects.toThrow();
  });
});
