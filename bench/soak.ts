// A long run of the box as a school runs it, measured: `npm run bench -- soak [minutes]` (default 120).
// `classbox run` from the bin in a live class with every output on and each one read by a client nobody
// here wrote, a preview viewer, a steady rate of requests, and the faults a school sees on a schedule
// (the broker restarted, a camera lost and back). Every 30 s it reads the process from outside
// (/proc: anonymous RSS, descriptors, threads) and from inside through Node's inspector, opened by
// SIGUSR1 (V8 heap after a forced full collection, external memory, event loop lag).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { slopePerHour } from '../src/core/process-figures.js';
import { PjlinkProjectorSim } from '../src/sim/pjlink-projector.js';
import { ViscaIpCameraSim } from '../src/sim/visca-ip-camera.js';
import { CLI } from '../tests/helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../tests/helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../tests/helpers/mqtt-watch.js';
import { freePort, freeUdpPort } from '../tests/helpers/net.js';
import { startNginxRtmp, type NginxRtmp } from '../tests/helpers/nginx-rtmp.js';
import { rtspServer, type RtspServer } from '../tests/helpers/rtsp-server.js';
import { table } from './lib.js';

export interface SoakOptions {
  /** Length of the measured class. */
  durationS: number;
  /** Samples before this (from the class start) do not count toward slopes. */
  warmupS: number;
  sampleS: number;
  brokerRestartS: number;
  sourceLossS: number;
  segmentS: number;
  /** Where samples (JSON lines) and the box's log go. */
  dir?: string;
  /** Parts of the traffic left out, to find by A/B runs which one makes memory grow. */
  without?: ReadonlyArray<SoakPart>;
  onSample?: (s: SoakSample) => void;
}

export const SOAK_PARTS = ['viewer', 'readers', 'requests', 'faults'] as const;
export type SoakPart = (typeof SOAK_PARTS)[number];

export interface SoakSample {
  /** Seconds since the measured class started (negative: before it). */
  t: number;
  phase: 'idle' | 'class' | 'after';
  rssAnonMB: number;
  rssMB: number;
  heapMB: number;
  externalMB: number;
  fds: number;
  threads: number;
  lagMs: number;
}

/** The Node process running this config below a wrapper (a tool that starts it as a child of its own). */
function nodeBelow(config: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd: string[];
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (/(^|\/)node$/.test(cmd[0] ?? '') && cmd.includes(config)) return Number(entry);
  }
  throw new Error(`no Node process runs ${config}`);
}

/** Hex address:port of /proc/net/{tcp,udp}[6] as `port` (loopback and wildcard hosts say nothing here). */
function procPort(hex: string): string {
  return String(parseInt(hex.split(':')[1] ?? '0', 16));
}

const TCP_STATES: Record<string, string> = { '01': 'established', '06': 'time-wait', '08': 'close-wait', '0A': 'listen' };

/** Each socket of the network namespace by inode: `tcp 41234->1883 established`, `udp 5004`, `unix`. */
function socketsByInode(pid: number): Map<string, string> {
  const named = new Map<string, string>();
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${proto}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [local, remote, state, inode] = [f[1]!, f[2]!, f[3]!, f[9]!];
      const kind = proto.replace('6', '');
      named.set(
        inode,
        kind === 'tcp' && state !== '0A'
          ? `tcp ${procPort(local)}->${procPort(remote)} ${TCP_STATES[state] ?? state}`
          : `${kind} ${procPort(local)}${state === '0A' ? ' listen' : ''}`,
      );
    }
  }
  return named;
}

