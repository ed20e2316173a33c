import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { GstRunner } from '../../src/media/gst-runner.js';
import type { RunningPipeline } from '../../src/media/runner.js';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freeUdpPort, waitUntil } from '../helpers/net.js';
import { roomConfig, writeTempConfig } from '../helpers/temp-config.js';

const BASE = 'classbox/field-school/room-2';
const FPS = 30;
const HOLD_MS = 1500;

/**
 * The service's thread held for 1.5 s, as a long collection or a slow call holds it, in the box as a
 * school runs it (`classbox run`; the inspector, opened by SIGUSR1, is the only thing added: through it
 * the thread runs a busy loop). What a receiving room's decoder gets meanwhile is counted on its side of
 * SRT. Every encoded frame used to cross that thread on its way to the outputs: the stream stopped for
 * as long as the thread was held, then came in a burst.
 */
describe("the lesson's stream while the service's thread is held", () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let box: RunningCli;
  let viewer: RunningPipeline | undefined;
  let port = 0;

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    port = await freeUdpPort();
    const config = writeTempConfig(
      roomConfig('field-school', 'room-2', broker.url, {
        video: { width: 640, height: 360, fps: FPS, bitrateKbps: 800, keyframeIntervalS: 1 },
        audio: { device: 'test' },
        sources: { teacher: { kind: 'test', pattern: 'ball' } },
        outputs: [{ name: 'receivers', kind: 'srt', url: `srt://127.0.0.1:${port}?mode=listener` }],
      }),
    );
    box = startCli(['run', '--config', config], { env: { UV_THREADPOOL_SIZE: undefined, NODE_OPTIONS: '--inspect-port=0' } });
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 30_000);
  }, 60_000);

  afterAll(async () => {
    viewer?.stop();
    await box?.stop('SIGTERM');
    await watch?.close();
    await broker?.stop();
  });

  it('goes on at its rate: frames keep reaching the receiving room while the thread is held', async () => {
    expect((await requester(watch, BASE)('class/start', { mode: 'live', name: 'Held' })).status).toBe('ok');
    const arrivals: number[] = [];
    viewer = new GstRunner().create(
      `srtsrc uri=srt://127.0.0.1:${port}?mode=caller latency=20 ! tsdemux name=d latency=0 d. ! video/x-h264 ! appsink name=out sync=false`,
    );
    viewer.pullLoop('out', () => arrivals.push(performance.now()));
    viewer.play();
    await waitUntil(() => arrivals.length > FPS * 2 || undefined, 'the stream at the viewer', 30_000);

    box.child.kill('SIGUSR1');
    const url = (await box.waitForOutput(/Debugger listening on (ws:\/\/\S+)/, 10_000))[1]!;
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const answered = new Promise((resolve) => ws.once('message', resolve));
    const heldFrom = performance.now();
    ws.send(
      JSON.stringify({
        id: 1,
        method: 'Runtime.evaluate',
        params: { expression: `{ const until = Date.now() + ${HOLD_MS}; while (Date.now() < until); }` },
      }),
    );
    await answered;
    const heldFor = performance.now() - heldFrom;
    ws.close();
    await new Promise((r) => setTimeout(r, 500));

    // Inside the hold, away from its edges (the request's way in, the answer's way out).
    const inside = arrivals.filter((t) => t > heldFrom + 200 && t < heldFrom + HOLD_MS - 200);
    const span = arrivals.filter((t) => t > heldFrom && t < heldFrom + heldFor);
    const gaps = span.slice(1).map((t, i) => t - span[i]!);
    expect(heldFor).toBeGreaterThan(HOLD_MS);
    // About 33 frames in those 1.1 s; none at all when the stream crossed the held thread.
    expect(inside.length, `arrivals: ${span.map((t) => Math.round(t - heldFrom)).join(' ')}`).toBeGreaterThan(FPS * 1.1 * 0.7);
    expect(Math.max(...gaps)).toBeLessThan(250);
  }, 90_000);
});
