import type { SourceConfig } from '../config/schema.js';
import type { Chain } from './launch.js';
import type { BoardProfile } from './profiles.js';
import { demuxedSound, RAW_AUDIO_CAPS } from './audio.js';
import { meter } from './meter.js';
import { soundLinkOut, soundLinkValve } from './sound-link.js';
import { namesLatency, SRT_START_LATENCY_MS } from './srt-latency.js';

export interface Canvas {
  width: number;
  height: number;
  fps: number;
}

/**
 * Raw frames as every picture enters the compositor: the same caps on both sides of the intervideo
 * channel, fully fixed. Without interlace-mode, intervideosrc sometimes fixated caps lacking it while
 * the textoverlay behind it had already learnt `interlace-mode=progressive` from downstream, and refused
 * them (not-negotiated at start, about one start in four).
 */
export function rawCaps(c: Canvas): string {
  return `video/x-raw,format=I420,width=${c.width},height=${c.height},framerate=${c.fps}/1,pixel-aspect-ratio=1/1,interlace-mode=progressive`;
}

/**
 * The canvas's frame at the canvas's rate where the source can choose (a webcam, the test picture), else
 * at the source's own (an RTSP camera at 25 fps, another classroom): what an intervideo channel carries.
 */
function frameCaps(c: Canvas): string {
  return `${rawCaps(c)};video/x-raw,format=I420,width=${c.width},height=${c.height},pixel-aspect-ratio=1/1,interlace-mode=progressive`;
}

/**
 * tsdemux's own wait (ms) before it lets a remote stream's frames go. Its default (700 ms) smooths PCR
 * jitter on broadcast links; behind SRT, whose receive buffer (`latencyMs`) already delivers packets
 * evenly, it only makes the lesson late, and the picture and sound of a remote classroom later still.
 */
const TS_DEMUX_LATENCY_MS = 0;

/** Stalls (no buffer for this long) raise an error on the source's bus, like a lost signal. */
export const SOURCE_STALL_MS = 1500;

/** Another box's RTSP stream without `latencyMs`: its jitter buffer (rtspsrc's own default is 2 s). */
const REMOTE_RTSP_LATENCY_MS = 120;

/** A decoded remote stream: its demuxer by scheme (demuxHead), or RTSP's depayloader, then the board's decoder. */
function remoteChain(url: string, latencyMs: number | undefined, profile: BoardProfile, name: string): Chain {
  const decode: Chain = [{ element: 'h264parse' }, ...profile.decoder.chain];
  const head = demuxHead(url, latencyMs, name);
  if (head) return [...head, ...decode];
  return [
    { element: 'rtspsrc', name: `${name}-src`, properties: { location: url, latency: latencyMs ?? REMOTE_RTSP_LATENCY_MS } },
    { element: 'rtph264depay' },
    ...decode,
  ];
}

/**
 * How long a listening srtsrc's streaming thread waits on libsrt at a time. By default it waits for
 * good, and a listener whose caller vanished (a classroom's box killed) could not be stopped until libsrt
 * gave the silent peer up, 5 s later: the stop held the service's main thread that long, and the call of
 * the classroom coming back was lost with the old one. Measured with gst-launch-1.0: a listener stops
 * 4.1 s after its caller was killed by default, in 58 ms with 100; a silent caller is not an error
 * either way. Callers (a receiving room's lesson) keep the default.
 */
const SRT_POLL_MS = 100;

/** The element a remote stream enters its pipeline by. */
export const remoteSourceElement = (name: string) => `${name}-src`;

/**
 * What a demuxer hands on of an H.264 stream: whole access units, one per buffer (an MPEG-TS muxer puts
 * each in a PES of its own, as GStreamer's, ffmpeg's and broadcast encoders do; FLV says so itself).
 * Said in the caps, h264parse passes each picture on as it comes; told nothing, it held each one until
 * the next one's first bytes showed where it ended: a whole frame interval (33 ms at 30 fps) on every
 * remote picture, the receiving room's lesson and each classroom at the anchor alike.
 */
const DEMUXED_H264_CAPS = 'video/x-h264,alignment=au';

