// Command latency of the device layer: from the call to the first byte at the device end of a real
// pty, p50/p99 over N commands, beside a bare serialport write of the same bytes (the floor) and the
// wire time at 9600 baud (the physical floor of a real RS-232 line). `npm run bench -- devices`.
import { createSocket } from 'node:dgram';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.js';
import { EventBus } from '../src/core/events.js';
import { Devices } from '../src/devices/devices.js';
import { encodeCommand } from '../src/protocols/visca/codec.js';
import { createPtyPair } from '../src/sim/pty.js';
import { PelcoCameraSim } from '../src/sim/pelco-camera.js';
import { ViscaCameraSim } from '../src/sim/visca-camera.js';
import { ViscaIpCameraSim } from '../src/sim/visca-ip-camera.js';
import { PAYLOAD, encodeIp } from '../src/protocols/visca/ip-codec.js';
import { SerialLink } from '../src/transports/serial.js';
import { table } from './lib.js';

const N = Number(process.env.BENCH_COMMANDS ?? 1000);
const WARM_UP = 50;

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 1000) / 1000;
}

/** 8N1: ten bits on the wire per byte. */
const wireMs = (bytes: number, baud = 9600) => Math.round(((bytes * 10) / baud) * 1000 * 100) / 100;

/** Times from `send()` to the first new byte at the simulator. */
async function firstByteLatencies(rx: { at: number }[], send: () => Promise<unknown>, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count + WARM_UP; i++) {
    const before = rx.length;
    const t0 = performance.now();
    const done = send();
    while (rx.length === before) await new Promise<void>((r) => setImmediate(r));
    const t1 = rx[before]!.at;
    await done;
    if (i >= WARM_UP) times.push(t1 - t0);
  }
  return times;
}

function room(devices: Record<string, unknown>) {
  const config = loadConfig({ base: { site: 'bench', room: 'devices', dataDir: '/tmp/classbox-bench-devices', devices }, env: {} });
  return new Devices({ config, log: pino({ level: 'silent' }), bus: new EventBus(), cameraPollMs: 3_600_000 });
}

