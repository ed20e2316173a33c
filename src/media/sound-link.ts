import { createSocket } from 'node:dgram';
import { RAW_AUDIO_CAPS } from './audio.js';
import type { Chain } from './launch.js';

/**
 * A classroom's sound on its way from its own pipeline to the anchor's speakers: RTP (16-bit PCM) over
 * loopback UDP, taken by a jitter buffer that drops what comes later than it waits.
 *
 * Through an interaudio store instead, a writer that paused (a busy core, a burst from the network)
 * left its sound that much later for the rest of the class: the store's reader fills what is missing
 * with silence and then plays the late sound after it, and drops sound only once the store is full.
 * In the latency bench (150 s of the way back) the students' voice on the anchor's speakers went from
 * 351-375 ms to 414-454 ms after a pause of the boxes under load, and stayed there; a writer held 150 ms
 * left it 150 ms later for good (200 ms kept), 60 with 60 kept. Through the jitter buffer sound that
 * comes too late is dropped (one gap heard) and what follows is on time again. A pause longer than
 * the buffer's latency makes it take the first late packet as its timing; the catch-up burst after it
 * gives the old timing back when its skew window fills, about 2 s on, but not always (150 ms stayed
 * 150 ms later in 2 CI runs of 5). Its other modes hold the timing through a pause but follow the
 * sender's clock alone, and a classroom box's clock drifts against the anchor's.
 */

/** What a jitter buffer of the link waits for late packets: the speakers' mix waited as long for its store before. */
export const SOUND_LINK_LATENCY_MS = 100;
/** One RTP packet per buffer on loopback: 10 ms of 48 kHz stereo is 1920 bytes, AAC's 1024 samples 4096. */
const SOUND_LINK_MTU = 8192;
const SOUND_LINK_CAPS = 'application/x-rtp,media=audio,clock-rate=48000,encoding-name=L16,channels=2,payload=96';

/**
 * How long a classroom's sound flows before its link takes it, after each start or stall of its
 * pipeline: the jitter buffer keeps the timing of the first packets it gets, and a call's first sound
 * comes in a burst (what SRT and the demuxer held while the call was set up), late by the burst's age.
 */
export const SOUND_LINK_SETTLE_MS = 1500;

/** The valve in front of a source's sound link, closed until its sound has settled (SOUND_LINK_SETTLE_MS). */
export const soundLinkValve = (source: string) => `${source}-link-valve`;

/** The end of a source's sound branch: sent to the speakers' pipeline on `port` once the valve `valve` opens. */
export function soundLinkOut(port: number, valve?: string): Chain {
  return [
    ...(valve ? [{ element: 'valve', name: valve, properties: { drop: true, 'drop-mode': 'forward-sticky-events' } }] : []),
    // L16 is big-endian: the payloader takes S16BE.
    { element: 'audioconvert' },
    { element: 'rtpL16pay', properties: { mtu: SOUND_LINK_MTU } },
    { element: 'udpsink', properties: { host: '127.0.0.1', port, sync: false, async: false } },
  ];
}

/** The start of the speakers' input for one classroom, taking what `soundLinkOut(port)` sends. */
export function soundLinkIn(port: number): Chain {
  return [
    { element: 'udpsrc', properties: { address: '127.0.0.1', port, caps: SOUND_LINK_CAPS } },
    { element: 'rtpjitterbuffer', properties: { latency: SOUND_LINK_LATENCY_MS, 'drop-on-latency': true } },
    { element: 'rtpL16depay' },
    { element: 'audioconvert' },
    { caps: RAW_AUDIO_CAPS },
  ];
}

/** `count` loopback UDP ports free now. */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const sockets = Array.from({ length: count }, () => createSocket('udp4'));
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', r))));
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/** A classroom the speakers mix: its interaudio channel, and its sound link's port where it has one. */
export interface HeardClassroom {
  channel: string;
  port?: number;
}