/** What the open descriptors are: sockets by protocol and port, pipes, eventfds and the like, files by path. */
export function descriptorKinds(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  const sockets = socketsByInode(pid);
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    const kind = target.startsWith('/')
      ? target
      : inode
        ? (sockets.get(inode) ?? 'unix')
        : target.replace(/:\[?\d+\]?$/, '').replace(/\[\d+\]$/, '');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

export interface SoakReport {
  samples: SoakSample[];
  /** Idle after a first short class (every lazy part loaded), before the measured class. */
  baseline: SoakSample;
  /** Idle again, 15 s after the measured class ended. */
  after: SoakSample;
  descriptors: { baseline: Record<string, number>; after: Record<string, number> };
  /**
   * Descriptors once what the class left closing has closed: read every 2 s for up to 30 s after `after`
   * until no more are open than before the class (a viewer's connection ends on a timeout of its own;
   * a leak never does). `waitedS` is how long that took.
   */
  settled: { fds: number; waitedS: number; kinds: Record<string, number> };
  slopes: Record<Metric, number>;
  /** Slope of anonymous RSS through the lowest sample of each 10 minutes: what stays when the
   * buffers of the second (freed and taken again) are out of the picture. */
  rssAnonFloorSlope: number;
  peaks: Record<Metric, number>;
  provoked: { brokerRestarts: number; sourceLosses: number };
  /** `pipeline.restarted` events not explained by a provoked fault (within 60 s of one). */
  unprovokedRestarts: Array<{ t: number; payload: string }>;
  segments: number;
  requests: { sent: number; failed: number; failures: string[] };
  logFile: string;
}

const METRICS = ['rssAnonMB', 'rssMB', 'heapMB', 'externalMB', 'fds', 'threads', 'lagMs'] as const;
type Metric = (typeof METRICS)[number];
const BASE = 'classbox/soak/room-1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FLOOR_WINDOW_S = 600;

/** The lowest anonymous RSS of each window, at the time it was seen. */
export function windowFloors(samples: ReadonlyArray<SoakSample>, windowS: number): Array<{ t: number; y: number }> {
  const floors = new Map<number, { t: number; y: number }>();
  for (const s of samples) {
    const w = Math.floor(s.t / windowS);
    const low = floors.get(w);
    if (!low || s.rssAnonMB < low.y) floors.set(w, { t: s.t, y: s.rssAnonMB });
  }
  return [...floors.values()];
}

/** One answer of the inspector protocol (what this file reads of it). */
interface InspectorReply {
  id?: number;
  error?: { message: string };
  result?: { result?: { value?: unknown } };
}

/** Node's inspector of the box, opened by SIGUSR1 on the port NODE_OPTIONS gave (the OS's choice). */
class Inspector {
  private ws!: WebSocket;
  private id = 0;
  private pending = new Map<number, (r: InspectorReply) => void>();

  static async open(pid: number, stderrText: () => string): Promise<Inspector> {
    process.kill(pid, 'SIGUSR1');
    let url: string | undefined;
    for (let i = 0; i < 100 && !url; i++, await sleep(100)) url = /Debugger listening on (ws:\/\/\S+)/.exec(stderrText())?.[1];
    if (!url) throw new Error(`the box's inspector did not open: ${stderrText().slice(-500)}`);
    const me = new Inspector();
    me.ws = new WebSocket(url);
    await new Promise((resolve, reject) => me.ws.once('open', resolve).once('error', reject));
    me.ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as InspectorReply;
      if (m.id === undefined) return; // an event, not an answer
      me.pending.get(m.id)?.(m);
      me.pending.delete(m.id);
    });
    return me;
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<InspectorReply['result']> {
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer from the inspector`)), 30_000);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(`${method}: ${m.error.message}`));
        else resolve(m.result);
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.call('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    return r?.result?.value as T;
  }

  close(): void {
    this.ws.close();
  }
}

function procStatusMB(pid: number, key: string): number {
  const kb = Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

async function sample(pid: number, inspector: Inspector, t: number, phase: SoakSample['phase']): Promise<SoakSample> {
  await inspector.call('HeapProfiler.collectGarbage');
  const mem = await inspector.evaluate<{ heapUsed: number; external: number }>(
    '(() => { const m = process.memoryUsage(); return { heapUsed: m.heapUsed, external: m.external }; })()',
  );
  // One turn of the loop as the box sees it: how long a timer due now waits.
  const lagMs = await inspector.evaluate<number>(
    'new Promise((r) => { const t = performance.now(); setTimeout(() => r(performance.now() - t), 0); })',
  );
  const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
  return {
    t: Math.round(t),
    phase,
    rssAnonMB: procStatusMB(pid, 'RssAnon'),
    rssMB: procStatusMB(pid, 'VmRSS'),
    heapMB: mb(mem.heapUsed),
    externalMB: mb(mem.external),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    threads: readdirSync(`/proc/${pid}/task`).length,
    lagMs: Math.round(lagMs * 10) / 10,
  };
}

/** A WHEP viewer of the technician page's preview (node-webrtc in this process, as the page does it). */
async function previewViewer(httpUrl: string): Promise<{ close(): void }> {
  const { wrtc } = await import('../src/webrtc/wrtc.js');
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.createDataChannel('ptz');
  await pc.setLocalDescription(await pc.createOffer());
  await sleep(500);
  const res = await fetch(`${httpUrl}/whep`, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp' },
    body: pc.localDescription!.sdp,
  });
  if (!res.ok) throw new Error(`WHEP: ${res.status} ${await res.text()}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  return { close: () => pc.close() };
}

/** ffmpeg reading a stream for as long as it lasts, as a receiving classroom or a platform would. */
function reader(url: string, args: string[] = []): { stop(): void } {
  let child: ChildProcess | undefined;
  let stopped = false;
  const start = () => {
    child = spawn('ffmpeg', ['-v', 'quiet', ...args, '-i', url, '-map', '0', '-c', 'copy', '-f', 'null', '-'], { stdio: 'ignore' });
    // A reader that lost the stream (the class restarting an output) comes back, as players do.
    child.once('exit', () => !stopped && setTimeout(start, 2000));
  };
  start();
  return {
    stop: () => {
      stopped = true;
      child?.kill('SIGKILL');
    },
  };
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'classbox-soak-'));
  mkdirSync(dir, { recursive: true });
  const samplesFile = join(dir, 'samples.jsonl');
  writeFileSync(samplesFile, '');
  const broker: Mosquitto = await startMosquitto();
  const nginx: NginxRtmp = await startNginxRtmp();
  const camera = new ViscaIpCameraSim();
  const cameraPort = await camera.start(0, '127.0.0.1');
  const projector = new PjlinkProjectorSim();
  const projectorPort = await projector.start(0, '127.0.0.1');
  const rtsp: RtspServer = rtspServer(await freePort());
  await rtsp.start();
  const ports = { srt: await freeUdpPort(), http: await freePort() };
  const config = join(dir, 'room.yaml');
  writeFileSync(
    config,
    stringify({
      site: 'soak',
      room: 'room-1',
      profile: 'software',
      dataDir: join(dir, 'data'),
      mqtt: { url: broker.url },
      http: { host: '127.0.0.1', port: ports.http },
      video: { width: 640, height: 360, fps: 25, bitrateKbps: 800, keyframeIntervalS: 2 },
      audio: { device: 'test' },
      sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball' }, students: { kind: 'rtsp', url: rtsp.url } },
      layout: 'pip',
      devices: {
        cameras: { 'teacher-cam': { protocol: 'visca-ip', host: '127.0.0.1', port: cameraPort, presets: { podium: 1, board: 2 } } },
        projectors: { main: { protocol: 'pjlink', host: '127.0.0.1', port: projectorPort, pollS: 5 } },
      },
      outputs: [
        { name: 'archive', kind: 'record', dir: join(dir, 'rec'), segmentS: o.segmentS },
        { name: 'receivers', kind: 'srt', url: `srt://127.0.0.1:${ports.srt}?mode=listener` },
        { name: 'platform', kind: 'rtmp', url: nginx.url('live', 'room1') },
        { name: 'web', kind: 'hls', dir: join(dir, 'hls'), segmentS: 2, playlistLength: 6 },
      ],
    }),
  );

  const logFile = join(dir, 'box.log');
  let stderrText = '';
  // As a school runs it, plus only the inspector's port: the OS's choice, so that runs do not collide.
  // SOAK_WRAP runs the box under a tool (`SOAK_WRAP=heaptrack`): the box is then the Node process below it.
  const wrap = process.env.SOAK_WRAP?.split(' ').filter(Boolean) ?? [];
  const box = spawn(wrap[0] ?? CLI, [...wrap.slice(1), ...(wrap.length > 0 ? [CLI] : []), 'run', '--config', config], {
    env: { ...process.env, NODE_OPTIONS: '--inspect-port=0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: Buffer[] = [];
  box.stdout.on('data', (d: Buffer) => log.push(d));
  box.stderr.on('data', (d: Buffer) => {
    stderrText = (stderrText + d.toString()).slice(-20_000);
    log.push(d);
  });
  const exited = new Promise<number | null>((r) => box.once('exit', (code) => r(code)));
  let boxPid = box.pid!;

  const watch: MqttWatch = await watchMqtt(broker.url, [`${BASE}/response/#`, `${BASE}/event`, `${BASE}/availability`]);
  const request = requester(watch, BASE, 30_000);
  const timers: NodeJS.Timeout[] = [];
  const readers: Array<{ stop(): void }> = [];
  let viewer: { close(): void } | undefined;
  let inspector: Inspector | undefined;
  const samples: SoakSample[] = [];
  const requests = { sent: 0, failed: 0, failures: [] as string[] };
  const provokedAt: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const fault = (run: () => Promise<void>) => {
    const p = run().finally(() => inFlight.delete(p));
    p.catch(() => undefined); // awaited at the end; a failure there fails the soak
    inFlight.add(p);
  };
  const provoked = { brokerRestarts: 0, sourceLosses: 0 };
  let classStart = Date.now();
  const since = () => (Date.now() - classStart) / 1000;
  const record = async (phase: SoakSample['phase']) => {
    const s = await sample(boxPid, inspector!, since(), phase);
    samples.push(s);
    writeFileSync(samplesFile, `${JSON.stringify(s)}\n`, { flag: 'a' });
    o.onSample?.(s);
    return s;
  };
  // Requests sent while the broker is down or before the box is back are lost, as they would be for
  // the centre: they are not sent.
  let online = true;
  watch.client.on('message', (topic, payload) => {
    if (topic === `${BASE}/availability`) online = payload.toString() === 'online';
  });
  const ask = async (command: string, body: Record<string, unknown>) => {
    if (!online) return;
    requests.sent++;
    try {
      const r = await request(command, body);
      if (r.status !== 'ok') throw new Error(JSON.stringify(r.error ?? r));
    } catch (err) {
      requests.failed++;
      if (requests.failures.length < 10) requests.failures.push(`${Math.round(since())} s ${command}: ${(err as Error).message}`);
    }
  };

  /** Ends the class and waits until its lesson file has been made (or has failed). */
  const lessonMade = async (stop: () => Promise<void>) => {
    const since = watch.messages.length;
    await stop();
    await watch.waitFor(
      `${BASE}/event`,
      (p) => ['recording.lesson', 'recording.lesson_failed'].includes((JSON.parse(p) as { type: string }).type),
      30 * 60_000,
      since,
    );
  };
  try {
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 60_000);
    boxPid = wrap.length > 0 ? nodeBelow(config) : box.pid!;
    inspector = await Inspector.open(boxPid, () => stderrText);
    // A first short class loads every part that loads on first use; the baseline is taken after it.
    await ask('class/start', { mode: 'live', name: 'Warm-up' });
    await sleep(5000);
    const warmViewer = await previewViewer(`http://127.0.0.1:${ports.http}`);
    const warmReaders = [
      reader(`srt://127.0.0.1:${ports.srt}?mode=caller`),
      reader(nginx.url('live', 'room1'), ['-rw_timeout', '10000000']),
    ];
    await sleep(15_000);
    warmViewer.close();
    for (const r of warmReaders) r.stop();
    await lessonMade(() => ask('class/stop', {}));
    await sleep(15_000);
    classStart = Date.now();
    const baseline = await record('idle');
    const baselineKinds = descriptorKinds(boxPid);

    classStart = Date.now();
    await ask('class/start', { mode: 'live', name: 'Soak' });
    await sleep(5000);
    const without = new Set(o.without ?? []);
    if (!without.has('readers'))
      readers.push(reader(`srt://127.0.0.1:${ports.srt}?mode=caller`), reader(nginx.url('live', 'room1'), ['-rw_timeout', '10000000']));
    if (!without.has('viewer')) viewer = await previewViewer(`http://127.0.0.1:${ports.http}`);

    if (!without.has('requests')) traffic();
    if (!without.has('faults')) faults();
    function traffic() {
      const layouts = ['pip', 'side-by-side', 'grid', 'single:board', 'single:teacher'];
      let n = 0;
      timers.push(setInterval(() => void ask('layout/set', { layout: layouts[n++ % layouts.length] }), 25_000));
      let p = 0;
      timers.push(
        setInterval(() => {
          void (async () => {
            await ask('ptz/move', { camera: 'teacher-cam', direction: p % 2 ? 'left' : 'right', speed: 5, durationMs: 300 });
            await ask('ptz/recall', { camera: 'teacher-cam', preset: p++ % 2 ? 'podium' : 'board' });
          })();
        }, 10_000),
      );
      timers.push(setInterval(() => void ask('projector/status', { projector: 'main' }), 15_000));
      timers.push(setInterval(() => void ask('state/get', {}), 5000));
    }
    function faults() {
      timers.push(
        setInterval(
          () =>
            fault(async () => {
              provoked.brokerRestarts++;
              provokedAt.push(since());
              online = false;
              await broker.stop();
              await sleep(5000);
              await broker.start();
            }),
          o.brokerRestartS * 1000,
        ),
      );
      timers.push(
        setInterval(
          () =>
            fault(async () => {
              provoked.sourceLosses++;
              provokedAt.push(since());
              await rtsp.stop();
              await sleep(20_000);
              await rtsp.start();
              provokedAt.push(since());
            }),
          o.sourceLossS * 1000,
        ),
      );
    }

    const end = classStart + o.durationS * 1000;
    while (Date.now() < end) {
      if (box.exitCode !== null) throw new Error(`the box exited (${box.exitCode}) during the soak`);
      await sleep(Math.min(o.sampleS * 1000, end - Date.now()));
      await record('class');
    }
    for (const t of timers) clearInterval(t);
    // A broker restart or a camera loss in flight ends with the broker and the camera back.
    await Promise.all(inFlight);
    viewer?.close();
    viewer = undefined;
    for (const r of readers.splice(0)) r.stop();
    // The class's lesson file is made after it ends (pipelines of its own): the box is idle once it is.
    await lessonMade(() => ask('class/stop', {}));
    await sleep(15_000);
    const after = await record('after');
    const descriptors = { baseline: baselineKinds, after: descriptorKinds(boxPid) };
    const settled = { fds: after.fds, waitedS: 0, kinds: descriptors.after };
    for (const started = Date.now(); settled.fds > baseline.fds && Date.now() - started < 30_000;) {
      await sleep(2000);
      settled.kinds = descriptorKinds(boxPid);
      settled.fds = Object.values(settled.kinds).reduce((a, b) => a + b, 0);
      settled.waitedS = Math.round((Date.now() - started) / 1000);
    }

    const counted = samples.filter((s) => s.phase === 'class' && s.t >= o.warmupS);
    const slopes = Object.fromEntries(
      METRICS.map((m) => [m, Math.round(slopePerHour(counted.map((s) => ({ t: s.t, y: s[m] }))) * 100) / 100]),
    ) as Record<Metric, number>;
    const peaks = Object.fromEntries(METRICS.map((m) => [m, Math.max(...samples.map((s) => s[m]))])) as Record<Metric, number>;
    const rssAnonFloorSlope = Math.round(slopePerHour(windowFloors(counted, FLOOR_WINDOW_S)) * 100) / 100;
    const events = watch.messages
      .filter((m) => m.topic === `${BASE}/event`)
      .map((m) => ({ ...m, e: JSON.parse(m.payload) as { type: string; ts: string } }));
    const unprovokedRestarts = events
      .filter(({ e }) => e.type === 'pipeline.restarted')
      .map(({ e, payload }) => ({ t: Math.round((Date.parse(e.ts) - classStart) / 1000), payload }))
      .filter((r) => r.t >= 0 && !provokedAt.some((at) => r.t >= at - 5 && r.t <= at + 60));
    const segments = events.filter(({ e }) => e.type === 'recording.segment').length;
    return {
      samples,
      baseline,
      after,
      descriptors,
      settled,
      slopes,
      rssAnonFloorSlope,
      peaks,
      provoked,
      unprovokedRestarts,
      segments,
      requests,
      logFile,
    };
  } finally {
    for (const t of timers) clearInterval(t);
    // Nothing in flight may start the camera or the broker again after they are stopped below.
    await Promise.allSettled(inFlight);
    viewer?.close();
    for (const r of readers) r.stop();
    inspector?.close();
    if (boxPid !== box.pid) process.kill(boxPid, 'SIGTERM');
    box.kill('SIGTERM');
    const killer = setTimeout(() => box.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
    writeFileSync(logFile, Buffer.concat(log));
    await watch.close();
    await rtsp.stop();
    await camera.stop();
    await projector.stop();
    await nginx.stop();
    await broker.stop();
  }
}

export async function soak(minutes: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'classbox-soak-'));
  // SOAK_WITHOUT=viewer,faults leaves those parts of the traffic out (A/B runs).
  const without = (process.env.SOAK_WITHOUT ?? '').split(',').filter(Boolean);
  const unknown = without.filter((w) => !(SOAK_PARTS as ReadonlyArray<string>).includes(w));
  if (unknown.length) throw new Error(`SOAK_WITHOUT: unknown part ${unknown.join(', ')} (parts: ${SOAK_PARTS.join(', ')})`);
  console.error(`soak: ${minutes} min${without.length ? ` without ${without.join(', ')}` : ''}, samples in ${join(dir, 'samples.jsonl')}`);
  const r = await runSoak({
    durationS: minutes * 60,
    warmupS: Math.min(600, (minutes * 60) / 4),
    sampleS: 30,
    brokerRestartS: 600,
    sourceLossS: 900,
    segmentS: 60,
    dir,
    without: without as SoakPart[],
    onSample: (s) => console.error(JSON.stringify(s)),
  });
  const goal: Record<Metric, string> = {
    rssAnonMB: '< 2 MB/h',
    rssMB: '',
    heapMB: 'flat',
    externalMB: 'flat',
    fds: 'flat',
    threads: 'flat',
    lagMs: '',
  };
  console.log(
    `\n### Soak: \`classbox run\` in a live class for ${minutes} min${without.length ? ` without ${without.join(', ')}` : ''} (slopes after ${Math.round(Math.min(600, (minutes * 60) / 4) / 60)} min of warm-up, per hour)\n`,
  );
  console.log(
    table(
      METRICS.map((m) => ({
        measure: m,
        'before the class': r.baseline[m],
        'slope per hour': r.slopes[m],
        peak: r.peaks[m],
        'after the class': r.after[m],
        goal: goal[m],
      })),
    ),
  );
  if (r.settled.waitedS > 0)
    console.log(
      `\nDescriptors: ${r.after.fds} 15 s after the class, ${r.settled.fds} ${r.settled.waitedS} s later (${r.baseline.fds} before it).`,
    );
  console.log(`\nAnonymous RSS through the lowest sample of each ${FLOOR_WINDOW_S / 60} minutes: ${r.rssAnonFloorSlope} MB per hour.`);
  console.log(
    `\n${r.provoked.brokerRestarts} broker restarts and ${r.provoked.sourceLosses} camera losses provoked; ${r.segments} segments closed; ` +
      `${r.unprovokedRestarts.length} pipeline restarts not provoked${r.unprovokedRestarts.length ? `: ${r.unprovokedRestarts.map((u) => u.payload).join('; ')}` : ''}; ` +
      `${r.requests.sent} requests, ${r.requests.failed} failed${r.requests.failures.length ? `: ${r.requests.failures.join('; ')}` : ''}. Samples: ${join(dir, 'samples.jsonl')}`,
  );
}
