// How late the lesson arrives: `npm run bench -- latency`. A camera whose picture flips black/white on
// the wall clock, an anchor box and a receiving box (`classbox run`, each as a school runs it) on
// loopback, and screens (Xvfb) read by ffmpeg's x11grab: each flip is timed where a person would see
// it. Beside them, in the same run, the camera seen directly and a hand-made gst-launch-1.0 pair.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI } from '../tests/helpers/cli.js';
import { startMosquitto } from '../tests/helpers/mosquitto.js';
import { requester, watchMqtt } from '../tests/helpers/mqtt-watch.js';
import { freePort, freeUdpPort } from '../tests/helpers/net.js';
import { rtspServer } from '../tests/helpers/rtsp-server.js';
import { table } from './lib.js';
import { startScreen, watchFlips, type Edges } from './screen.js';

const W = 1280;
const H = 720;
const FPS = 30;
const WATCH_S = Number(process.env.LATENCY_WATCH_S ?? 24);
/** Which paths to measure (`LATENCY_PATHS=3,4`); all by default. */
const PATHS = process.env.LATENCY_PATHS?.split(',').map(Number);
const want = (n: number) => !PATHS || PATHS.includes(n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Proc {
  stop(): Promise<void>;
}

function launch(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc & { child: ChildProcess; output: () => string } {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(killer);
    },
  };
}

/** The software profile's display, as a gst-launch-1.0 viewer would show a stream. */
const SHOW = ['!', 'videoconvert', '!', 'autovideosink', 'sync=false'];
/** A gst-launch-1.0 viewer of an SRT stream, started again if it ends (a caller that came before its listener). */
function gstViewer(srtUrl: string, display: string): Proc {
  let stopped = false;
  let current: Proc & { child: ChildProcess };
  const start = () => {
    current = launch('gst-launch-1.0', ['srtsrc', `uri=${srtUrl}`, 'latency=120', '!', 'tsdemux', '!', 'h264parse', '!', 'avdec_h264', ...SHOW], { DISPLAY: display });
    current.child.once('exit', () => !stopped && setTimeout(start, 500));
  };
  start();
  return {
    stop: async () => {
      stopped = true;
      await current.stop();
    },
  };
}

