import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, runCli, type RunningCli } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';
import { tempDir, writeTempConfig } from '../helpers/temp-config.js';

/** The technician's commands against `classbox simulate` processes, as on a bench. */
describe('classbox ptz / projector against classbox simulate', () => {
  const dir = tempDir();
  const camPort = join(dir, 'cam');
  let visca: RunningCli;
  let pjlink: RunningCli;
  let viscaIp: RunningCli;
  let pjlinkPort: number;
  let config: string;

  beforeAll(async () => {
    pjlinkPort = await freePort();
    visca = startCli(['simulate', 'visca', '--link', camPort]);
    pjlink = startCli(['simulate', 'pjlink', '--tcp-port', String(pjlinkPort), '--password', 'secret', '--warm-up', '0']);
    await visca.waitForOutput(/use port: /);
    await pjlink.waitForOutput(/PJLink projector on/);
    viscaIp = startCli(['simulate', 'visca-ip', '--tcp-port', '0']);
    const udpPort = Number((await viscaIp.waitForOutput(/use protocol: visca-ip, host: 127\.0\.0\.1, port: (\d+)/))[1]);
    config = writeTempConfig({
      site: 's',
      room: 'r',
      devices: {
        cameras: {
          teacher: { protocol: 'visca', port: camPort, timeoutMs: 500, presets: { podium: 2 } },
          net: { protocol: 'visca-ip', host: '127.0.0.1', port: udpPort, timeoutMs: 500 },
        },
        projectors: {
          main: { protocol: 'pjlink', host: '127.0.0.1', port: pjlinkPort, password: 'secret', timeoutMs: 1000 },
          wrong: { protocol: 'pjlink', host: '127.0.0.1', port: pjlinkPort, password: 'nope', timeoutMs: 1000 },
        },
      },
    });
  });
  afterAll(async () => {
    await visca.stop('SIGINT');
    await pjlink.stop('SIGINT');
    await viscaIp.stop('SIGINT');
  });

  it('ptz save/recall a named preset, move with a stop, status', async () => {
    const save = await runCli(['ptz', 'teacher', 'save', 'podium', '-c', config]);
    expect(save.stderr).toBe('');
    expect(JSON.parse(save.stdout)).toEqual({ camera: 'teacher', save: 2 });
    const move = await runCli(['ptz', 'teacher', 'move', 'right', '100', '--duration', '200', '-c', config]);
    expect(move.code).toBe(0);
    const status = JSON.parse((await runCli(['ptz', 'teacher', 'status', '-c', config])).stdout);
    expect(status).toMatchObject({ online: true, power: 'on', moving: false });
    expect(status.pan).toBeGreaterThan(0);
    expect((await runCli(['ptz', 'teacher', 'recall', 'podium', '-c', config])).code).toBe(0);
    expect(JSON.parse((await runCli(['ptz', 'teacher', 'status', '-c', config])).stdout).pan).toBe(0);
  });

  it('ptz over VISCA over IP: save, move, recall, status', async () => {
    expect((await runCli(['ptz', 'net', 'save', '5', '-c', config])).code).toBe(0);
    expect((await runCli(['ptz', 'net', 'move', 'left', '100', '--duration', '200', '-c', config])).code).toBe(0);
    const moved = JSON.parse((await runCli(['ptz', 'net', 'status', '-c', config])).stdout);
    expect(moved).toMatchObject({ online: true, power: 'on', moving: false });
    expect(moved.pan).toBeLessThan(0);
    expect((await runCli(['ptz', 'net', 'recall', '5', '-c', config])).code).toBe(0);
    expect(JSON.parse((await runCli(['ptz', 'net', 'status', '-c', config])).stdout).pan).toBe(0);
  });

  it('projector power on and status; a wrong password says auth_failed, exit 1', async () => {
    const on = await runCli(['projector', 'main', 'power', 'on', '-c', config]);
    expect(on.stderr).toBe('');
    expect(JSON.parse(on.stdout)).toMatchObject({ projector: 'main', online: true });
    const status = JSON.parse((await runCli(['projector', 'main', 'status', '-c', config])).stdout);
    expect(status).toMatchObject({ online: true, power: 'on', lampHours: 1234 });
    const wrong = await runCli(['projector', 'wrong', 'status', '-c', config]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^classbox: auth_failed: projector wrong: wrong PJLink password/);
  });

  it('bad arguments exit 2 with one line', async () => {
    for (const args of [
      ['ptz', 'nobody', 'stop'],
      ['ptz', 'teacher', 'move', 'sideways'],
      ['ptz', 'teacher', 'recall', 'nowhere'],
      ['ptz', 'teacher', 'move', 'up', '500'],
      ['projector', 'main', 'power', 'maybe'],
      ['projector', 'main', 'dance'],
    ]) {
      const r = await runCli([...args, '-c', config]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('a camera whose port is gone: device_unavailable, exit 1, at once', async () => {
    const cfg = writeTempConfig({ site: 's', room: 'r', devices: { cameras: { c: { protocol: 'visca', port: join(dir, 'missing') } } } });
    const t0 = Date.now();
    const r = await runCli(['ptz', 'c', 'home', '-c', cfg]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^classbox: device_unavailable: /);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
