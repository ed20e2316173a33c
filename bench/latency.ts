// How late the lesson arrives: `npm run bench -- latency`. A camera whose picture flips black/white on
// the wall clock, an anchor box and a receiving box (`classbox run`, each as a school runs it) on
// loopback, and screens (Xvfb) read by ffmpeg's x11grab: each flip is timed where a person would see
// it. Beside them, in the same run, the camera seen directly and a hand-made gst-launch-1.0 pair.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { CLI } from '../tests/helpers/cli.js';
import { startMosquitto } from '../tests/helpers/mosquitto.js';
import { requester, watchMqtt } from '../tests/helpers/mqtt-watch.js';
import { freePort, freeUdpPort } from '../tests/helpers/net.js';
import { rtspServer } from '../tests/helpers/rtsp-server.js';
import { table } from './lib.js';
import { SRT_FLOOR_LATENCY_MS } from '../src/media/srt-latency.js';
import { startScreen, watchFlips, type Edges } from '../tests/helpers/screen.js';
import { listenForTones, startPulse, toneInto } from '../tests/helpers/pulse.js';

/** The picture and its bitrate: 1280x720 at 30 fps and 2000 kbit/s, or `LATENCY_VIDEO=320x180@25/400` (the two-box test's). */
const VIDEO_SPEC = /^(\d+)x(\d+)@(\d+)\/(\d+)$/.exec(process.env.LATENCY_VIDEO ?? '');
const [W, H, FPS, KBPS] = (VIDEO_SPEC ? VIDEO_SPEC.slice(1).map(Number) : [1280, 720, 30, 2000]) as [number, number, number, number];
const WATCH_S = Number(process.env.LATENCY_WATCH_S ?? 24);
/**
 * SRT's latency on every hop, boxes and gst-launch-1.0 alike (`LATENCY_SRT_MS`). Unset: the boxes as a
 * school configures them (no latency: each receiver fits it to its link, 20 ms on loopback), and
 * gst-launch-1.0 at the figure they fit.
 */
const SRT_SET = process.env.LATENCY_SRT_MS ? Number(process.env.LATENCY_SRT_MS) : undefined;
const SRT_MS = SRT_SET ?? SRT_FLOOR_LATENCY_MS;
/** A box's SRT source as configured: the latency set, or none. */
const boxSrt = (url: string) => ({ kind: 'remote' as const, url, ...(SRT_SET !== undefined ? { latencyMs: SRT_SET } : {}) });
/** A box's SRT output URL as configured. */
const boxSrtUrl = (url: string) => (SRT_SET !== undefined ? `${url}&latency=${SRT_SET}` : url);
/** Which paths to measure (`LATENCY_PATHS=3,4`); all by default. */
const PATHS = process.env.LATENCY_PATHS?.split(',').map(Number);
// Made before anything starts: a directory that was not there ended a run with its boxes left running.
if (process.env.LATENCY_LOGS) mkdirSync(process.env.LATENCY_LOGS, { recursive: true });
const want = (n: number) => !PATHS || PATHS.includes(n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ARRIVAL_PROBE = fileURLToPath(new URL('./arrival-probe.py', import.meta.url));
/** LATENCY_DEBUG_BOX=<box> LATENCY_GST_DEBUG=<categories>: that box's GStreamer log (kept with LATENCY_LOGS), and the arrival probe's. */
const GST_DEBUG_ENV = { GST_DEBUG: process.env.LATENCY_GST_DEBUG ?? 'srtsrc:6', GST_DEBUG_NO_COLOR: '1' };

interface Proc {
  stop(): Promise<void>;
}

function launch(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc & { child: ChildProcess; output: () => string } {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  // LATENCY_LOGS=<dir>: each process's whole output kept there, to read what the boxes said.
  const logFile = process.env.LATENCY_LOGS ? join(process.env.LATENCY_LOGS, `${basename(cmd)}-${child.pid}.log`) : undefined;
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-8000);
    if (logFile) appendFileSync(logFile, d);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
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

/**
 * A gst-launch-1.0 viewer of an SRT stream, as quick as a player can be: the picture shown as it is
 * decoded, and the sound, in a pipeline of its own, played as it arrives into a 40 ms device buffer
 * behind a queue that keeps at most 100 ms (sound that comes in a burst when the viewer joins would
 * otherwise stay that late for good; in one pipeline with the picture, a full sound queue holds the
 * demuxer, and the picture with it).
 * Each is started again if it ends (a caller that came before its listener).
 */
function gstViewer(srtUrl: string, display: string, sound: NodeJS.ProcessEnv): Proc {
  let stopped = false;
  const head = ['srtsrc', `uri=${srtUrl}`, `latency=${SRT_MS}`, '!', 'tsdemux', '!'];
  const lines = [
    { args: [...head, 'h264parse', '!', 'avdec_h264', ...SHOW], env: { DISPLAY: display } },
    {
      args: [
        ...head,
        // The anchor box's sound is Opus, the hand-made anchor's AAC: decodebin takes either.
        'audio/mpeg;audio/x-opus',
        '!',
        'decodebin',
        '!',
        'audioconvert',
        '!',
        'audioresample',
        '!',
        'queue',
        'max-size-time=100000000',
        'max-size-buffers=0',
        'max-size-bytes=0',
        'leaky=downstream',
        '!',
        'alsasink',
        'device=pulse',
        'sync=false',
        'buffer-time=40000',
        'latency-time=10000',
      ],
      env: sound,
    },
  ];
  const current: Array<ReturnType<typeof launch>> = [];
  const start = (i: number) => {
    const p = launch('gst-launch-1.0', lines[i]!.args, lines[i]!.env);
    current[i] = p;
    p.child.once('exit', () => !stopped && setTimeout(() => start(i), 500));
  };
  lines.forEach((_, i) => start(i));
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(current.map((p) => p.stop()));
    },
  };
}

