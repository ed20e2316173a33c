import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partOf } from '../../src/commands/serve.js';
import { runCli, startCli } from '../helpers/cli.js';
import { decodedFrames } from '../helpers/media.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { waitUntil } from '../helpers/net.js';
import { tempDir, writeTempConfig } from '../helpers/temp-config.js';

const BASE = 'classbox/serve-school/room-9';

function roomConfig(broker: string, rec: string): string {
  return writeTempConfig({
    site: 'serve-school',
    room: 'room-9',
    profile: 'software',
    dataDir: tempDir(),
    mqtt: { url: broker },
    video: { width: 320, height: 180, fps: 15, bitrateKbps: 300, keyframeIntervalS: 1 },
    sources: { board: { kind: 'test' } },
    outputs: [{ name: 'archive', kind: 'record', dir: rec, segmentS: 60, minFreeMB: 0 }],
  });
}

describe('the service process', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
  });
  afterAll(async () => {
    await watch.close();
    await broker.stop();
  });

  it('SIGHUP stops it cleanly: exit 0 and the open segment closed whole (it was left at 0 bytes)', async () => {
    const rec = tempDir('classbox-rec-');
    const since = watch.messages.length;
    const box = startCli(['run', '--config', roomConfig(broker.url, rec)]);
    try {
      await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 20_000, since);
      const started = await requester(watch, BASE)('class/start', { mode: 'recorded', name: 'Hangup' });
      expect(started.status).toBe('ok');
      await waitUntil(() => readdirSync(rec).some((f) => f.includes('hangup')), 'a segment', 20_000);
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      expect(await box.stop('SIGHUP')).toBe(0);
    }
    const segment = join(
      rec,
      readdirSync(rec).find((f) => f.includes('hangup'))!,
    );
    expect(statSync(segment).size).toBeGreaterThan(0);
    expect(decodedFrames(segment)).toBeGreaterThan(15);
  }, 60_000);

  it('a fault nothing caught: logged with its part, the service stopped (segment closed), exit 1 for the supervisor', async () => {
    const rec = tempDir('classbox-rec-');
    const config = roomConfig(broker.url, rec);
    // The service as `classbox run` starts it, plus a background task of its own that fails unhandled.
    const script = `
import { loadConfig } from './src/config/load.ts';
import { serve } from './src/commands/serve.ts';
import { createLogger } from './src/core/log.ts';
const config = loadConfig({ file: ${JSON.stringify(config)} });
const service = await serve(config, createLogger({ level: 'info' }));
await service.classroom.begin({ mode: 'recorded', name: 'Faulty' });
setTimeout(() => { void Promise.reject(new Error('a background loop failed')); }, 3000);
`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    clearTimeout(killer);
    expect(code, out).toBe(1);
    const fatal = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } })
      .find((l) => l.level === 60);
    expect(fatal).toMatchObject({ msg: 'unhandled rejection: stopping the service', err: { message: 'a background loop failed' } });
    const segment = join(
      rec,
      readdirSync(rec).find((f) => f.includes('faulty'))!,
    );
    expect(decodedFrames(segment)).toBeGreaterThan(15);
  }, 60_000);

  it("one service per dataDir: a second is refused with the owner's pid; a lock left by a killed one is taken over", async () => {
    const config = roomConfig(broker.url, tempDir('classbox-rec-'));
    const since = watch.messages.length;
    const first = startCli(['run', '--config', config]);
    try {
      await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 20_000, since);
      const second = await runCli(['run', '--config', config], { timeoutMs: 15_000 });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`is in use by another classbox (pid ${first.child.pid})`);
      expect(first.child.exitCode).toBeNull();
    } finally {
      await first.stop('SIGKILL');
    }
    const since2 = watch.messages.length;
    const third = startCli(['run', '--config', config]);
    try {
      await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 20_000, since2);
    } finally {
      expect(await third.stop('SIGTERM')).toBe(0);
    }
  }, 60_000);

  it('partOf names the folder and file of the first classbox frame', () => {
    const err = new Error('x');
    err.stack = 'Error: x\n    at Uploader.save (file:///opt/classbox/src/recording/uploader.ts:120:5)\n    at node:internal/x';
    expect(partOf(err)).toBe('recording/uploader');
    expect(partOf('not an error')).toBe('unknown');
  });
});
