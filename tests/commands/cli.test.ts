import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';
import { minimalConfig, writeTempConfig } from '../helpers/temp-config.js';

describe('classbox CLI', () => {
  it('has useful help listing every contract command, exit 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['run', 'demo', 'doctor', 'pipeline', 'ptz', 'projector', 'simulate'])
      expect(r.stdout).toMatch(new RegExp(`^  ${cmd} `, 'm'));
  });

  it("pipeline --parts prints every pipeline the service runs, the screens' ones included", async () => {
    const config = writeTempConfig({
      ...minimalConfig('mqtt://127.0.0.1:1'),
      profile: 'rpi4',
      sources: { board: { kind: 'test' }, teacher: { kind: 'test' } },
      displays: [
        { name: 'front', shows: 'composite', connector: 32 },
        { name: 'side', shows: 'source:teacher', connector: 42 },
      ],
    });
    const r = await runCli(['pipeline', '--config', config, '--parts']);
    expect(r.code).toBe(0);
    const ids = [...r.stdout.matchAll(/^# (.+)$/gm)].map((m) => m[1]);
    expect(ids).toEqual([
      'source:board',
      'source:teacher',
      'composite',
      'screen:front:feed',
      'screen:front:share',
      'screen:front',
      'screen:side:feed',
      'screen:side:share',
      'screen:side',
    ]);
    expect(r.stdout).toMatch(/intervideosrc name=screen-in channel=test-school\/room-1\/composite/);
    expect(r.stdout).toMatch(/shmsrc socket-path=\/tmp\/classbox-screen-side .*kmssink name=display-side sync=false connector-id=42/);
  });

  it('refuses an unknown command or a missing option with exit 2', async () => {
    const unknown = await runCli(['teleport']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'teleport'/);
    const missing = await runCli(['run']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--config <file>/);
  });

  it('simulate refuses a port out of range with exit 2 and one line', async () => {
    const r = await runCli(['simulate', 'visca', '--udp-port', '70000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('classbox simulate: --udp-port is 0-65535\n');
  });

  it('simulate refuses an unknown device with exit 2', async () => {
    const r = await runCli(['simulate', 'teleprompter']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown device "teleprompter" \(one of visca, visca-ip, pelco-d, epson, pjlink, benq, optoma\)/);
  });

  it('doctor --json reports GStreamer, x264enc and no v4l2h264enc on this machine, and the software profile', async () => {
    const r = await runCli(['doctor', '--json'], { timeoutMs: 60_000 });
    const report = JSON.parse(r.stdout);
    expect(report.gstreamer.version).toMatch(/^1\.\d+\.\d+$/);
    expect(report.gstreamer.encoders).toContain('x264enc');
    expect(report.gstreamer.encoders).not.toContain('v4l2h264enc');
    expect(report.gstreamer.decoders).toContain('avdec_h264');
    expect(report.profile.chosen).toBe('software');
    expect(report.healthy).toBe(true);
    expect(r.code).toBe(0);
  });

  it('doctor fails clearly (exit 1) when the configured broker is unreachable', async () => {
    const port = await freePort();
    const r = await runCli(['doctor', '--config', writeTempConfig(minimalConfig(`mqtt://127.0.0.1:${port}`))], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL broker +mqtt://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`, 'm'));
    expect(r.stdout).toMatch(/^problems found$/m);
  });

  it('check validates a config without starting anything', async () => {
    const r = await runCli(['check', '--config', writeTempConfig(minimalConfig('mqtt://127.0.0.1:1'))]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid \(test-school\/room-1, role broadcast\)/);
  });
});