/** A hand-made anchor in gst-launch-1.0 (picture only): the camera, the same encoder settings as the box, SRT out. */
function gstAnchorLine(cameraUrl: string, port: number): string[] {
  return (
    `rtspsrc location=${cameraUrl} latency=0 ! rtph264depay ! h264parse ! avdec_h264 ! videoconvert ! ` +
    `x264enc tune=zerolatency speed-preset=ultrafast bitrate=${KBPS} key-int-max=${2 * FPS} ! h264parse config-interval=-1 ! ` +
    `mpegtsmux alignment=7 ! srtsink uri=srt://127.0.0.1:${port}?mode=listener latency=${SRT_MS} wait-for-connection=false`
  ).split(' ');
}

/**
 * Where a viewer's time goes: the same SRT stream shown by gst-launch-1.0 viewers that differ in one
 * thing each (on the clock or as decoded, through a compositor with a live slate as the receiving box's
 * display, the sink played early).
 */
function viewerVariants(srtUrl: string): Record<string, string> {
  const head = `srtsrc uri=${srtUrl} latency=${SRT_MS} ! tsdemux latency=0 ! h264parse ! avdec_h264`;
  const slate = `videotestsrc is-live=true pattern=black ! video/x-raw,format=I420,width=${W},height=${H},framerate=${FPS}/1 ! mix.sink_1`;
  const composed = (sync: boolean) =>
    `${head} ! queue max-size-buffers=2 max-size-time=0 max-size-bytes=0 ! videoconvert ! videoscale ! mix.sink_0 ` +
    `compositor name=mix background=black sink_1::alpha=0 ! video/x-raw,width=${W},height=${H},framerate=${FPS}/1 ` +
    `! videoconvert ! autovideosink sync=${sync} ${slate}`;
  const sliced = head.replace('avdec_h264', 'avdec_h264 thread-type=slice');
  return {
    'shown as decoded (sync=false)': `${head} ! videoconvert ! autovideosink sync=false`,
    'on the clock (sync=true)': `${head} ! videoconvert ! autovideosink sync=true`,
    'on the clock, tsdemux ignore-pcr=true': `${head.replace('latency=0', 'latency=0 ignore-pcr=true')} ! videoconvert ! autovideosink sync=true`,
    'through a compositor with a live slate, on the clock': composed(true),
    'on the clock, the decoder in slice threads (thread-type=slice)': `${sliced} ! videoconvert ! autovideosink sync=true`,
    'shown as decoded, the decoder in slice threads': `${sliced} ! videoconvert ! autovideosink sync=false`,
  };
}

