import type { SourceConfig } from '../config/schema.js';
import type { Chain, ElementLink } from './launch.js';
import { meter } from './meter.js';
import { RAW_AUDIO_CAPS } from './audio.js';
import type { BoardProfile } from './profiles.js';
import { captureChain, demuxHead, type Canvas } from './sources.js';

/** Whether a pipeline failed for want of its speakers: the sink could not open, or ALSA's sink is not installed. */
export function isSpeakerFault(reason: string): boolean {
  return reason.startsWith('speaker:') || reason.includes('"alsasink"');
}

/**
 * The speakers' ring buffer: 80 ms in 10 ms periods. ALSA's default, 200 ms, is added to the delay of
 * everything played in time with the sound, the lesson's picture included.
 */
const SPEAKER_BUFFER_US = 80_000;
const SPEAKER_PERIOD_US = 10_000;

/**
 * Decoded sound to the room's speakers, metered on the way (`speaker-level`). `none` meters without
 * playing. async=false: a lesson or a file without sound leaves this branch unlinked, and a sink that
 * waited to preroll would hold the whole picture back.
 */
export function speakerChain(speaker: string, timing: Record<string, number | boolean> = {}): Chain {
  const sink: ElementLink =
    speaker === 'none'
      ? { element: 'fakesink', name: 'speaker', properties: { sync: true, async: false, ...timing } }
      : { element: 'alsasink', name: 'speaker', properties: { device: speaker, sync: true, async: false, 'buffer-time': SPEAKER_BUFFER_US, 'latency-time': SPEAKER_PERIOD_US, ...timing } };
  return [{ element: 'audioconvert' }, { element: 'audioresample' }, meter('speaker-level'), sink];
}

/**
 * The receiving classroom's lesson: the anchor's stream demuxed once, its picture to the display and
 * its AAC sound to the speakers, in one pipeline and both on its clock (lip sync: a display sink that
 * showed frames as they came put the sound 300 ms behind the picture). A stream without sound leaves
 * the sound branch unlinked, which is not an error.
 *
 * srtsrc tells the pipeline it adds `latencyMs`, but its packets have already waited that long in
 * SRT's receive buffer and are stamped when they leave it: the sinks would wait it a second time. Both
 * sinks play that much earlier (ts-offset), which keeps them in step with each other.
 */
export function lessonChains(name: string, source: Extract<SourceConfig, { kind: 'remote' }>, profile: BoardProfile, canvas: Canvas, display: Chain, speaker: string): Chain[] {
  const timing = { sync: true, ...(new URL(source.url).protocol === 'srt:' ? { 'ts-offset': -source.latencyMs * 1_000_000 } : {}) };
  const onClock = display.map((l, i) => (i === display.length - 1 && 'element' in l ? { ...l, properties: { ...l.properties, ...timing } } : l));
  const picture: Chain = [{ element: 'videoconvert' }, { element: 'videoscale' }, ...onClock];
  const head = demuxHead(source.url, source.latencyMs, name);
  if (!head) return [[...captureChain(name, source, profile, canvas), ...picture]];
  const demux = `${name}-demux.`;
  return [
    head,
    [{ ref: demux }, { caps: 'video/x-h264' }, { element: 'queue' }, { element: 'h264parse' }, ...profile.decoder.chain, ...picture],
    [{ ref: demux }, { caps: 'audio/mpeg' }, { element: 'queue' }, { element: 'aacparse' }, { element: 'avdec_aac' }, ...speakerChain(speaker, timing)],
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

/**
 * The anchor's speakers: the sound of every remote classroom, each from its channel (silence while it
 * has none), mixed and metered as `speaker`, so that the teacher hears the students' answers.
 */
export function speakerMixChains(channels: string[], speaker: string): Chain[] {
  return [
    [{ element: 'audiomixer', name: 'speaker-mix' }, ...speakerChain(speaker)],
    ...channels.map((channel): Chain => [{ element: 'interaudiosrc', properties: { channel } }, { caps: RAW_AUDIO_CAPS }, { element: 'queue' }, { ref: 'speaker-mix.' }]),
  ];
}