/** A remote stream's pictures from its demuxer (`demuxHead`), parsed for a decoder. */
export const demuxedH264 = (name: string): Chain => [
  { ref: `${name}-demux.` },
  { caps: DEMUXED_H264_CAPS },
  { element: 'queue' },
  { element: 'h264parse' },
];

/** A remote stream up to its demuxer (named `<name>-demux`), by scheme; null where sound is not taken from it (RTSP). */
export function demuxHead(url: string, latencyMs: number | undefined, name: string): Chain | null {
  const scheme = new URL(url).protocol.replace(/:$/, '');
  const demux = { element: 'tsdemux', name: `${name}-demux` };
  switch (scheme) {
    case 'srt':
      return [
        {
          element: 'srtsrc',
          name: remoteSourceElement(name),
          properties: {
            uri: url,
            // Where the URL names its own (`?latency=`), that one; else where a link starts before it is fitted.
            ...(latencyMs !== undefined || !namesLatency(url) ? { latency: latencyMs ?? SRT_START_LATENCY_MS } : {}),
            ...(isSrtListener(url) ? { 'poll-timeout': SRT_POLL_MS } : {}),
          },
        },
        { ...demux, properties: { latency: TS_DEMUX_LATENCY_MS } },
      ];
    case 'rtmp':
    case 'rtmps':
      return [
        { element: 'rtmp2src', name: `${name}-src`, properties: { location: url } },
        { element: 'flvdemux', name: `${name}-demux` },
      ];
    case 'http':
    case 'https':
      return [
        { element: 'souphttpsrc', name: `${name}-src`, properties: { location: url, 'is-live': true } },
        { element: 'hlsdemux' },
        demux,
      ];
    default:
      return null;
  }
}

/** The elements that produce one source's frames, before normalisation. */
export function captureChain(name: string, source: SourceConfig, profile: BoardProfile, canvas: Canvas): Chain {
  switch (source.kind) {
    case 'test': {
      const chain: Chain = [{ element: 'videotestsrc', name: `${name}-src`, properties: { pattern: source.pattern, 'is-live': true } }];
      if (source.label)
        chain.push(
          { caps: rawCaps(canvas) },
          {
            element: 'textoverlay',
            properties: { text: source.label, valignment: 'top', halignment: 'left', 'font-desc': 'Sans 24', 'shaded-background': true },
          },
        );
      return chain;
    }
    case 'file':
      return [{ element: 'filesrc', name: `${name}-src`, properties: { location: source.path } }, { element: 'decodebin' }];
    case 'v4l2': {
      const caps = [
        source.width && `width=${source.width}`,
        source.height && `height=${source.height}`,
        source.fps && `framerate=${source.fps}/1`,
      ]
        .filter(Boolean)
        .join(',');
      const head: Chain = [{ element: 'v4l2src', name: `${name}-src`, properties: { device: source.device } }];
      // Most USB cameras deliver 720p/1080p at full rate only as MJPEG.
      if (source.format === 'mjpeg') return [...head, { caps: `image/jpeg${caps ? `,${caps}` : ''}` }, { element: 'jpegdec' }];
      if (source.format === 'raw') return [...head, { caps: `video/x-raw${caps ? `,${caps}` : ''}` }];
      return [...head, { element: 'decodebin' }];
    }
    case 'hdmi':
      // HDMI bridges (TC358743) and USB capture cards deliver raw UYVY/YUY2 at the source's timing.
      return [{ element: 'v4l2src', name: `${name}-src`, properties: { device: source.device, 'io-mode': 'mmap' } }];
    case 'libcamera': {
      const [first, ...rest] = profile.camera.chain;
      const head = { ...(first as { element: string; properties?: Record<string, string | number | boolean> }), name: `${name}-src` };
      if (source.camera && head.element === 'libcamerasrc') head.properties = { ...head.properties, 'camera-name': source.camera };
      return [head, ...rest];
    }
    case 'rtsp':
      return remoteChain(source.url, source.latencyMs, profile, name);
    case 'remote':
      return remoteChain(source.url, source.latencyMs, profile, name);
  }
}

/** An SRT address this box calls (`mode=caller`, or a host and no mode): srtsrc calls again by itself when a call breaks. */
export function isSrtCaller(url: string): boolean {
  return new URL(url).protocol === 'srt:' && !isSrtListener(url);
}

