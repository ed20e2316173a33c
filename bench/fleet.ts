// Fleet simulation: N simulated boxes in one process (each its own MQTT connection with Last Will,
// retained availability and state, telemetry every 10 s, an event a minute at QoS 1) against one
// mosquitto, with a "centre" client subscribed to every room's telemetry and events. Reports broker
// CPU, messages per second and delivery lag. `npm run bench -- fleet` (FLEET_SIZES=100,1000,5000).
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { table } from './lib.js';

const SIZES = (process.env.FLEET_SIZES ?? '100,1000,5000').split(',').map(Number);
const SECONDS = Number(process.env.FLEET_SECONDS ?? 30);
const TELEMETRY_S = 10;
const EVENT_S = 60;

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
}

/** CPU seconds a process has used (utime + stime from /proc, in clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function telemetry(i: number): string {
  return JSON.stringify({
    ts: Date.now(),
    cpuPercent: 20 + (i % 50),
    memoryMB: 180,
    temperatureC: 52.5,
    throttled: { now: [], since: [] },
    diskFreeMB: 48_000,
    uptimeS: 86_400,
    pipeline: { fps: 30, droppedFrames: 0, latencyMs: 120 },
    outputs: { archive: { state: 'running', bitrateKbps: 2500 }, cloud: { state: 'running', bitrateKbps: 2500 } },
  });
}

const STATE = JSON.stringify({
  role: 'broadcast',
  class: null,
  layout: 'pip',
  pipeline: { state: 'running' },
  outputs: [
    { name: 'archive', kind: 'record', state: 'running' },
    { name: 'cloud', kind: 'rtmp', state: 'running' },
  ],
  devices: {
    cameras: { 'teacher-cam': { online: true, moving: false } },
    projectors: { main: { online: true, power: 'on', lampHours: 1234 } },
    gpio: {},
  },
  version: '0.1.0',
  configHash: '0123456789ab',
});

export interface Box {
  client: MqttClient;
  timers: NodeJS.Timeout[];
}

export async function startBox(url: string, i: number): Promise<Box> {
  const base = `classbox/fleet/room-${i}`;
  const client = await connectAsync(url, {
    clientId: `box-${i}`,
    protocolVersion: 5,
    keepalive: 30,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    will: { topic: `${base}/availability`, payload: Buffer.from('offline'), qos: 1, retain: true },
    reconnectPeriod: 1000,
  });
  await client.publishAsync(`${base}/availability`, 'online', { qos: 1, retain: true });
  await client.publishAsync(`${base}/state`, STATE, { qos: 1, retain: true });
  await client.subscribeAsync(`${base}/request/#`, { qos: 1 });
  let seq = 0;
  // Spread the boxes over the interval, as boxes started at different times are.
  const tStart = setTimeout(
    () => {
      timers.push(setInterval(() => client.publish(`${base}/telemetry`, telemetry(i), { qos: 0 }), TELEMETRY_S * 1000));
    },
    Math.random() * TELEMETRY_S * 1000,
  );
  const eStart = setTimeout(
    () => {
      timers.push(
        setInterval(
          () =>
            client.publish(
              `${base}/event`,
              JSON.stringify({ type: 'device.online', ts: Date.now(), seq: ++seq, device: 'teacher-cam', kind: 'camera' }),
              { qos: 1 },
            ),
          EVENT_S * 1000,
        ),
      );
    },
    Math.random() * EVENT_S * 1000,
  );
  const timers: NodeJS.Timeout[] = [tStart, eStart];
  return { client, timers };
}

async function run(url: string, brokerPid: number, n: number): Promise<Record<string, string | number>> {
  const centre = await connectAsync(url, { clientId: `centre-${n}`, protocolVersion: 5 });
  const lags: number[] = [];
  let received = 0;
  let measuring = false;
  centre.on('message', (_topic, payload) => {
    if (!measuring) return;
    received++;
    const ts = JSON.parse(payload.toString()).ts;
    if (typeof ts === 'number') lags.push(Date.now() - ts);
  });
  await centre.subscribeAsync(['classbox/+/+/telemetry', 'classbox/+/+/event'], { qos: 1 });

  const t0 = Date.now();
  const boxes: Box[] = [];
  for (let i = 0; i < n; i += 100)
    boxes.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => startBox(url, i + k)))));
  const connectS = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, TELEMETRY_S * 1000)); // every box has started its timers

  const brokerBefore = cpuSeconds(brokerPid);
  const selfBefore = process.cpuUsage();
  measuring = true;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const brokerCpu = cpuSeconds(brokerPid) - brokerBefore;
  const self = process.cpuUsage(selfBefore);

  for (const b of boxes) for (const t of b.timers) clearTimeout(t);
  await Promise.all(boxes.map((b) => b.client.endAsync(true)));
  await centre.endAsync(true);
  const perBox = 1 / TELEMETRY_S + 1 / EVENT_S;
  return {
    boxes: n,
    'connect s': connectS.toFixed(1),
    'msgs/s in (expected)': `${Math.round(received / SECONDS)} (${Math.round(n * perBox)})`,
    'broker CPU % of a core': ((brokerCpu / SECONDS) * 100).toFixed(1),
    'broker CPU per 1,000 boxes': ((brokerCpu / SECONDS) * 100 * (1000 / n)).toFixed(2),
    'delivery lag p50 / p99 ms': `${percentile(lags, 50)} / ${percentile(lags, 99)}`,
    'simulator CPU % of a core': (((self.user + self.system) / 1e6 / SECONDS) * 100).toFixed(1),
  };
}

export async function fleet(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fleet-'));
  const port = 47891;
  writeFileSync(
    join(dir, 'm.conf'),
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nset_tcp_nodelay true\nmax_queued_messages 10000\n`,
  );
  const broker = spawn('mosquitto', ['-c', join(dir, 'm.conf')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const rows: Array<Record<string, string | number>> = [];
  try {
    for (const n of SIZES) rows.push(await run(`mqtt://127.0.0.1:${port}`, broker.pid!, n));
  } finally {
    broker.kill('SIGTERM');
  }
  console.log(
    `\n### Fleet simulation: N boxes (telemetry every ${TELEMETRY_S} s, an event every ${EVENT_S} s at QoS 1, retained state) against one mosquitto, ${SECONDS} s measured\n`,
  );
  console.log(table(rows));
}
