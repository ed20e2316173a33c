import { networkOutputs, recordOutputs, type Config, type OutputConfig } from '../config/schema.js';
import type { Chain, ElementLink } from './launch.js';
import { meter } from './meter.js';
import { ECHO_CAPS, micFromCanceller, micToCanceller, type EchoPorts } from './echo/echo-link.js';

/** Raw audio as it crosses the interaudio channel: both sides must agree. */
export const RAW_AUDIO_CAPS = 'audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=2';

/**
 * interaudiosrc as a live microphone would be: it reads 10 ms at a time and keeps at most 50 ms. Its
 * defaults (25 ms reads, a 1 s store) kept whatever the capture had delivered before the reader
 * started, and the sound stayed that much behind the picture for the whole class (250 ms and more).
 * What a writer delivers in a burst (the echo canceller's blocks, a late thread) stays in the
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

/** AAC as it leaves the composite: ADTS frames carry their own headers, so an appsrc needs no codec_data. */
export const AAC_CAPS = 'audio/mpeg,mpegversion=4,stream-format=adts';

const aacDecode: Chain = [{ caps: 'audio/mpeg' }, { element: 'queue' }, { element: 'avdec_aac' }];

/**
 * A remote stream's sound as its demuxer (`demux`, a pad reference) gives it, decoded: `head` starts
 * the chain that takes the decoded sound on, `branches` go with it. No aacparse before AAC's decoder:
 * each PES holds whole ADTS frames, and the parser held each one until the next one's header had come
 * (21 ms at the median, up to 64 ms), frames of digital silence (6 bytes each) until the sound came
 * back (up to 170 ms, then all at once): the speakers skipped them as late, and the echo canceller, told
 * them in a burst, paired its far end anew after every pause.
 *
 * Over SRT the sound is Opus (what boxes send each other) or AAC (an encoder, a box told to): a
 * decoder for each, the demuxer's pad linked to the one its caps fit, both into the funnel `into`.
 * The funnel passes end-of-stream on only once both its inputs have had it, and the idle one never
 * does: an SRT source's pipeline does not end by itself (its caller calls again, its listener is
 * reopened when its frames stop; see inputs). RTMP and HLS carry AAC alone and keep the one decoder.
 */
export function demuxedSound(demux: string, into: string, url: string): { head: Chain; branches: Chain[] } {
  if (new URL(url).protocol !== 'srt:') return { head: [{ ref: demux }, ...aacDecode], branches: [] };
  return {
    head: [{ element: 'funnel', name: into }],
    branches: [
      [{ ref: demux }, ...aacDecode, { ref: `${into}.` }],
      [{ ref: demux }, { caps: 'audio/x-opus' }, { element: 'queue' }, { element: 'opusdec' }, { ref: `${into}.` }],
    ],
  };
}

/** The codecs a composite's sound is encoded in: AAC (recordings, RTMP, HLS, an SRT output that asks for it), Opus (SRT). */
export type AudioCodec = 'aac' | 'opus';

/** The codec a network output carries its sound in. */
export const outputCodec = (output: OutputConfig): AudioCodec => (output.kind === 'srt' ? output.audioCodec : 'aac');

/** The codecs the composite encodes, each once: those that some output of the room takes (AAC where none does). */
export function encodedCodecs(config: Pick<Config, 'audio' | 'outputs'>): AudioCodec[] {
  if (!hasAudio(config)) return [];
  const wanted = new Set<AudioCodec>(networkOutputs(config).map(outputCodec));
  if (recordOutputs(config).length > 0 || wanted.size === 0) wanted.add('aac');
  return (['aac', 'opus'] as const).filter((c) => wanted.has(c));
}

/** The tee each codec's frames leave the composite's encode by. */
export const encodedSoundTee = (codec: AudioCodec) => (codec === 'aac' ? 'aud-tee' : 'opus-tee');
/** The appsink the service takes each codec's frames from, for the network outputs' own pipelines. */
export const soundTap = (codec: AudioCodec) => (codec === 'aac' ? 'aud-out' : 'opus-out');

/**
 * Opus for the SRT outputs, in 10 ms frames with the low-delay mode (CELT alone, 2.5 ms of look-ahead):
 * a sound's onset is decoded 2-7 ms after it was captured, against 38-83 ms through avenc_aac and
 * avdec_aac (1024-sample frames, the encoder's look-ahead and the priming the decoder leaves in, which
 * plays 21 ms behind its stamps). Measured each way in one live pipeline at 48 kHz: onset to decoded,
 * median 1.8 against 57.6 ms. An SRT output's muxer no longer holds each picture for AAC's late sound
 * (it holds each sound frame for the next picture instead).
 */
function opusEncoder(config: Config): ElementLink {
  return {
    element: 'opusenc',
    properties: { bitrate: config.audio.bitrateKbps * 1000, 'frame-size': 10, 'audio-type': 'restricted-lowdelay' },
  };
}

function encodeChain(codec: AudioCodec, config: Config): Chain {
  const encoder: Chain =
    codec === 'aac'
      ? [{ element: 'avenc_aac', properties: { bitrate: config.audio.bitrateKbps * 1000 } }, { element: 'aacparse' }, { caps: AAC_CAPS }]
      : [opusEncoder(config)];
  // Each encoder converts for itself: the formats avenc_aac and opusenc take do not meet.
  return [
    { element: 'audioconvert' },
    ...encoder,
    { element: 'tee', name: encodedSoundTee(codec), properties: { 'allow-not-linked': true } },
  ];
}

/** In the composite: the channel, one encode per codec the outputs take, and a tee of each to them. */
export function audioEncodeChains(config: Config): Chain[] {
  const codecs = encodedCodecs(config);
  const raw: Chain = [interAudioSrc(audioChannel(config), 'audio-in'), { caps: RAW_AUDIO_CAPS }];
  if (codecs.length === 1) return [[...raw, ...encodeChain(codecs[0]!, config)]];
  return [[...raw, { element: 'tee', name: 'aud-raw-tee' }], ...codecs.map((c) => [{ ref: 'aud-raw-tee.' }, ...encodeChain(c, config)])];
}
