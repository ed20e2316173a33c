// Request -> response round trip through mosquitto on loopback: classbox answering `state/get`, and a
// bare MQTT.js client that echoes requests as the floor. `npm run bench -- rtt` runs it via bench/run.ts.
import { CLI } from '../tests/helpers/cli.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { createPtyPair } from '../src/sim/pty.js';
import { ViscaCameraSim } from '../src/sim/visca-camera.js';
import { table } from './lib.js';

const N = Number(process.env.BENCH_REQUESTS ?? 1000);
const BASE = 'classbox/bench/rtt';

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100;
}

async function roundTrips(client: MqttClient, command: string, args: Record<string, unknown> = {}): Promise<number[]> {
  const times: number[] = [];
  let resolve: (() => void) | undefined;
  client.on('message', () => resolve?.());
  await client.subscribeAsync(`${BASE}/response/${command}`, { qos: 1 });
  for (let i = 0; i < N + 50; i++) {
    const t0 = performance.now();
    const got = new Promise<void>((r) => (resolve = r));
    await client.publishAsync(`${BASE}/request/${command}`, JSON.stringify({ id: String(i), ...args }), { qos: 1 });
    await got;
    if (i >= 50) times.push(performance.now() - t0); // after warm-up
  }
  client.removeAllListeners('message');
  await client.unsubscribeAsync(`${BASE}/response/${command}`);
  return times;
}

export async function rtt(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rtt-'));
  const port = 47890;
  writeFileSync(
    join(dir, 'm.conf'),
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nset_tcp_nodelay true\n`,
  );
  const broker = spawn('mosquitto', ['-c', join(dir, 'm.conf')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const url = `mqtt://127.0.0.1:${port}`;
  const requester = await connectAsync(url, { protocolVersion: 4 });
  const noDelay = (c: MqttClient) => (c.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  noDelay(requester);

  // The floor: a bare client that answers every request with a fixed response.
  const echo = await connectAsync(url, { protocolVersion: 4 });
  noDelay(echo);
  await echo.subscribeAsync(`${BASE}/request/echo`, { qos: 1 });
  echo.on('message', (_t, p) => void echo.publishAsync(`${BASE}/response/echo`, p, { qos: 1 }));
  const floor = await roundTrips(requester, 'echo');
  await echo.endAsync();

  // A VISCA camera simulator on a pty, so that ptz/recall goes all the way to a device and back.
  const pty = await createPtyPair();
  const camera = new ViscaCameraSim(pty.b, { recallMs: 0 });
  await camera.start();
  camera.camera().presets.set(1, { pan: 0, tilt: 0, zoom: 0 });
  const config = join(dir, 'c.yaml');
  writeFileSync(
    config,
    stringify({
      site: 'bench',
      room: 'rtt',
      dataDir: join(dir, 'data'),
      log: { level: 'warn' },
      mqtt: { url },
      devices: { cameras: { cam: { protocol: 'visca', port: pty.a } } },
    }),
  );
  const box = spawn(CLI, ['run', '--config', config], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 3000));
  const classbox = await roundTrips(requester, 'state/get');
  const recall = await roundTrips(requester, 'ptz/recall', { camera: 'cam', preset: 1 });
  box.kill('SIGTERM');
  await camera.stop();
  await pty.close();
  await requester.endAsync();
  broker.kill('SIGTERM');

  console.log(`\n### Request round trip through mosquitto on loopback (${N} sequential requests, QoS 1, after 50 warm-up)\n`);
  console.log(
    table([
      {
        responder: 'classbox state/get',
        'p50 ms': percentile(classbox, 50),
        'p99 ms': percentile(classbox, 99),
        'max ms': percentile(classbox, 100),
      },
      {
        responder: 'classbox ptz/recall (VISCA simulator on a pty: command, ACK, Completion)',
        'p50 ms': percentile(recall, 50),
        'p99 ms': percentile(recall, 99),
        'max ms': percentile(recall, 100),
      },
      {
        responder: 'bare MQTT.js echo (floor)',
        'p50 ms': percentile(floor, 50),
        'p99 ms': percentile(floor, 99),
        'max ms': percentile(floor, 100),
      },
    ]),
  );
}