export async function deviceLatency(): Promise<void> {
  // classbox: VISCA recall through the whole stack (session, sockets, health), answered by the simulator.
  const viscaPty = await createPtyPair();
  const visca = new ViscaCameraSim(viscaPty.b, { recallMs: 0 });
  await visca.start();
  visca.camera().presets.set(1, { pan: 0, tilt: 0, zoom: 0 });
  const viscaRoom = room({ cameras: { cam: { protocol: 'visca', port: viscaPty.a } } });
  await viscaRoom.start();
  const cam = viscaRoom.camera('cam');

  // classbox: Pelco-D preset call (no answer to wait for).
  const pelcoPty = await createPtyPair();
  const pelco = new PelcoCameraSim(pelcoPty.b, 1);
  await pelco.start();
  const pelcoRoom = room({ cameras: { dome: { protocol: 'pelco-d', port: pelcoPty.a, address: 1 } } });
  await pelcoRoom.start();
  const dome = pelcoRoom.camera('dome');

  // The floor: the same 7 bytes written with node-serialport directly, no protocol stack.
  const barePty = await createPtyPair();
  const bareEnd = new PelcoCameraSim(barePty.b, 99);
  await bareEnd.start();
  const bare = new SerialLink({ path: barePty.a, baudRate: 9600 });
  await bare.open();
  const recall = encodeCommand(1, { kind: 'preset', action: 'recall', number: 1 });

  // classbox: VISCA over IP recall (UDP, sequence numbers, resend timer) answered by the simulator.
  const ipSim = new ViscaIpCameraSim({ recallMs: 0 });
  const ipPort = await ipSim.start();
  ipSim.camera().presets.set(1, { pan: 0, tilt: 0, zoom: 0 });
  const ipRoom = room({ cameras: { net: { protocol: 'visca-ip', host: '127.0.0.1', port: ipPort } } });
  await ipRoom.start();
  const net = ipRoom.camera('net');

  // The UDP floor: the same 15-byte datagram sent with node's dgram directly to a bare receiver.
  const udpRx: { at: number }[] = [];
  const receiver = createSocket('udp4');
  receiver.on('message', () => udpRx.push({ at: performance.now() }));
  await new Promise<void>((r) => receiver.bind(0, '127.0.0.1', () => r()));
  const sender = createSocket('udp4');
  await new Promise<void>((r) => sender.connect(receiver.address().port, '127.0.0.1', () => r()));
  const datagram = encodeIp(PAYLOAD.command, 1, encodeCommand(1, { kind: 'preset', action: 'recall', number: 1 }));
  const sendBare = () => new Promise<void>((resolve, reject) => sender.send(datagram, (err) => (err ? reject(err) : resolve())));

  // Rounds in turn, so that a machine whose speed drifts drifts for all alike.
  const viscaTimes: number[] = [];
  const pelcoTimes: number[] = [];
  const bareTimes: number[] = [];
  const ipTimes: number[] = [];
  const udpTimes: number[] = [];
  for (let round = 0; round < 5; round++) {
    viscaTimes.push(...(await firstByteLatencies(visca.rx, () => cam.recall(1), N / 5)));
    pelcoTimes.push(...(await firstByteLatencies(pelco.rx, () => dome.recall(1), N / 5)));
    bareTimes.push(...(await firstByteLatencies(bareEnd.rx, () => bare.write(recall), N / 5)));
    ipTimes.push(...(await firstByteLatencies(ipSim.inner.rx, () => net.recall(1), N / 5)));
    udpTimes.push(...(await firstByteLatencies(udpRx, sendBare, N / 5)));
  }
  await ipRoom.stop();
  await ipSim.stop();
  receiver.close();
  sender.close();
  await viscaRoom.stop();
  await pelcoRoom.stop();
  await bare.close();
  for (const s of [visca, pelco, bareEnd]) await s.stop();
  for (const p of [viscaPty, pelcoPty, barePty]) await p.close();

  console.log(
    `\n### Device command latency: call -> first byte at the device end of a pty (${N} commands each, in 5 interleaved rounds after ${WARM_UP} warm-up each)\n`,
  );
  console.log(
    table([
      {
        path: 'classbox VISCA recall (session, sockets, health)',
        'p50 ms': percentile(viscaTimes, 50),
        'p99 ms': percentile(viscaTimes, 99),
        'max ms': percentile(viscaTimes, 100),
        'p50 vs bare': (percentile(viscaTimes, 50) / percentile(bareTimes, 50)).toFixed(2),
      },
      {
        path: 'classbox Pelco-D preset call',
        'p50 ms': percentile(pelcoTimes, 50),
        'p99 ms': percentile(pelcoTimes, 99),
        'max ms': percentile(pelcoTimes, 100),
        'p50 vs bare': (percentile(pelcoTimes, 50) / percentile(bareTimes, 50)).toFixed(2),
      },
      {
        path: 'bare node-serialport write (floor)',
        'p50 ms': percentile(bareTimes, 50),
        'p99 ms': percentile(bareTimes, 99),
        'max ms': percentile(bareTimes, 100),
        'p50 vs bare': '1.00',
      },
    ]),
  );
  console.log(`\n### Device command latency over UDP: call -> the datagram at the camera end (${N} commands each, same rounds)\n`);
  console.log(
    table([
      {
        path: 'classbox VISCA over IP recall (session, sequence, resend timer, health)',
        'p50 ms': percentile(ipTimes, 50),
        'p99 ms': percentile(ipTimes, 99),
        'max ms': percentile(ipTimes, 100),
        'p50 vs bare': (percentile(ipTimes, 50) / percentile(udpTimes, 50)).toFixed(2),
      },
      {
        path: 'bare dgram send of the same datagram (floor)',
        'p50 ms': percentile(udpTimes, 50),
        'p99 ms': percentile(udpTimes, 99),
        'max ms': percentile(udpTimes, 100),
        'p50 vs bare': '1.00',
      },
    ]),
  );
  console.log(
    `\nWire time at 9600 baud 8N1 (the physical floor of a real line): VISCA recall 7 bytes = ${wireMs(7)} ms, its ACK and Completion 3 bytes each = ${wireMs(3)} ms; Pelco-D frame 7 bytes = ${wireMs(7)} ms.`,
  );
}
