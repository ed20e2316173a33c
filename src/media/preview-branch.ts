import type { Chain } from './launch.js';
import { loadPreviewRecipe } from './recipe.js';

/** The technician's preview (`pipelines/preview.yaml`): 640x360 at up to 15 fps, I420 (what WebRTC's video source takes). */
export const PREVIEW = loadPreviewRecipe();

/**
 * A preview branch off a tee: small I420 frames for WebRTC viewers into the appsink `<name>-out`, behind
 * the valve `<name>-valve` that is open only while someone watches, and leaky all the way so that a slow
 * viewer never holds the pipeline back.
 */
export function previewBranch(teeRef: string, name: string, sourceFps: number): Chain {
  // videorate drop-only can only lower a rate: a room running under 15 fps previews at its own.
  const fps = Math.min(PREVIEW.fps, sourceFps);
  return [
    { ref: teeRef },
    // Sticky events (caps, segment, end-of-stream) pass the shut valve: an end-of-stream that stopped
    // here kept the pipeline from ever posting its own, and each recording stop waited out its time-out.
    { element: 'valve', name: `${name}-valve`, properties: { drop: true, 'drop-mode': 'forward-sticky-events' } },
    { element: 'queue', properties: { leaky: 'downstream', 'max-size-buffers': 1, 'max-size-time': 0, 'max-size-bytes': 0 } },
    { element: 'videoscale' },
    { element: 'videorate', properties: { 'drop-only': true } },
    { element: 'videoconvert' },
    { caps: `video/x-raw,format=I420,width=${PREVIEW.width},height=${PREVIEW.height},framerate=${fps}/1,pixel-aspect-ratio=1/1` },
    // async=false: with the valve shut this sink never prerolls, and must not hold the pipeline's start.
    { element: 'appsink', name: `${name}-out`, properties: { sync: false, async: false, 'max-buffers': 1, drop: true } },
  ];
}

/** A source's own pipeline as the service runs it: a tee before its picture's channel, and its preview branch. */
export function withSourcePreview(chains: Chain[], name: string, fps: number): Chain[] {
  const isPicture = (c: Chain) => {
    const last = c.at(-1);
    return last !== undefined && 'element' in last && last.element === 'intervideosink';
  };
  return [
    ...chains.map((c) => (isPicture(c) ? [...c.slice(0, -1), { element: 'tee', name: `${name}-tee` }, c.at(-1)!] : c)),
    previewBranch(`${name}-tee.`, `${name}-preview`, fps),
  ];
}