export async function latency(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'classbox-latency-'));
  const broker = await startMosquitto();
  const camera = rtspServer(await freePort(), { width: W, height: H, fps: FPS });
  await camera.start();
  // Two screens: the receiving classroom's projector, and the one a viewer of the anchor's stream watches.
  const room = await startScreen(W, H);
  const viewer = await startScreen(W, H, 100);
  const ports = { lesson: await freeUdpPort(), uplink: await freeUdpPort(), gstPair: await freeUdpPort() };
  const watch = await watchMqtt(broker.url, ['classbox/lab/+/response/#', 'classbox/lab/+/availability']);
  const boxes: Proc[] = [];
  const rows: Array<Record<string, string | number>> = [];
  const measureOn = async (path: string, display: string, settleMs = 6000): Promise<Edges> => {
    await sleep(settleMs);
    const e = await watchFlips(display, WATCH_S);
    rows.push({ path, 'median ms': e.medianMs ?? '-', 'min ms': e.minMs ?? '-', 'max ms': e.maxMs ?? '-', flips: e.delaysMs.length });
    console.error(`${path}: ${JSON.stringify(e.delaysMs)}`);
    return e;
  };
  const common = (room: string, http: number) => ({
    site: 'lab',
    room,
    profile: 'software',
    dataDir: join(dir, room),
    mqtt: { url: broker.url },
    http: { host: '127.0.0.1', port: http },
    video: { width: W, height: H, fps: FPS, bitrateKbps: 2000, keyframeIntervalS: 2 },
    audio: { device: process.env.LATENCY_AUDIO ?? 'test', speaker: 'none' },
  });
  const startBox = async (name: string, doc: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, stringify(doc));
    const box = launch(process.execPath, [CLI, 'run', '--config', file], env);
    boxes.push(box);
    await watch.waitFor(`classbox/lab/${name}/availability`, (p) => p === 'online', 60_000).catch(() => {
      throw new Error(`${name} did not come online:\n${box.output()}`);
    });
    const ask = requester(watch, `classbox/lab/${name}`, 30_000);
    const started = await ask('class/start', { mode: 'live', name: 'Latency' });
    if (started.status !== 'ok') throw new Error(`${name} did not start a class: ${JSON.stringify(started)}`);
    return ask;
  };
  try {
    // 1. The camera alone, decoded and shown: the leg every path below includes.
    if (want(1)) {
    const direct = launch('gst-launch-1.0', ['rtspsrc', `location=${camera.url}`, 'latency=0', '!', 'rtph264depay', '!', 'h264parse', '!', 'avdec_h264', ...SHOW], { DISPLAY: viewer.display });
    await measureOn('camera -> screen (gst-launch-1.0, rtspsrc latency=0)', viewer.display);
    await direct.stop();
    }

    // 2. A hand-made anchor and receiver in gst-launch-1.0, the same elements as the boxes use.
    if (want(2)) {
    const gstAnchor = launch('gst-launch-1.0', [
      'rtspsrc', `location=${camera.url}`, 'latency=0', '!', 'rtph264depay', '!', 'h264parse', '!', 'avdec_h264', '!', 'videoconvert', '!',
      'x264enc', 'tune=zerolatency', 'speed-preset=ultrafast', 'bitrate=2000', `key-int-max=${2 * FPS}`, '!', 'h264parse', 'config-interval=-1', '!',
      'mpegtsmux', 'alignment=7', '!', 'srtsink', `uri=srt://127.0.0.1:${ports.gstPair}?mode=listener`, 'wait-for-connection=false',
    ]);
    await sleep(1000);
    const gstRecv = gstViewer(`srt://127.0.0.1:${ports.gstPair}?mode=caller`, viewer.display);
    await measureOn('camera -> gst-launch anchor -> SRT -> gst-launch viewer', viewer.display);
    await gstRecv.stop();
    await gstAnchor.stop();
    }

    // 3. The anchor box: the camera composed, encoded and sent; a gst-launch-1.0 viewer of its SRT.
    const askAnchor = await startBox('anchor', {
      ...common('anchor', await freePort()),
      role: 'broadcast',
      sources: { teacher: { kind: 'rtsp', url: camera.url }, 'class-a': { kind: 'remote', url: `srt://127.0.0.1:${ports.uplink}?mode=listener` } },
      layout: 'single:teacher',
      outputs: [{ name: 'receivers', kind: 'srt', url: `srt://127.0.0.1:${ports.lesson}?mode=listener` }],
    });
    const anchorView = gstViewer(`srt://127.0.0.1:${ports.lesson}?mode=caller`, viewer.display);
    if (want(3)) await measureOn('camera -> anchor box -> SRT -> gst-launch viewer', viewer.display);

    if (want(4) || want(5)) {
    // 4. The receiving box: the lesson on its projector; its students' camera sent back as the uplink.
    await startBox(
      'room-3',
      {
        ...common('room-3', await freePort()),
        role: 'receive',
        sources: { lesson: { kind: 'remote', url: `srt://127.0.0.1:${ports.lesson}?mode=caller` }, students: { kind: 'rtsp', url: camera.url } },
        outputs: [{ name: 'uplink', kind: 'srt', url: `srt://127.0.0.1:${ports.uplink}?mode=caller` }],
      },
      { DISPLAY: room.display },
    );
    if (want(4)) await measureOn('camera -> anchor box -> SRT -> receiving box display', room.display, 8000);

    // 5. The way back: the receiving room's camera -> its uplink -> the anchor's picture -> out.
    await askAnchor('layout/set', { layout: 'single:class-a' });
    if (want(5)) await measureOn('students camera -> receiving box -> anchor box -> SRT -> gst-launch viewer', viewer.display);
    }
    await anchorView.stop();
  } finally {
    for (const b of boxes) await b.stop();
    await watch.close();
    await camera.stop();
    await room.stop();
    await viewer.stop();
    await broker.stop();
  }
  console.log(`\n### Latency: camera to screen, ${W}x${H} ${FPS} fps, loopback (flip picture, x11grab at 60 fps, ${WATCH_S} s per path)\n`);
  console.log(table(rows));
}