interface Heard {
  path: string;
  picture?: string;
  sound?: string;
}

export async function latency(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'classbox-latency-'));
  const broker = await startMosquitto();
  const camera = rtspServer(await freePort(), { width: W, height: H, fps: FPS });
  await camera.start();
  // Two screens: the receiving classroom's projector, and the one a viewer of the anchor's stream watches.
  const room = await startScreen(W, H);
  const viewer = await startScreen(W, H, 100);
  // The anchor's microphone (`mic`) and the receiving room's (`roommic`) hear different things: one
  // tone heard by both came back to each box from the other, and each box's echo canceller took it
  // for its speakers' echo.
  const pulse = await startPulse(['roommic']);
  let voice = toneInto(pulse, 'mic');
  const ports = { lesson: await freeUdpPort(), uplink: await freeUdpPort(), gstPair: await freeUdpPort() };
  const watch = await watchMqtt(broker.url, ['classbox/lab/+/response/#', 'classbox/lab/+/availability']);
  const boxes: Proc[] = [];
  const rows: Array<Record<string, string | number>> = [];
  const ms = (e: Edges | undefined) => (e?.medianMs === null || e === undefined ? '-' : e.medianMs);
  /** The picture on a screen and the sound at a sink, watched at the same time. */
  const measure = async ({ path, picture, sound }: Heard, settleMs = 6000): Promise<void> => {
    await sleep(settleMs);
    const [p, a] = await Promise.all([
      picture ? watchFlips(picture, WATCH_S) : undefined,
      sound ? listenForTones(pulse, sound, WATCH_S) : undefined,
    ]);
    const offset = p?.medianMs != null && a?.medianMs != null ? Math.round((a.medianMs - p.medianMs) * 10) / 10 : '-';
    rows.push({
      path,
      'picture median ms': ms(p),
      'picture min-max ms': p?.minMs != null ? `${p.minMs}-${p.maxMs}` : '-',
      'sound median ms': ms(a),
      'sound min-max ms': a?.minMs != null ? `${a.minMs}-${a.maxMs}` : '-',
      'sound after picture ms': offset,
    });
    console.error(`${path}: picture ${JSON.stringify(p?.delaysMs ?? [])}, sound ${JSON.stringify(a?.delaysMs ?? [])}`);
  };
  const common = (name: string, http: number) => ({
    site: 'lab',
    room: name,
    profile: 'software',
    dataDir: join(dir, name),
    mqtt: { url: broker.url },
    http: { host: '127.0.0.1', port: http },
    video: { width: W, height: H, fps: FPS, bitrateKbps: KBPS, keyframeIntervalS: 2 },
    // Both rooms' microphones hear the tone; each box plays to its own speakers. LATENCY_AUDIO=off:
    // boxes without either (what the picture costs alone).
    audio: process.env.LATENCY_AUDIO === 'off' ? { device: 'none', speaker: 'none' } : { device: 'pulse', speaker: 'pulse' },
  });
  const startBox = async (name: string, doc: Record<string, unknown>, env: NodeJS.ProcessEnv) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, stringify(doc));
    const trace =
      name === process.env.LATENCY_TRACE_BOX
        ? { GST_TRACERS: process.env.LATENCY_TRACERS ?? 'latency', GST_DEBUG: 'GST_TRACER:7', GST_DEBUG_NO_COLOR: '1' }
        : name === process.env.LATENCY_DEBUG_BOX
          ? GST_DEBUG_ENV
          : {};
    const box = launch(CLI, ['run', '--config', file], { ...pulse.env, PULSE_SOURCE: 'mic.monitor', ...env, ...trace });
    boxes.push(box);
    await watch
      .waitFor(`classbox/lab/${name}/availability`, (p) => p === 'online', 60_000)
      .catch(() => {
        throw new Error(`${name} did not come online:\n${box.output()}`);
      });
    const ask = requester(watch, `classbox/lab/${name}`, 30_000);
    const started = await ask('class/start', { mode: 'live', name: 'Latency' });
    if (started.status !== 'ok') throw new Error(`${name} did not start a class: ${JSON.stringify(started)}`);
    return ask;
  };
  try {
    // 1. The camera and the microphone alone: the legs every path below includes.
    if (want(1)) {
      const direct = launch(
        'gst-launch-1.0',
        ['rtspsrc', `location=${camera.url}`, 'latency=0', '!', 'rtph264depay', '!', 'h264parse', '!', 'avdec_h264', ...SHOW],
        { DISPLAY: viewer.display },
      );
      await measure({
        path: 'camera -> screen (gst-launch-1.0, rtspsrc latency=0); tone -> microphone',
        picture: viewer.display,
        sound: 'mic',
      });
      await direct.stop();
    }

    // 2. A hand-made anchor in gst-launch-1.0 (picture only), the same elements as the box uses.
    if (want(2)) {
      const gstAnchor = launch('gst-launch-1.0', gstAnchorLine(camera.url, ports.gstPair));
      await sleep(1000);
      const gstRecv = gstViewer(`srt://127.0.0.1:${ports.gstPair}?mode=caller`, viewer.display, { ...pulse.env, PULSE_SINK: 'hall' });
      await measure({ path: 'camera -> gst-launch anchor -> SRT -> gst-launch viewer', picture: viewer.display });
      await gstRecv.stop();
      await gstAnchor.stop();
    }

    // 6. Where a viewer's time goes (LATENCY_PATHS=6): one gst-launch-1.0 anchor, viewers that differ in one thing each.
    if (want(6)) {
      const gstAnchor = launch('gst-launch-1.0', gstAnchorLine(camera.url, ports.gstPair));
      await sleep(1000);
      for (const [name, line] of Object.entries(viewerVariants(`srt://127.0.0.1:${ports.gstPair}?mode=caller`))) {
        const v = launch('gst-launch-1.0', line.split(' '), { DISPLAY: viewer.display });
        const path = `camera -> gst-launch anchor -> SRT -> viewer ${name}`;
        await measure({ path, picture: viewer.display }, 5000).catch((err: Error) =>
          rows.push({
            path,
            'picture median ms': `nothing seen (${err.message.slice(0, 60)})`,
          }),
        );
        await v.stop();
      }
      await gstAnchor.stop();
    }
    if (want(3) || want(4) || want(5)) {
      // 3. The anchor box: the camera composed, encoded and sent; a gst-launch-1.0 viewer of its SRT.
      const askAnchor = await startBox(
        'anchor',
        {
          ...common('anchor', await freePort()),
          role: 'broadcast',
          sources: {
            // LATENCY_CAMERA_MS: the camera's jitter buffer (rtspsrc latency), the box's default (200) when unset.
            teacher: {
              kind: 'rtsp',
              url: camera.url,
              ...(process.env.LATENCY_CAMERA_MS ? { latencyMs: Number(process.env.LATENCY_CAMERA_MS) } : {}),
            },
            'class-a': boxSrt(`srt://127.0.0.1:${ports.uplink}?mode=listener`),
          },
          layout: 'single:teacher',
          outputs: [{ name: 'receivers', kind: 'srt', url: boxSrtUrl(`srt://127.0.0.1:${ports.lesson}?mode=listener`) }],
        },
        { PULSE_SINK: 'hall' },
      );
      const anchorView = gstViewer(`srt://127.0.0.1:${ports.lesson}?mode=caller`, viewer.display, { ...pulse.env, PULSE_SINK: 'room' });
      // LATENCY_ARRIVAL=1: the anchor box's stream decoded as it arrives, before any player's own wait
      // (bench/arrival-probe.py): what the box and the network take.
      if (process.env.LATENCY_ARRIVAL === '1') {
        const probe = launch('/usr/bin/python3', [ARRIVAL_PROBE, `srt://127.0.0.1:${ports.lesson}?mode=caller`, String(WATCH_S)]);
        await new Promise((r) => probe.child.once('exit', r));
        console.error(probe.output().trim());
      }
      if (want(3)) await measure({ path: 'camera, mic -> anchor box -> SRT -> gst-launch viewer', picture: viewer.display, sound: 'room' });
      await anchorView.stop();

      if (want(4) || want(5)) {
        // 4. The receiving box: the lesson on its projector and speakers; its students sent back.
        await startBox(
          'room-3',
          {
            ...common('room-3', await freePort()),
            role: 'receive',
            // LATENCY_ROOM_ECHO=off: a room without the echo canceller.
            ...(process.env.LATENCY_ROOM_ECHO === 'off' ? { audio: { device: 'pulse', speaker: 'pulse', echoCancel: false } } : {}),
            sources: {
              lesson: boxSrt(`srt://127.0.0.1:${ports.lesson}?mode=caller`),
              students: { kind: 'rtsp', url: camera.url },
            },
            outputs: [{ name: 'uplink', kind: 'srt', url: boxSrtUrl(`srt://127.0.0.1:${ports.uplink}?mode=caller`) }],
          },
          { DISPLAY: room.display, PULSE_SINK: 'room', PULSE_SOURCE: 'roommic.monitor' },
        );
        // LATENCY_ARRIVAL=4: while the receiving box plays the lesson, a second caller of the same output
        // decodes it as it arrives: a call late on the projector but not here is late in the receiving box.
        const arrival =
          process.env.LATENCY_ARRIVAL === '4' && want(4)
            ? launch(
                '/usr/bin/python3',
                [ARRIVAL_PROBE, `srt://127.0.0.1:${ports.lesson}?mode=caller`, String(WATCH_S + 15)],
                process.env.LATENCY_DEBUG_BOX ? GST_DEBUG_ENV : {},
              )
            : undefined;
        if (want(4))
          await measure(
            { path: 'camera, mic -> anchor box -> SRT -> receiving box projector, speakers', picture: room.display, sound: 'room' },
            15_000,
          );
        if (arrival) {
          await new Promise((r) => arrival.child.once('exit', r));
          console.error(
            arrival
              .output()
              .split('\n')
              .filter((l) => l.startsWith('arrival'))
              .join('\n'),
          );
        }

        // 5. The way back: the students' camera -> the uplink -> the anchor's picture -> out; their
        // voice -> the uplink -> the anchor's speakers, where the teacher hears it.
        await askAnchor('layout/set', { layout: 'single:class-a' });
        // The students speak now, the teacher is silent.
        voice.stop();
        voice = toneInto(pulse, 'roommic');
        const back = gstViewer(`srt://127.0.0.1:${ports.lesson}?mode=caller`, viewer.display, { ...pulse.env, PULSE_SINK: 'room' });
        if (want(5))
          await measure({
            path: 'students camera, mic -> receiving box -> anchor box (picture: -> SRT -> gst-launch viewer; sound: its speakers)',
            picture: viewer.display,
            sound: 'hall',
          });
        await back.stop();
      }
    }
  } finally {
    for (const b of boxes) await b.stop();
    voice.stop();
    await watch.close();
    await camera.stop();
    await room.stop();
    await viewer.stop();
    await pulse.stop();
    await broker.stop();
  }
  console.log(
    `\n### Latency: camera and microphone to screen and speaker, ${W}x${H} ${FPS} fps, loopback (flip picture read by x11grab at 60 fps, tone heard by parec, ${WATCH_S} s per path)\n`,
  );
  console.log(table(rows));
}
