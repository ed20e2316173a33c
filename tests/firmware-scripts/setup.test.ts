import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);

describe('firmware-scripts/setup.sh', () => {
  it('does nothing on a machine that has everything (the second run)', async () => {
    // The suite itself was started through it (npm pretest), so this is at least the second run. Asked
    // with --dry-run, which says the same and does nothing: on a tree whose dependencies were changed by
    // hand, a real run reinstalled node_modules under the tests that were running.
    const { stdout, stderr } = await run('bash', ['firmware-scripts/setup.sh', '--dry-run'], { cwd: ROOT });
    expect(stderr).toBe('');
    expect(stdout).toBe('');
  });

  it('with --dry-run names every missing package and installs nothing', async () => {
    // A dpkg-query that knows no package: everything counts as missing.
    const bin = mkdtempSync(join(tmpdir(), 'fake-dpkg-'));
    writeFileSync(join(bin, 'dpkg-query'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(bin, 'dpkg-query'), 0o755);
    const { stdout, stderr } = await run('bash', ['firmware-scripts/setup.sh', '--dry-run'], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe(
      'setup: installing: gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-x gstreamer1.0-alsa fonts-dejavu-core gir1.2-gst-rtsp-server-1.0 python3-gi mosquitto mosquitto-clients socat ffmpeg openssl build-essential python3 prometheus nginx-light libnginx-mod-rtmp systemd postgresql-15 xvfb pulseaudio pulseaudio-utils libasound2-plugins chromium',
    );
  });
});
