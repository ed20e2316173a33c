import type { SourceConfig } from '../config/schema.js';
import type { Chain } from './launch.js';
import type { BoardProfile } from './profiles.js';


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

/** Stalls (no buffer for this long) raise an error on the source's bus, like a lost signal. */
export const SOURCE_STALL_MS = 1500;

/** A decoded remote stream: demuxer by scheme, then the board's decoder. */
function remoteChain(url: string, latencyMs: number, profile: BoardProfile, name: string): Chain {
  const scheme = new URL(url).protocol.replace(/:$/, '');
  const decode: Chain = [{ element: 'h264parse' }, ...profile.decoder.chain];
  switch (scheme) {
    case 'srt':
      return [{ element: 'srtsrc', name: `${name}-src`, properties: { uri: url, latency: latencyMs } }, { element: 'tsdemux' }, ...decode];
    case 'rtmp':
    case 'rtmps':
      return [{ element: 'rtmp2src', name: `${name}-src`, properties: { location: url } }, { element: 'flvdemux' }, ...decode];
    case 'rtsp':
    case 'rtsps':
      return [{ element: 'rtspsrc', name: `${name}-src`, properties: { location: url, latency: latencyMs } }, { element: 'rtph264depay' }, ...decode];
    default:
      return [{ element: 'souphttpsrc', name: `${name}-src`, properties: { location: url, 'is-live': true } }, { element: 'hlsdemux' }, { element: 'tsdemux' }, ...decode];
  }
}

/** The elements that produce one source's frames, before normalisation. */
export function captureChain(name: string, source: SourceConfig, profile: BoardProfile, canvas: Canvas): Chain {
  switch (source.kind) {
    case 'test': {
      const chain: Chain = [{ element: 'videotestsrc', name: `${name}-src`, properties: { pattern: source.pattern, 'is-live': true } }];
      if (source.label) chain.push({ caps: rawCaps(canvas) }, { element: 'textoverlay', properties: { text: source.label, valignment: 'top', halignment: 'left', 'font-desc': 'Sans 24', 'shaded-background': true } });
      return chain;
    }
    case 'file':
      return [{ element: 'filesrc', name: `${name}-src`, properties: { location: source.path } }, { element: 'decodebin' }];
    case 'v4l2': {
      const caps = [source.width && `width=${source.width}`, source.height && `height=${source.height}`, source.fps && `framerate=${source.fps}/1`].filter(Boolean).join(',');
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

/**
 * One source's own pipeline: capture, stall watchdog, conversion to the canvas caps, and the intervideo
 * channel the composite reads. Its failure stops only itself; the composite shows the slate meanwhile.
 */
export function sourcePipelineChain(name: string, channel: string, source: SourceConfig, profile: BoardProfile, canvas: Canvas): Chain {
  return [
    ...captureChain(name, source, profile, canvas),
    { element: 'watchdog', name: `${name}-watchdog`, properties: { timeout: SOURCE_STALL_MS } },
    { element: 'videoconvert' },
    { element: 'videoscale', properties: { 'add-borders': true } },
    { element: 'videorate' },
    { caps: rawCaps(canvas) },
    { element: 'intervideosink', name: `${name}-out`, properties: { channel } },
  ];
}
