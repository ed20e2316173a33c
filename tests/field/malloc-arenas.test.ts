import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freePort, freeUdpPort, sleep } from '../helpers/net.js';
import { roomConfig, tempDir, writeTempConfig } from '../helpers/temp-config.js';

const BASE = 'classbox/arena-school/room-1';

/**
 * glibc's thread arenas' heaps in a process (the main arena is `[heap]`, not counted). glibc reserves each
 * heap as 64 MiB on a 64 MiB boundary and opens it for writing as it grows: a read-write mapping with no
 * file behind it, then the rest of the 64 MiB still reserved (`---p`) up to the next boundary, unless the
 * heap fills it all. V8 places its own 256 KiB pages at random, a few of them on a 64 MiB boundary by
 * chance: they are not followed by such a reservation.
 */
function threadArenas(pid: number): number {
  const HEAP = 64n << 20n;
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [range, perms, , , , path] = l.split(/\s+/);
      const [start, end] = range!.split('-').map((h) => BigInt(`0x${h}`)) as [bigint, bigint];
      return { start, end, perms, path };
    });
  return maps.filter((m, i) => {
    if (m.perms !== 'rw-p' || m.path || m.start % HEAP !== 0n) return false;
    if (m.end - m.start === HEAP) return true;
    const rest = maps[i + 1];
    return rest !== undefined && rest.start === m.end && rest.perms === '---p' && !rest.path && rest.end === m.start + HEAP;
  }).length;
}

/**
 * A box in a class runs dozens of GStreamer streaming threads. glibc gives each thread that allocates
 * under contention an arena of its own (up to 8 per core) and each keeps what was freed in it: a box
 * held twelve. The bin starts Node with two (MALLOC_ARENA_MAX, which glibc reads only from the
 * environment at start).
 */
describe('the box as users start it keeps to two malloc arenas', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let box: RunningCli;
  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    const config = writeTempConfig(
      roomConfig('arena-school', 'room-1', broker.url, {
        httpPort: await freePort(),
        video: { width: 320, height: 180, fps: 25, bitrateKbps: 400 },
        audio: { device: 'test' },
        sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball' }, students: { kind: 'test', pattern: 'snow' } },
        outputs: [
          { name: 'archive', kind: 'record', dir: tempDir(), segmentS: 10 },
          { name: 'receivers', kind: 'srt', url: `srt://127.0.0.1:${await freeUdpPort()}?mode=listener` },
          { name: 'web', kind: 'hls', dir: tempDir(), segmentS: 2, playlistLength: 4 },
        ],
      }),
    );
    // Nothing the README does not name: the environment of a school's shell.
    // Left out, not inherited: startCli lays env over this process's environment.
    const env = { ...process.env, MALLOC_ARENA_MAX: undefined };
    box = startCli(['run', '--config', config], { env });
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 30_000);
  }, 60_000);
  afterAll(async () => {
    await box?.stop('SIGTERM');
    await watch?.close();
    await broker?.stop();
  });

  it('every pipeline of a class running, the threads share two arenas', async () => {
    const r = await requester(watch, BASE, 20_000)('class/start', { mode: 'live', name: 'Arenas' });
    expect(r.status).toBe('ok');
    await sleep(8000);
    expect(readFileSync(`/proc/${box.child.pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
    // One thread arena besides the main one, which may take a second 64 MiB heap. Without the limit: twelve.
    expect(threadArenas(box.child.pid!)).toBeLessThanOrEqual(2);
  }, 60_000);
});
