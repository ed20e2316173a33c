import { join } from 'node:path';
import type { OutputConfig, RecordOutput } from '../config/schema.js';
import { AAC_CAPS, type AudioCodec } from './audio.js';
import type { Chain } from './launch.js';
import { SEGMENT_PATTERN } from './recording-names.js';
import { namesLatency, SRT_SENDER_LATENCY_MS } from './srt-latency.js';

export const H264_CAPS = 'video/x-h264,stream-format=byte-stream,alignment=au';

export const recorderName = (output: string) => `${output}-rec`;

/**
 * A file name pattern for splitmuxsink and hlssink2, whose `location` goes through a printf: a `%` in
 * the folder or name is doubled, or GStreamer reads it as a conversion (`%n` aborts the process).
 */
export function locationPattern(dir: string, name: string, counter: string): string {
  return join(dir, name).replaceAll('%', '%%') + counter;
}

/**
 * Recording inside the composite pipeline. Matroska, not MP4: MP4 writes its index only at the end,
 * so a killed process or a power cut leaves an unplayable file; Matroska stays readable to the last
 * cluster. splitmuxsink cuts at key frames into fixed-length segments.
 */
export function recordChain(output: RecordOutput, filePrefix: string): Chain {
  return [
    { element: 'queue', properties: { 'max-size-time': 0, 'max-size-bytes': 0, 'max-size-buffers': 0 } },
    { element: 'h264parse' },
    {
      element: 'splitmuxsink',
      name: recorderName(output.name),
      properties: {
        location: locationPattern(output.dir, filePrefix, SEGMENT_PATTERN),
        'max-size-time': output.segmentS * 1_000_000_000,
        'muxer-factory': 'matroskamux',
        'async-finalize': true,
      },
    },
  ];
}

export interface NetworkOutputChain {
  /** From the encoded video to the sink, through the named muxer. */
  chain: Chain;
  /** Where the AAC branch joins (the muxer's request pad). */
  audioRef: string;
}

const FLV_WAIT_NS = 300_000_000;

/**
 * 7 TS packets, the most one SRT live-mode packet carries. Every pipeline's srtsink gets each push of
 * its muxer packed into packets of this size, the last of each push sent short (`packPackets` in the
 * binding). The muxer's own `alignment=7` held a push's last packets until the next push filled the
 * group: a picture's tail waited for the next sound frame (up to 21 ms), a sound frame's for the next
 * picture, and the receiving room's demuxer saw frames 66-125 ms ahead of their time instead of
 * 112-125 (measured over SRT on loopback, 2 Mbit/s, 720p30 with AAC), the margin its speakers play
 * within. One TS packet per SRT packet (the muxer's per-packet buffers sent as they are) would cost
 * 4-5 times the packets (1490 a second against 308), and srtsink drops the packets of a key frame so
 * pushed (the muxer marks them as headers; the packed buffers carry no flags); packed, 339. A line
 * printed for gst-launch-1.0 has no runner: it keeps the muxer's groups of 7.
 */
export const SRT_PACKET_BYTES = 7 * 188;

/**
 * A network or HLS output after the encoded stream: the same chain in its own pipeline or off the tee.
 * `printed`: for a line run by gst-launch-1.0, which has no runner to pack an SRT output's pushes.
 */
export function networkOutput(
  output: Exclude<OutputConfig, { kind: 'record' }>,
  keyframeIntervalS: number,
  printed = false,
): NetworkOutputChain {
  const mux = `${output.name}-mux`;
  switch (output.kind) {
    case 'rtmp':
      return {
        chain: [
          { element: 'h264parse' },
          // latency: flvmux never writes a tag older than the last one, so sound that reaches it after
          // the picture of the same instant (AAC's encoder delay, the push from the composite) was
          // stamped with the picture's time: sound 3-12 ms out of order and jittering by a frame. A
          // platform's player buffers seconds; 300 ms of waiting costs nothing there.
          { element: 'flvmux', name: mux, properties: { streamable: true, latency: FLV_WAIT_NS } },
          // async-connect: the TCP connect and RTMP handshake happen off the main thread; a server that
          // does not answer must not hold the event loop for the connect's time-out.
          { element: 'rtmp2sink', name: `${output.name}-sink`, properties: { location: output.url, 'async-connect': true } },
        ],
        audioRef: `${mux}.`,
      };
    case 'srt':
      return {
        chain: [
          { element: 'h264parse', properties: { 'config-interval': -1 } },
          // Each push of the muxer (a picture's or a sound frame's packets) as it is, packed into SRT
          // packets by the runner, not grouped by 7 here: see SRT_PACKET_BYTES. By hand, groups of 7:
          // srtsink drops a key frame pushed packet by packet (the muxer marks its packets as headers).
          { element: 'mpegtsmux', name: mux, properties: { alignment: printed ? 7 : -1 } },
          // Without a listener or caller on the other side the pipeline must still run.
          {
            element: 'srtsink',
            name: `${output.name}-sink`,
            properties: {
              uri: output.url,
              'wait-for-connection': false,
              // Asks the least of its receivers, which fit the latency to their link (SrtLatencyTuner).
              ...(namesLatency(output.url) ? {} : { latency: SRT_SENDER_LATENCY_MS }),
            },
          },
        ],
        audioRef: `${mux}.`,
      };
    case 'hls':
      return {
        chain: [
          { element: 'h264parse' },
          {
            element: 'hlssink2',
            name: mux,
            properties: {
              location: locationPattern(output.dir, 'segment', '%05d.ts'),
              'playlist-location': join(output.dir, 'index.m3u8'),
              'target-duration': Math.max(output.segmentS, Math.ceil(keyframeIntervalS)),
              'playlist-length': output.playlistLength,
              'max-files': output.playlistLength === 0 ? 0 : output.playlistLength + 2,
            },
          },
        ],
        audioRef: `${mux}.audio`,
      };
  }
}

/** Opus as it leaves the composite (opusenc's own caps, less the headers an MPEG-TS muxer does not carry). */
export const OPUS_CAPS = 'audio/x-opus,rate=48000,channels=2,channel-mapping-family=0';

/** Head of an output's audio branch in its own pipeline, ready for its muxer. */
export function audioAppsrcHead(name: string, codec: AudioCodec): Chain {
  return [
    {
      element: 'appsrc',
      name: `${name}-ain`,
      properties: { 'is-live': true, format: 'time', 'do-timestamp': false, caps: codec === 'aac' ? AAC_CAPS : OPUS_CAPS },
    },
    ...beforeMuxer(codec),
  ];
}

/** What a codec's frames go through between the composite's encode and a muxer: ADTS AAC is parsed for the muxer's caps. */
export const beforeMuxer = (codec: AudioCodec): Chain => (codec === 'aac' ? [{ element: 'aacparse' }] : []);

/**
 * Head of an output's own pipeline: the encoded stream pushed from the composite's appsink with the
 * encoder's timestamps (moved onto this pipeline's clock), not stamped on arrival: arrival times carry
 * the event loop's jitter into the stream.
 */
export function appsrcHead(name: string): Chain {
  return [
    { element: 'appsrc', name: `${name}-in`, properties: { 'is-live': true, format: 'time', 'do-timestamp': false, caps: H264_CAPS } },
  ];
}
