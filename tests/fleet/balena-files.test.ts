import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ROOT } from '../helpers/cli.js';

const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');
const DEVICE_ARCH: Record<string, string> = {
  'raspberrypi4-64': 'aarch64',
  raspberrypi5: 'aarch64',
  'jetson-orin-nx-xavier-nx-devkit': 'aarch64',
  'jetson-xavier-nx-devkit': 'aarch64',
  'genericx86-64-ext': 'amd64',
};

/** `balena build` needs a Docker engine, which this machine has not: the release files are checked as files. */
describe('balena release files', () => {
  it('balena.yml: name, type, semver, description, default and supported device types', () => {
    const b = parse(read('balena.yml'));
    expect(b).toMatchObject({ name: 'classbox', type: 'sw.application' });
    expect(b.version).toBe(JSON.parse(read('package.json')).version);
    expect(b.description.length).toBeGreaterThan(20);
    expect(Object.keys(DEVICE_ARCH).sort()).toEqual([...b.data.supportedDeviceTypes].sort());
    expect(b.data.supportedDeviceTypes).toContain(b.data.defaultDeviceType);
  });

  it('docker-compose.yml: one service, restart always, host network, devices, persistent data, the labels the features need', () => {
    const c = parse(read('docker-compose.yml'));
    const s = c.services.classbox;
    expect(s).toMatchObject({ build: '.', restart: 'always', network_mode: 'host', privileged: true });
    expect(s.volumes).toContain('classbox-data:/data');
    expect(Object.keys(c.volumes)).toEqual(['classbox-data']);
    for (const label of ['io.balena.features.supervisor-api', 'io.balena.features.sysfs', 'io.balena.features.kernel-modules'])
      expect(s.labels[label]).toBe('1');
    expect(s.labels['io.balena.update.strategy']).toBe('download-then-kill');
  });

  it.each(Object.keys(DEVICE_ARCH))(
    'Dockerfile.template rendered for %s: balenalib images of that type, two stages, no compilers where it runs',
    (device) => {
      const rendered = read('Dockerfile.template')
        .replaceAll('%%BALENA_MACHINE_NAME%%', device)
        .replaceAll('%%BALENA_ARCH%%', DEVICE_ARCH[device]!);
      expect(rendered).not.toMatch(/%%/);
      const froms = [...rendered.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)];
      expect(froms.map((m) => m[1])).toEqual([
        `balenalib/${device}-debian-node:20-bookworm-build`,
        `balenalib/${device}-debian-node:20-bookworm-run`,
      ]);
      const final = rendered.slice(rendered.lastIndexOf('\nFROM '));
      expect(final).not.toMatch(/build-essential|\bgcc\b|\bg\+\+|\bmake\b|--dev/);
      expect(final).toMatch(/COPY --from=build \/app \/app/);
      expect(final).toMatch(/^ENV .*\bMALLOC_ARENA_MAX=2\b/m);
      expect(final).toMatch(
        /^CMD \["node", "--max-semi-space-size=2", "bin\/classbox\.js", "run", "--config", "\/app\/balena\/classbox\.yaml"\]$/m,
      );
      // Every file the build copies exists.
      for (const m of rendered.matchAll(/^COPY (?!--from)(.+) \S+$/gm))
        for (const f of m[1]!.split(' ')) expect(existsSync(join(ROOT, f)), f).toBe(true);
    },
  );

  it('the board package script knows every supported device type, and refuses others', () => {
    for (const device of Object.keys(DEVICE_ARCH)) {
      const out = execFileSync('bash', [join(ROOT, 'firmware-scripts/board-packages.sh'), '--dry-run', '--dev', device], {
        encoding: 'utf8',
      });
      expect(out).toMatch(/install_packages .*gstreamer1\.0-plugins-good/);
      if (device.startsWith('jetson')) expect(out).toMatch(/nvidia-l4t-gstreamer/);
      // NVIDIA's user-space from the release the board runs: Orin JetPack 6 (r36, t234), Xavier JetPack 5 (r35, t194).
      if (device.startsWith('jetson-orin')) expect(out).toMatch(/jetson\/common r36\.\d+ main.*jetson\/t234 r36\.\d+ main/s);
      if (device.startsWith('jetson-xavier')) expect(out).toMatch(/jetson\/common r35\.\d+ main.*jetson\/t194 r35\.\d+ main/s);
      if (device.startsWith('raspberrypi')) expect(out).toMatch(/gstreamer1\.0-libcamera/);
    }
    expect(() =>
      execFileSync('bash', [join(ROOT, 'firmware-scripts/board-packages.sh'), '--dry-run', 'toaster'], { stdio: 'pipe' }),
    ).toThrow();
    // A Jetson whose L4T release the script does not know gets no user-space of another release.
    expect(() =>
      execFileSync('bash', [join(ROOT, 'firmware-scripts/board-packages.sh'), '--dry-run', 'jetson-nano-emmc'], { stdio: 'pipe' }),
    ).toThrow(/no L4T release known/);
  });

  it('the base config with device variables is a whole config (how a fleet configures its boxes)', () => {
    const config = loadConfig({
      file: join(ROOT, 'balena/classbox.yaml'),
      env: { CLASSBOX_SITE: 'school-12', CLASSBOX_ROOM: 'room-3', CLASSBOX_MQTT__URL: 'mqtts://broker.example:8883' },
    });
    expect(config).toMatchObject({ site: 'school-12', room: 'room-3', dataDir: '/data/classbox', fleet: { updateLock: 'on' } });
    expect(config.mqtt.url).toBe('mqtts://broker.example:8883');
  });
});
