import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { lessonPacedMs, lessonPlayedEarlier, requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freePort, freeUdpPort, sleep } from '../helpers/net.js';
import { listenForTones, startPulse, toneInto, type Pulse } from '../helpers/pulse.js';
import { rtspServer, type RtspServer } from '../helpers/rtsp-server.js';
import { startScreen, watchFlips, type Screen } from '../helpers/screen.js';
import { roomConfig, writeTempConfig } from '../helpers/temp-config.js';

const SITE = 'lab';
const VIDEO = { width: 320, height: 180, fps: 25, bitrateKbps: 400, keyframeIntervalS: 1 };
const WATCH_S = 16;

/**
 * How late the lesson arrives, and whether its sound keeps with its picture, where the receiving room
 * sees and hears it: a camera whose picture flips black/white on the wall clock's even seconds and a
 * microphone that hears a tone start and stop on the same seconds, an anchor and a receiving box
 * (`classbox run`), the receiving room's projector on a real screen (Xvfb, read by x11grab) and its
 * speakers on a real sound server (PulseAudio, read by parec). The figures themselves, beside
 * gst-launch-1.0, are `npm run bench -- latency`; this holds the line a classroom would notice.
 */
describe('the lesson in the receiving room: late by how much, and in lip sync', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let camera: RtspServer;
  let screen: Screen;
  let pulse: Pulse;
  let tone: { stop(): void };
  const boxes: RunningCli[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `classbox/${SITE}/#`);
    camera = rtspServer(await freePort(), { width: VIDEO.width, height: VIDEO.height, fps: VIDEO.fps });
    await camera.start();
    screen = await startScreen(640, 360);
    pulse = await startPulse();
    tone = toneInto(pulse, 'mic');
    const lesson = await freeUdpPort();
    const common = (room: string) => roomConfig(SITE, room, broker.url, { video: VIDEO, audio: { device: 'pulse', speaker: 'pulse' } });
    const anchor = writeTempConfig({
      ...common('anchor'),
      http: { host: '127.0.0.1', port: await freePort() },
      sources: { teacher: { kind: 'rtsp', url: camera.url } },
      layout: 'single:teacher',
      outputs: [{ name: 'receivers', kind: 'srt', url: `srt://127.0.0.1:${lesson}?mode=listener` }],
    });
    const room = writeTempConfig({
      ...common('room-3'),
      http: { host: '127.0.0.1', port: await freePort() },
      mqtt: { url: broker.url, telemetryIntervalS: 1 },
      role: 'receive',
      sources: { lesson: { kind: 'remote', url: `srt://127.0.0.1:${lesson}?mode=caller` } },
      outputs: [],
    });
    // The anchor's microphone hears the tone; the receiving room's speakers are the `room` sink, its
    // projector the screen.
    for (const [name, config, env] of [
      ['anchor', anchor, { PULSE_SOURCE: 'mic.monitor', PULSE_SINK: 'hall' }],
      ['room-3', room, { PULSE_SOURCE: 'hall.monitor', PULSE_SINK: 'room', DISPLAY: screen.display }],
    ] as const) {
      const box = startCli(['run', '--config', config], { env: { ...pulse.env, ...env } });
      boxes.push(box);
      await watch.waitFor(`classbox/${SITE}/${name}/availability`, (p) => p === 'online', 30_000);
      const r = await requester(watch, `classbox/${SITE}/${name}`, 20_000)('class/start', { mode: 'live', name: 'Latency' });
      expect(r.status).toBe('ok');
    }
  }, 90_000);

  afterAll(async () => {
    for (const b of boxes) await b.stop('SIGTERM');
    tone?.stop();
    await watch?.close();
    await camera?.stop();
    await screen?.stop();
    await pulse?.stop();
    await broker?.stop();
  });

  it("shows the camera on the room's projector within 0.4 s, its sound within 120 ms of its picture", async () => {
    // A call's first seconds are played on the timing the lesson comes with, until the room has measured
    // what it can spare and played it earlier (its telemetry's pacedMs): watched across that move, the
    // picture and the sound each had a median from either side of it (flips after the move, tones before:
    // 175 and 255 ms in one run), which is a call's start and not its lip sync.
    const paced = await lessonPlayedEarlier(watch, `classbox/${SITE}/room-3`, 40_000);
    // The frames queued behind the move are dropped as late by their sinks.
    await sleep(1000);
    const [picture, sound] = await Promise.all([watchFlips(screen.display, WATCH_S), listenForTones(pulse, 'room', WATCH_S)]);
    console.log(
      `played ${-lessonPacedMs(paced.payload)} ms earlier; camera to projector ${picture.medianMs} ms, microphone to speakers ${sound.medianMs} ms (medians; flips ${JSON.stringify(picture.delaysMs)}, tones ${JSON.stringify(sound.delaysMs)})`,
    );
    expect(picture.delaysMs.length).toBeGreaterThanOrEqual(5);
    expect(sound.delaysMs.length).toBeGreaterThanOrEqual(4);
    // Camera to projector, once the call is played earlier: 212-231 ms in four runs here (476-543 before
    // the lesson was paced; 2 s and more before tsdemux stopped adding 700 ms). Run alone: timing under
    // other tests' load is not the box's. A call that waits what GStreamer works out for its latency (230
    // ms when the lesson's branches are linked as it first plays) shows it 450 ms and more late.
    expect(picture.medianMs!).toBeLessThan(400);
    // Sound after picture at this size: -38 to -14 ms in the same four runs (at 720p30 the latency bench
    // keeps it within +-45; the programme asks +-45 at every size, not met here yet; x11grab's 60 fps and
    // parec's chunks each add up to 17 ms of their own); 300 ms before both played on the pipeline's clock.
    expect(Math.abs(sound.medianMs! - picture.medianMs!)).toBeLessThan(120);
  }, 90_000);
});
