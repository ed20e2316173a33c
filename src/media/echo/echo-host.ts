/**
 * The echo canceller's own process: the microphone comes in over loopback UDP from the room's audio
 * pipeline, what the speakers play comes from whichever pipeline plays (sent as it is played), and the
 * microphone goes back without the echo to the audio pipeline. A process of its own so that the
 * service's event loop (requests, a lesson join) never delays the room's sound, and a fault here costs
 * the echo cancelling, not the service. Exits when the service goes away.
 */
import { createSocket } from 'node:dgram';
import { EchoRemover } from './echo-remover.js';
import { ECHO_RATE, type EchoPorts, type EchoReport } from './echo-link.js';

const ports = JSON.parse(process.env.CLASSBOX_ECHO_PORTS ?? '{}') as EchoPorts;
const remover = new EchoRemover(ECHO_RATE);
const send = (r: EchoReport) => process.send?.(r);

const toFloat = (b: Buffer): Float64Array => {
  const out = new Float64Array(b.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(2 * i) / 32768;
  return out;
};
const toPcm = (s: Float64Array): Buffer => {
  const b = Buffer.allocUnsafe(s.length * 2);
  for (let i = 0; i < s.length; i++) b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(s[i]! * 32768))), 2 * i);
  return b;
};

const far = createSocket('udp4');
const mic = createSocket('udp4');
const out = createSocket('udp4');

function drain(): void {
  for (const clean of remover.take(performance.now())) out.send(toPcm(clean), ports.clean, '127.0.0.1');
}

far.on('message', (b) => {
  remover.pushFar(toFloat(b), performance.now());
  drain();
});
mic.on('message', (b) => {
  remover.pushMic(toFloat(b), performance.now());
  drain();
});
// A port that cannot be had (taken since it was chosen) ends this process: its supervisor starts it
// again, and gives up on echo cancelling if that keeps failing.
for (const s of [far, mic, out])
  s.on('error', (err) => {
    send({ type: 'error', text: err.message });
    process.exit(3);
  });

let bound = 0;
const ready = () => {
  if (++bound === 2) send({ type: 'ready' });
};
far.bind(ports.far, '127.0.0.1', ready);
mic.bind(ports.mic, '127.0.0.1', ready);

// Once a second: what the canceller has found, for the service's stats and logs.
setInterval(() => {
  send({
    type: 'stats',
    paired: remover.paired,
    echoDelayMs: remover.echoDelayMs,
    realigned: remover.realigned,
    farLate: remover.farLate,
    jumps: remover.jumps,
    echoBeforeFarEnd: remover.echoBeforeFarEnd,
    driftPpm: remover.driftPpm,
    blocks: remover.blocks,
    busyMs: Math.round(remover.busyMs),
  });
}, 1000).unref();

// A microphone block waiting for a far end that stopped is let go of without it.
setInterval(drain, 50);

process.on('disconnect', () => process.exit(0));
