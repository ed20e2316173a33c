import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GstreamerFacts {
  /** e.g. "1.22.0"; null when GStreamer's tools are missing. */
  version: string | null;
  /** Every element factory name the registry knows. */
  elements: Set<string>;
  error?: string;
}

/** H.264 encoders in the order a profile prefers them (hardware first, software last). */
export const H264_ENCODERS = [
  'v4l2h264enc',
  'nvv4l2h264enc',
  'vah264enc',
  'vah264lpenc',
  'vaapih264enc',
  'nvh264enc',
  'x264enc',
  'openh264enc',
] as const;
export const H264_DECODERS = [
  'v4l2h264dec',
  'nvv4l2decoder',
  'vah264dec',
  'vaapih264dec',
  'nvh264dec',
  'avdec_h264',
  'openh264dec',
] as const;
/** Elements the pipelines rely on, whatever the board. */
export const REQUIRED_ELEMENTS = [
  'compositor',
  'videotestsrc',
  'videoconvert',
  'videoscale',
  'h264parse',
  'splitmuxsink',
  'matroskamux',
  'flvmux',
  'rtmp2sink',
  'srtsink',
  'srtsrc',
  'hlssink2',
  'watchdog',
  'tee',
  'queue',
  'appsink',
  'appsrc',
  'textoverlay',
  'intervideosrc',
  'intervideosink',
  'mpegtsmux',
  'tsdemux',
  'uridecodebin',
  'interaudiosrc',
  'interaudiosink',
  'avenc_aac',
  'aacparse',
  'avdec_aac',
  'opusenc',
  'opusdec',
  'funnel',
  'rtpL16pay',
  'rtpL16depay',
  'rtpjitterbuffer',
  'udpsrc',
  'udpsink',
  'level',
  'alsasrc',
  'alsasink',
  'playbin',
] as const;

/** One `gst-inspect-1.0` listing (a single child process) gives every element at once. */
export async function probeGstreamer(): Promise<GstreamerFacts> {
  try {
    const [{ stdout: versionOut }, { stdout: listing }] = await Promise.all([
      run('gst-inspect-1.0', ['--version'], { timeout: 20_000 }),
      run('gst-inspect-1.0', [], { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }),
    ]);
    const version = /GStreamer (\d+\.\d+\.\d+)/.exec(versionOut)?.[1] ?? null;
    return { version, elements: parseElementList(listing) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return {
      version: null,
      elements: new Set(),
      error: e.code === 'ENOENT' ? 'gst-inspect-1.0 not found (GStreamer tools are not installed)' : e.message,
    };
  }
}

/** Lines look like `compositor:  compositor: Compositor`: plugin, element factory, description. */
export function parseElementList(listing: string): Set<string> {
  const out = new Set<string>();
  for (const line of listing.split('\n')) {
    const m = /^[\w.-]+:\s+([\w.-]+):\s/.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}