/** An SRT address this box listens on (`mode=listener`, or no host): another box calls it. */
export function isSrtListener(url: string): boolean {
  const u = new URL(url);
  if (u.protocol !== 'srt:') return false;
  const mode = u.searchParams.get('mode');
  return mode === 'listener' || (mode === null && (u.hostname === '' || u.hostname === '0.0.0.0'));
}

/** The element a source's frames leave its pipeline by (frames counted there). */
export const sourceOut = (name: string) => `${name}-out`;

/** The channel a remote source's sound crosses to the speakers' mix. */
export const soundChannel = (channel: string) => `${channel}-sound`;

/**
 * Normalisation of a source's frames into its intervideo channel. A live source's frames go in as
 * soon as they are decoded (sync=false): the camera's or the network's own buffer (rtspsrc's, SRT's
 * `latencyMs`) has already evened them out, and holding them again for that latency made every
 * camera 200 ms later in the composite. A file has no pace of its own: its frames wait for the clock.
 * They go in at the source's own rate: the composite's intervideosrc takes the newest frame at each of
 * its own ticks whatever the rate it came at. A videorate here held every frame until the next one
 * came (it chooses between the two), one frame later in the composite (33 ms at 30 fps, 40 at 25).
 */
function toChannel(name: string, channel: string, canvas: Canvas, live: boolean, watchdog = true): Chain {
  return [
    ...(watchdog ? [{ element: 'watchdog', name: `${name}-watchdog`, properties: { timeout: SOURCE_STALL_MS } }] : []),
    { element: 'videoconvert' },
    { element: 'videoscale', properties: { 'add-borders': true } },
    { element: 'capsfilter', properties: { caps: frameCaps(canvas) } },
    { element: 'intervideosink', name: sourceOut(name), properties: { channel, sync: !live } },
  ];
}

/**
 * One source's own pipeline: capture, stall watchdog, conversion to the canvas caps, and the intervideo
 * channel the composite reads. Its failure stops only itself; the composite shows the slate meanwhile.
 * A remote source (another classroom) brings its sound too: decoded,
 * metered (`<name>-level`) and sent to the speakers' mix over its sound link (`soundPort`), or through
 * `soundChannel(channel)` where it has none; a stream
 * without sound leaves that branch unlinked.
 */
export function sourcePipelineChains(
  name: string,
  channel: string,
  source: SourceConfig,
  profile: BoardProfile,
  canvas: Canvas,
  soundPort?: number,
): Chain[] {
  const head = source.kind === 'remote' ? demuxHead(source.url, source.latencyMs, name) : null;
  if (!head || source.kind !== 'remote')
    return [[...captureChain(name, source, profile, canvas), ...toChannel(name, channel, canvas, source.kind !== 'file')]];
  const demux = `${name}-demux.`;
  const sound = demuxedSound(demux, `${name}-sound-decoded`, source.url);
  return [
    head,
    [
      ...demuxedH264(name),
      ...profile.decoder.chain,
      // A listener waits for its caller for as long as it takes: no watchdog, which rebuilt it every
      // second or two while nobody called, and a classroom that called back in one of those gaps was
      // refused and tried again only after its own backoff. Its frames are watched by the engine.
      ...toChannel(name, channel, canvas, true, !(source.kind === 'remote' && isSrtListener(source.url))),
    ],
    [
      ...sound.head,
      { element: 'audioconvert' },
      { element: 'audioresample' },
      { caps: RAW_AUDIO_CAPS },
      meter(`${name}-level`),
      // async=false: a classroom that sends no sound (an encoder, a box without a microphone) leaves this
      // branch unlinked, and a sink waiting to preroll held its picture back for good (no frame, the
      // watchdog, rebuilt again and again). sync=false: written as it arrives, as its picture is (the
      // speakers' mix keeps its own pace); on the clock it waited the SRT latency a second time, and the
      // students' answers came 100 ms later on the anchor's speakers (and 140 ms after their picture).
      // Over the sound link where the service gave it a port (see sound-link), else an interaudio store.
      ...(soundPort !== undefined
        ? soundLinkOut(soundPort, soundLinkValve(name))
        : [
            { element: 'interaudiosink', name: `${name}-sound`, properties: { channel: soundChannel(channel), async: false, sync: false } },
          ]),
    ],
    ...sound.branches,
  ];
}
