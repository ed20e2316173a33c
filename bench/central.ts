// The centre under a province: N simulated boxes (bench/fleet.ts: their own connections, retained
// availability and state, telemetry every 10 s, an event a minute) against one mosquitto and
// `classbox central` from the bin. Measures the centre's memory and CPU, and the time from a box's
// fault event at the broker to the fault on the centre's live API (its Server-Sent Events stream), with
// a bare MQTT client's delivery of the same event beside it. `npm run bench -- central`
// (CENTRAL_SIZES=1000,5000, FLEET_SECONDS=60).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { stringify } from 'yaml';
import { cpuSeconds, percentile, startBox, type Box } from './fleet.js';
import { table } from './lib.js';

const SIZES = (process.env.CENTRAL_SIZES ?? '1000,5000').split(',').map(Number);
const SECONDS = Number(process.env.FLEET_SECONDS ?? 60);
const CLI = new URL('../bin/classbox.js', import.meta.url).pathname;

const rssMB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The centre's live stream: calls `onFault` with each fault as it is pushed. */
function faultStream(port: number, onFault: (f: { room: string; subject: string; clearedAt: string | null }) => void): () => void {
  const req = request({ host: '127.0.0.1', port, path: '/api/stream' }, (res) => {
    let buf = '';
    res.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (!block.startsWith('event: fault')) continue;
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data) onFault((JSON.parse(data) as { fault: { room: string; subject: string; clearedAt: string | null } }).fault);
      }
    });
  });
  req.end();
  return () => req.destroy();
}

async function run(n: number, brokerUrl: string, brokerPid: number, dir: string): Promise<Record<string, string | number>> {
  const port = 48000 + n;
  const config = join(dir, `central-${n}.yaml`);
  const database = join(dir, `central-${n}.db`);
  writeFileSync(
    config,
    stringify({ mqtt: { url: brokerUrl, clientId: `central-${n}` }, http: { port }, database, log: { level: 'warn' } }),
  );
  const central = spawn(CLI, ['central', '--config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  await sleep(3000);
  const boxes: Box[] = [];
  const t0 = Date.now();
  for (let i = 0; i < n; i += 100)
    boxes.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => startBox(brokerUrl, i + k)))));
  const connectS = (Date.now() - t0) / 1000;
  // Every box has said its retained state and started its timers; the centre has taken them in.
  await sleep(15_000);

  // The probe: a source lost in a random room every 200 ms, as a box says it (QoS 1 event); timed at the
  // centre's stream and at a bare subscriber of the same broker.
  const sent = new Map<string, number>();
  const toApi: number[] = [];
  const toBare: number[] = [];
  const closeStream = faultStream(port, (f) => {
    const at = sent.get(`${f.room}/${f.subject}`);
    if (at !== undefined && f.clearedAt === null) toApi.push(Date.now() - at);
  });
  const bare = await connectAsync(brokerUrl, { clientId: `bare-${n}`, protocolVersion: 5 });
  bare.on('message', (topic, payload) => {
    const e = JSON.parse(payload.toString()) as { type: string; source?: string };
    const at = e.type === 'source.lost' ? sent.get(`${topic.split('/')[2]}/${e.source}`) : undefined;
    if (at !== undefined) toBare.push(Date.now() - at);
  });
  await bare.subscribeAsync('classbox/+/+/event', { qos: 1 });
  const cpuBefore = cpuSeconds(central.pid!);
  const brokerBefore = cpuSeconds(brokerPid);
  const rssBefore = rssMB(central.pid!);
  let probes = 0;
  const until = Date.now() + SECONDS * 1000;
  while (Date.now() < until) {
    const i = Math.floor(Math.random() * n);
    const source = `probe-${probes++}`;
    sent.set(`room-${i}/${source}`, Date.now());
    void boxes[i]!.client.publishAsync(
      `classbox/fleet/room-${i}/event`,
      JSON.stringify({ type: 'source.lost', ts: new Date().toISOString(), seq: 1_000_000 + probes, source, reason: 'probe' }),
      { qos: 1 },
    );
    await sleep(200);
  }
  await sleep(2000);
  const cpu = cpuSeconds(central.pid!) - cpuBefore;
  const brokerCpu = cpuSeconds(brokerPid) - brokerBefore;
  const rssAfter = rssMB(central.pid!);
  closeStream();
  await bare.endAsync(true);
  for (const b of boxes) for (const t of b.timers) clearTimeout(t);
  await Promise.all(boxes.map((b) => b.client.endAsync(true)));
  central.kill('SIGTERM');
  await new Promise((r) => central.once('exit', r));
  return {
    boxes: n,
    'connect s': connectS.toFixed(1),
    'central RSS MB (start of window / end)': `${rssBefore.toFixed(0)} / ${rssAfter.toFixed(0)}`,
    'central CPU % of a core': ((cpu / (SECONDS + 2)) * 100).toFixed(1),
    'broker CPU % of a core': ((brokerCpu / (SECONDS + 2)) * 100).toFixed(1),
    'faults probed (seen)': `${probes} (${toApi.length})`,
    'event -> fault on the API p50 / p99 ms': `${percentile(toApi, 50)} / ${percentile(toApi, 99)}`,
    'event -> bare client p50 / p99 ms': `${percentile(toBare, 50)} / ${percentile(toBare, 99)}`,
    'database MB': (statSync(database).size / 1e6).toFixed(1),
  };
}

export async function centralBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-central-'));
  const port = 47892;
  writeFileSync(
    join(dir, 'm.conf'),
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nset_tcp_nodelay true\nmax_queued_messages 100000\n`,
  );
  const broker = spawn('mosquitto', ['-c', join(dir, 'm.conf')], { stdio: 'ignore' });
  await sleep(500);
  const rows: Array<Record<string, string | number>> = [];
  try {
    for (const n of SIZES) rows.push(await run(n, `mqtt://127.0.0.1:${port}`, broker.pid!, dir));
  } finally {
    broker.kill('SIGTERM');
  }
  console.log(
    `\n### classbox central under N boxes (telemetry every 10 s, an event a minute, retained state; a fault event every 200 ms for ${SECONDS} s)\n`,
  );
  console.log(table(rows));
}
