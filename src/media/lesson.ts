import type { SourceConfig } from '../config/schema.js';
import type { Chain, ElementLink } from './launch.js';
import type { BoardProfile } from './profiles.js';
import { captureChain, type Canvas } from './sources.js';

/** The meters' floor: what `level` reports as -inf (digital silence) is shown as this. */
export const SILENCE_DBFS = -100;

/** A meter on an audio path: RMS over one second, posted on the bus as a `level` message. */
export function meter(name: string): ElementLink {
  return { element: 'level', name, properties: { interval: 1_000_000_000, 'post-messages': true } };
}

/**
 * Decoded sound to the room's speakers, metered on the way (`speaker-level`). `none` meters without
 * playing. async=false: a lesson or a file without sound leaves this branch unlinked, and a sink that
 * waited to preroll would hold the whole picture back.
 */
export function speakerChain(speaker: string): Chain {
  const sink: ElementLink =
    speaker === 'none'
      ? { element: 'fakesink', name: 'speaker', properties: { sync: true, async: false } }
      : { element: 'alsasink', name: 'speaker', properties: { device: speaker, sync: true, async: false } };
  return [{ element: 'audioconvert' }, { element: 'audioresample' }, meter('speaker-level'), sink];
}

/** Demuxer of a lesson stream by its scheme, or null where sound is not taken from it (RTSP). */
function demuxHead(url: string, latencyMs: number, name: string): Chain | null {
  const scheme = new URL(url).protocol.replace(/:$/, '');
  const demux = { element: 'tsdemux', name: `${name}-demux` };
  switch (scheme) {
    case 'srt':
      return [{ element: 'srtsrc', name: `${name}-src`, properties: { uri: url, latency: latencyMs } }, demux];
    case 'rtmp':
    case 'rtmps':
      return [{ element: 'rtmp2src', name: `${name}-src`, properties: { location: url } }, { element: 'flvdemux', name: `${name}-demux` }];
    case 'http':
    case 'https':
      return [{ element: 'souphttpsrc', name: `${name}-src`, properties: { location: url, 'is-live': true } }, { element: 'hlsdemux' }, demux];
    default:
      return null;
  }
}

/**
 * The receiving classroom's lesson: the anchor's stream demuxed once, its picture to the display and
 * its AAC sound to the speakers, in one pipeline on one clock (lip sync). A stream without sound
 * leaves the sound branch unlinked, which is not an error.
 */
export function lessonChains(name: string, source: Extract<SourceConfig, { kind: 'remote' }>, profile: BoardProfile, canvas: Canvas, display: Chain, speaker: string): Chain[] {
  const picture: Chain = [{ element: 'videoconvert' }, { element: 'videoscale' }, ...display];
  const head = demuxHead(source.url, source.latencyMs, name);
  if (!head) return [[...captureChain(name, source, profile, canvas), ...picture]];
  const demux = `${name}-demux.`;
  return [
    head,
    [{ ref: demux }, { caps: 'video/x-h264' }, { element: 'queue' }, { element: 'h264parse' }, ...profile.decoder.chain, ...picture],
    [{ ref: demux }, { caps: 'audio/mpeg' }, { element: 'queue' }, { element: 'aacparse' }, { element: 'avdec_aac' }, ...speakerChain(speaker)],
  ];
}

/**
 * A recorded lesson played in the room (implanted mode): playbin decodes whatever the file holds, its
 * picture to the display and its sound, if it has any, to the speakers. (A launch line with a branch
 * for sound that a silent file never links refuses every seek.)
 */
export function playbackChains(uri: string, display: Chain, speaker: string): Chain[] {
  return [[{ element: 'playbin', name: 'player', properties: { uri }, bins: { 'video-sink': [{ element: 'videoconvert' }, { element: 'videoscale' }, ...display], 'audio-sink': speakerChain(speaker) } }]];
}
