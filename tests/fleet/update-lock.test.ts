import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';

const BASE = 'classbox/test-school/room-1';

/** The Supervisor API stood in for by a real local HTTP server that records every call. */
describe('balena update lock and Supervisor requests', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let supervisor: Server;
  let service: Service;
  const calls: Array<{ method: string; url: string; body: string }> = [];
  const lockFile = join(tempDir(), 'balena', 'updates.lock');

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    supervisor = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        calls.push({ method: req.method!, url: req.url!, body });
        res.statusCode = 202;
        res.end('OK');
      });
    });
    await new Promise<void>((r) => supervisor.listen(0, '127.0.0.1', () => r()));
    // A lock left by a run that crashed: let go at start, since no class is running.
    mkdirSync(dirname(lockFile), { recursive: true });
    writeFileSync(lockFile, '');
    const config = loadConfig({
      base: {
        site: 'test-school',
        room: 'room-1',
        dataDir: tempDir(),
        mqtt: { url: broker.url, password: 'very-secret-pw', username: 'box' },
        fleet: { updateLockFile: lockFile },
        devices: { projectors: { main: { protocol: 'pjlink', host: '127.0.0.1', port: 9, password: 'pj-secret', timeoutMs: 200 } } },
      },
      env: {},
    });
    const env = {
      BALENA: '1',
      BALENA_SUPERVISOR_ADDRESS: `http://127.0.0.1:${(supervisor.address() as { port: number }).port}`,
      BALENA_SUPERVISOR_API_KEY: 'key-123',
      BALENA_APP_ID: '42',
    };
    service = createService(config, pino({ level: 'silent' }), { env });
    await service.start();
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 10_000);
  });
  afterAll(async () => {
    await service?.stop();
    await watch.close();
    await new Promise<void>((r) => supervisor.close(() => r()));
    await broker.stop();
  });

  const request = (command: string, body: Record<string, unknown> = {}) => requester(watch, BASE)(command, body);

  it('idle: the stale lock is gone and the state says released', async () => {
    expect(existsSync(lockFile)).toBe(false);
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).updateLock === 'released');
  });

  it('the lock is held from class start to class end; a reboot asked for meanwhile waits for the end', async () => {
    expect((await request('class/start', { mode: 'live', name: 'history' })).status).toBe('ok');
    expect(existsSync(lockFile)).toBe(true);
    // What a host OS update does: try an exclusive flock() on the file. Refused while the class runs.
    await waitUntil(() => spawnSync('flock', ['--exclusive', '--nonblock', lockFile, 'true']).status === 1, 'the flock held', 5000);
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).updateLock === 'held');
    const reboot = await request('system/reboot');
    expect(reboot.data).toEqual({ action: 'reboot', when: 'after the class' });
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toEqual([]);
    expect((await request('class/stop')).status).toBe('ok');
    expect(existsSync(lockFile)).toBe(false);
    // Let go: the next flock() of the path gets it at once.
    await waitUntil(() => spawnSync('flock', ['--exclusive', '--nonblock', lockFile, 'true']).status === 0, 'the flock let go', 5000);
    await waitUntil(() => calls.length === 1, 'the deferred reboot reaches the Supervisor');
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/v1/reboot?apikey=key-123' });
    expect(JSON.parse(calls[0]!.body)).toEqual({ force: false });
  });

  it('forced: now, even during a class; restart names the app', async () => {
    expect((await request('class/start', { mode: 'recorded' })).status).toBe('ok');
    const r = await request('system/restart', { force: true });
    expect(r.data).toEqual({ action: 'restart', when: 'now' });
    expect(calls.at(-1)).toMatchObject({ url: '/v1/restart?apikey=key-123' });
    expect(JSON.parse(calls.at(-1)!.body)).toEqual({ appId: '42', force: true });
    await request('class/stop');
  });

  it('config/get shows the config with every secret redacted', async () => {
    const r = await request('config/get');
    expect(r.data.mqtt).toMatchObject({ username: 'box', password: '[redacted]' });
    expect(r.data.devices.projectors.main.password).toBe('[redacted]');
    expect(JSON.stringify(r.data)).not.toMatch(/very-secret-pw|pj-secret/);
    expect(r.data.fleet.updateLockFile).toBe(lockFile);
  });
});
