import { pipelineTokens, type Chain } from '../src/media/launch.js';
import { layoutRects, type Rect } from '../src/media/layouts.js';
import { encoderChain, loadBoardProfile } from '../src/media/profiles.js';

export const W = 1920;
export const H = 1080;
export const FPS = 30;
export const FRAMES = 300;
export const BITRATE_KBPS = 4000;
export const NAMES = ['board', 'teacher', 'students'];

/**
 * The offline job of the benchmark: three H.264 files decoded, composed in the pip layout, encoded with
 * the software profile's x264 settings, written to Matroska. The service's live graph with the
 * intervideo channels replaced by the decoders, so it runs as fast as the machine allows.
 * `geometry`: where the layout lives:
 * - 'pads': compositor pad properties (what classbox does; needs the binding patch for live changes)
 * - 'elements': each input scaled by a capsfilter and placed by videobox borders on a transparent
 *   full-size frame (the alternative that needs no patch: element properties only)
 */
export function compositeJob(files: string[], out: string, geometry: 'pads' | 'elements'): string[] {
  const rects = layoutRects('pip', NAMES, W, H);
  const enc = encoderChain(loadBoardProfile('software'), BITRATE_KBPS, 2 * FPS);
  const pad: Record<string, number> = {};
  const chains: Chain[] = [];
  NAMES.forEach((name, i) => {
    const r = rects[name]!;
    const decode: Chain = [
      { element: 'filesrc', properties: { location: files[i]! } },
      { element: 'qtdemux' },
      { element: 'h264parse' },
      { element: 'avdec_h264' },
      { element: 'videoconvert' },
    ];
    if (geometry === 'pads') {
      for (const [k, v] of Object.entries(r)) pad[`sink_${i}::${k}`] = v;
      chains.push([...decode, { element: 'queue' }, { ref: `mix.sink_${i}` }]);
    } else {
      pad[`sink_${i}::zorder`] = r.zorder;
      chains.push([
        ...decode,
        { element: 'videoscale' },
        { caps: `video/x-raw,width=${r.width},height=${r.height}` },
        { element: 'videoconvert' },
        { caps: 'video/x-raw,format=AYUV' },
        { element: 'videobox', properties: borders(r) },
        { element: 'queue' },
        { ref: `mix.sink_${i}` },
      ]);
    }
  });
  chains.unshift([
    { element: 'compositor', name: 'mix', properties: { background: 'black', ...pad } },
    { caps: `video/x-raw,width=${W},height=${H},framerate=${FPS}/1` },
    ...enc,
    { element: 'h264parse' },
    { element: 'matroskamux' },
    { element: 'filesink', properties: { location: out } },
  ]);
  return pipelineTokens(chains);
}

/** videobox borders that put a WxH picture at (x, y) on the full canvas; negative values add border. */
function borders(r: Rect): Record<string, number> {
  return { left: -r.xpos, top: -r.ypos, right: -(W - r.xpos - r.width), bottom: -(H - r.ypos - r.height), 'border-alpha': 0 };
}

/** The same job for ffmpeg: scale and overlay in a filter graph, libx264 with the same settings. */
export function ffmpegJob(files: string[], out: string): string[] {
  const rects = layoutRects('pip', NAMES, W, H);
  const t = rects.teacher!;
  const s = rects.students!;
  const filter = `[1:v]scale=${t.width}:${t.height}[t];[2:v]scale=${s.width}:${s.height}[s];[0:v][t]overlay=${t.xpos}:${t.ypos}[a];[a][s]overlay=${s.xpos}:${s.ypos}[v]`;
  return [
    '-v',
    'error',
    '-y',
    ...files.flatMap((f) => ['-i', f]),
    '-filter_complex',
    filter,
    '-map',
    '[v]',
    '-frames:v',
    String(FRAMES),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-b:v',
    `${BITRATE_KBPS}k`,
    '-g',
    String(2 * FPS),
    '-bf',
    '0',
    out,
  ];
}
