import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-config.js';

const script = (name: string, args: string[]) =>
  execFileSync('bash', [join(ROOT, 'firmware-scripts', name), ...args], { encoding: 'utf8' });

/** Every file under a root with its content: what a script left behind. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(root, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

describe('firmware scripts on a fake root', () => {
  it('install-service.sh: the unit with its watchdog, udev names, a first config; the second run changes nothing', () => {
    const root = tempDir();
    const first = script('install-service.sh', ['--root', root, 'tty:ptz-teacher=A10KXYZ9', 'video:board-cam=0001']);
    expect(first).toMatch(/^wrote \/etc\/systemd\/system\/classbox\.service$/m);
    const files = tree(root);
    expect(Object.keys(files).sort()).toEqual([
      'etc/classbox/classbox.yaml',
      'etc/systemd/system/classbox.service',
      'etc/udev/rules.d/99-classbox.rules',
    ]);
    const unit = files['etc/systemd/system/classbox.service']!;
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^WatchdogSec=\d+$/m);
    expect(unit).toMatch(/^Environment=MALLOC_ARENA_MAX=2$/m);
    expect(unit).toMatch(
      /^ExecStart=\/usr\/bin\/node --max-semi-space-size=2 \/opt\/classbox\/bin\/classbox\.js run --config \/etc\/classbox\/classbox\.yaml$/m,
    );
    // The hardened unit: systemd's own assessment, and the service may write only its state folder,
    // where the first config puts the data and the recordings.
    const security = execFileSync('systemd-analyze', ['security', '--offline=true', join(root, 'etc/systemd/system/classbox.service')], {
      encoding: 'utf8',
    });
    const score = Number(/Overall exposure level for classbox\.service: ([\d.]+)/.exec(security)?.[1]);
    expect(score).toBeLessThanOrEqual(5);
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    expect(unit).toMatch(/^ReadWritePaths=-\/var\/lib\/classbox /m);
    for (const device of ['video4linux', 'drm', 'ttyUSB', 'ttyACM', 'ttyAMA', 'gpiochip', 'alsa'])
      expect(unit).toMatch(new RegExp(`^DeviceAllow=char-${device} rw$`, 'm'));
    const config = files['etc/classbox/classbox.yaml']!;
    expect(config).toMatch(/^dataDir: \/var\/lib\/classbox /m);
    expect(config).toContain('dir: /var/lib/classbox/recordings');
    const rules = files['etc/udev/rules.d/99-classbox.rules']!;
    expect(rules).toContain('SUBSYSTEM=="tty", ENV{ID_SERIAL_SHORT}=="A10KXYZ9", SYMLINK+="classbox/ptz-teacher"');
    expect(rules).toContain('SUBSYSTEM=="video4linux", ENV{ID_SERIAL_SHORT}=="0001", ATTR{index}=="0", SYMLINK+="classbox/board-cam"');
    expect(rules).not.toMatch(/video4linux.*A10KXYZ9/);
    // A config the technician edited is kept.
    writeFileSync(join(root, 'etc/classbox/classbox.yaml'), 'site: edited\n');
    const second = script('install-service.sh', ['--root', root, 'tty:ptz-teacher=A10KXYZ9', 'video:board-cam=0001']);
    expect(second).not.toMatch(/^(wrote|would run: systemctl)/m);
    expect(tree(root)['etc/classbox/classbox.yaml']).toBe('site: edited\n');
    expect(() =>
      execFileSync('bash', [join(ROOT, 'firmware-scripts/install-service.sh'), '--root', root, 'Bad Name=1'], { stdio: 'pipe' }),
    ).toThrow();
  });

  it('pi-config.sh: UART and the HDMI bridge in config.txt, the EDID unit; idempotent; --dry-run writes nothing', () => {
    const root = tempDir();
    const edid = join(tempDir(), 'edid.txt');
    writeFileSync(edid, '00ffffffffffff00\n');
    const dry = script('pi-config.sh', ['--root', root, '--dry-run', '--hdmi-bridge', '--edid', edid]);
    expect(dry).toMatch(/would add to \/boot\/firmware\/config\.txt: dtoverlay=tc358743/);
    expect(tree(root)).toEqual({});
    script('pi-config.sh', ['--root', root, '--hdmi-bridge', '--edid', edid]);
    const files = tree(root);
    expect(files['boot/firmware/config.txt']!.split('\n').filter(Boolean)).toEqual([
      'enable_uart=1',
      'dtoverlay=disable-bt',
      'dtoverlay=tc358743',
      'dtoverlay=vc4-kms-v3d,cma-96',
    ]);
    expect(files['etc/systemd/system/classbox-edid.service']).toMatch(
      /v4l2-ctl -d \/dev\/video0 --set-edid=file=\/etc\/classbox\/edid\.txt --fix-edid-checksums/,
    );
    expect(files['etc/classbox/edid.txt']).toBe('00ffffffffffff00\n');
    const again = script('pi-config.sh', ['--root', root, '--hdmi-bridge', '--edid', edid]);
    expect(again).not.toMatch(/^(wrote|added)/m);
    expect(tree(root)).toEqual(files);
  });

  it('jetson-power.sh: the power mode at boot; idempotent; a bad mode is refused', () => {
    const root = tempDir();
    expect(script('jetson-power.sh', ['--root', root, '0'])).toMatch(/would run: \/usr\/sbin\/nvpmodel -m 0/);
    expect(tree(root)['etc/systemd/system/classbox-power.service']).toMatch(/^ExecStart=\/usr\/sbin\/nvpmodel -m 0$/m);
    expect(script('jetson-power.sh', ['--root', root, '0'])).toMatch(/^unchanged/);
    expect(() =>
      execFileSync('bash', [join(ROOT, 'firmware-scripts/jetson-power.sh'), '--root', root, 'max'], { stdio: 'pipe' }),
    ).toThrow();
  });
});
