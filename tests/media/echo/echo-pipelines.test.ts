import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { EventBus } from '../../../src/core/events.js';
import { buildGraph } from '../../../src/media/graph.js';
import { GstRunner } from '../../../src/media/gst-runner.js';
import { launchString } from '../../../src/media/launch.js';
import { Player } from '../../../src/media/player.js';
import { loadBoardProfile } from '../../../src/media/profiles.js';
import type { EchoPorts } from '../../../src/media/echo/echo-link.js';
import { makeTestLesson } from '../../helpers/media.js';
import { freeUdpPort, sleep, waitUntil } from '../../helpers/net.js';
import { tempDir } from '../../helpers/temp-config.js';

const software = loadBoardProfile('software');
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

/** Bytes that arrive on a loopback UDP port. */
async function listen(port: number): Promise<{ bytes: () => number }> {
  const s = createSocket('udp4');
  sockets.push(s);
  let bytes = 0;
  s.on('message', (b) => (bytes += b.length));
  await new Promise<void>((r) => s.bind(port, '127.0.0.1', r));
  return { bytes: () => bytes };
}

async function ports(): Promise<EchoPorts> {
  return { far: await freeUdpPort(), mic: await freeUdpPort(), clean: await freeUdpPort() };
}

const config = (extra: Record<string, unknown>) =>
  loadConfig({ base: { site: 's', room: 'r', sources: { cam: { kind: 'test' } }, ...extra }, env: {} });

describe('the pipelines with the echo canceller', () => {
  it('send the microphone to the canceller as 16 kHz mono, as it is captured, and take it back from it', async () => {
    const echo = await ports();
    const mic = await listen(echo.mic);
    const g = buildGraph(config({ audio: { device: 'test', speaker: 'default' } }), software, 'broadcast', { echo });
    const line = launchString(g.audio!.tokens);
    expect(line).toContain(`udpsrc name=echo-clean address=127.0.0.1 port=${echo.clean}`);
    const p = new GstRunner().create(line);
    p.play();
    try {
      await sleep(2000);
      // 16,000 samples of 2 bytes a second; the first buffers may come late.
      expect(mic.bytes()).toBeGreaterThan(1.5 * 32_000 * 0.9);
      expect(mic.bytes()).toBeLessThan(2 * 32_000 * 1.1);
    } finally {
      p.stop();
    }
  });

  it('send what an implanted lesson plays, from a branch of the speakers inside playbin', async () => {
    const echo = await ports();
    const far = await listen(echo.far);
    const lesson = await makeTestLesson(join(tempDir(), 'lesson.mp4'), 4);
    const c = loadConfig({
      base: { site: 's', room: 'r', role: 'receive', display: { sink: 'none' }, audio: { speaker: 'null' } },
      env: {},
    });
    const bus = new EventBus();
    const failed: unknown[] = [];
    bus.on({}, 'playback.failed', (e) => failed.push(e));
    const player = new Player({
      config: c,
      log: pino({ level: 'silent' }),
      bus,
      runner: new GstRunner(),
      profile: software,
      echoPorts: () => echo,
    });
    player.open(lesson);
    try {
      await waitUntil(() => far.bytes() > 16_000, 'the far end sent', 10_000);
      expect(failed).toEqual([]);
    } finally {
      player.stop();
    }
  });

  it('are the pipelines of before without it', () => {
    const c = config({
      audio: { device: 'test', speaker: 'default' },
      role: 'receive',
      sources: { lesson: { kind: 'remote', url: 'srt://127.0.0.1:9000?mode=caller' }, cam: { kind: 'test' } },
    });
    const g = buildGraph(c, software, 'receive');
    for (const spec of [g.audio!, g.display!]) expect(launchString(spec.tokens)).not.toContain('udp');
    const withEcho = buildGraph(c, software, 'receive', { echo: { far: 1, mic: 2, clean: 3 } });
    // What the lesson's speakers play leaves 100 ms before they play it.
    expect(launchString(withEcho.display!.tokens)).toContain('udpsink host=127.0.0.1 port=1 async=false sync=true ts-offset=-100000000');
  });
});
