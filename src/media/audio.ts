import type { Config } from '../config/schema.js';
import type { Chain, ElementLink } from './launch.js';
import { meter } from './meter.js';
import { ECHO_CAPS, micFromCanceller, micToCanceller, type EchoPorts } from './echo/echo-link.js';

/** Raw audio as it crosses the interaudio channel: both sides must agree. */
export const RAW_AUDIO_CAPS = 'audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=2';

/**
 * interaudiosrc as a live microphone would be: it reads 10 ms at a time and keeps at most 50 ms. Its
 * defaults (25 ms reads, a 1 s store) kept whatever the capture had delivered before the reader
 * started, and the sound stayed that much behind the picture for the whole class (250 ms and more).
 * What a writer delivers in a burst (the echo canceller's 16 ms blocks, a late thread) stays in the
 * store up to its size for the rest of the class: 100 ms measured the anchor's sound 50 ms later
 * behind the echo canceller than 40 ms did.
 */
export function interAudioSrc(channel: string, name?: string): ElementLink {
  return {
    element: 'interaudiosrc',
    ...(name ? { name } : {}),
    properties: { channel, 'period-time': 10_000_000, 'latency-time': 20_000_000, 'buffer-time': 50_000_000 },
  };
}

export const audioChannel = (config: Pick<Config, 'site' | 'room'>) => `${config.site}-${config.room}-audio`;

export function hasAudio(config: Pick<Config, 'audio'>): boolean {
  return config.audio.device !== 'none';
}

/** The room plays sound and captures it, and its echo canceller is not turned off (whether it plays anything: the graph's). */
export function cancelsEcho(config: Pick<Config, 'audio'>): boolean {
  return config.audio.echoCancel && config.audio.speaker !== 'none' && hasAudio(config);
}

/**
 * The audio device's own pipeline: an ALSA capture (or a test tone) into the interaudio channel. Like a
 * video source it fails alone: the composite's interaudiosrc plays silence meanwhile. With the echo
 * canceller, the microphone goes through it on the way (metered as captured, before it).
 */
export function audioSourceChains(config: Config, echo?: EchoPorts): Chain[] {
  const d = config.audio.device;
  const src: Chain =
    d === 'test'
      ? [{ element: 'audiotestsrc', name: 'audio-src', properties: { 'is-live': true, wave: 'sine', freq: 440, volume: 0.1 } }]
      : [{ element: 'alsasrc', name: 'audio-src', properties: { device: d } }];
  const toChannel: Chain = [{ element: 'interaudiosink', name: 'audio-out', properties: { channel: audioChannel(config), sync: false } }];
  if (!echo)
    return [
      [...src, { element: 'audioconvert' }, { element: 'audioresample' }, { caps: RAW_AUDIO_CAPS }, meter('mic-level'), ...toChannel],
    ];
  return [
    [
      ...src,
      { element: 'audioconvert' },
      { element: 'audioresample' },
      { caps: ECHO_CAPS },
      meter('mic-level'),
      ...micToCanceller(echo.mic),
    ],
    [...micFromCanceller(echo.clean), { element: 'audioconvert' }, { element: 'audioresample' }, { caps: RAW_AUDIO_CAPS }, ...toChannel],
  ];
}

/**
 * A stream's AAC sound as the demuxer gives it, decoded: each PES holds whole ADTS frames, which the
 * decoder takes as they are. No aacparse in between: it holds each frame until the next one's header
 * has come (21 ms at the median, up to 64 ms), and frames of digital silence (6 bytes of AAC each)
 * until enough bytes follow, that is until the sound comes back (up to 170 ms, then all at once): the
 * speakers then skipped them as late, and the echo canceller, told them in a burst, paired its far end
 * anew after every pause.
 */
export const DEMUXED_AAC_DECODE: Chain = [{ caps: 'audio/mpeg' }, { element: 'queue' }, { element: 'avdec_aac' }];

/** In the composite: the channel, one AAC encode, and a tee to every output. */
export function audioEncodeChain(config: Config): Chain {
  return [
    interAudioSrc(audioChannel(config), 'audio-in'),
    { caps: RAW_AUDIO_CAPS },
    { element: 'audioconvert' },
    { element: 'avenc_aac', properties: { bitrate: config.audio.bitrateKbps * 1000 } },
    { element: 'aacparse' },
    { caps: 'audio/mpeg,mpegversion=4,stream-format=adts' },
    { element: 'tee', name: 'aud-tee', properties: { 'allow-not-linked': true } },
  ];
}
