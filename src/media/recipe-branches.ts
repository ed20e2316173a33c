import { networkOutputs, recordOutputs, type Config, type NetworkOutput, type SourceConfig } from '../config/schema.js';
import { screensOf } from '../config/display-schema.js';
import { audioEncodeChains, audioSourceChains, encodedCodecs, encodedSoundTee, hasAudio, outputCodec, soundTap } from './audio.js';
import { liveCompositor } from './compositor.js';
import { compositeChannel, ROOM_DISPLAY_SINK, screenSink } from './displays.js';
import type { EchoPorts } from './echo/echo-link.js';
import type { Chain } from './launch.js';
import { layoutRects } from './layouts.js';
import { lessonChains, playbackChains, speakerMixChains } from './lesson.js';
import { appsrcHead, audioAppsrcHead, beforeMuxer, networkOutput, recordChain, recorderName, H264_CAPS } from './outputs.js';
import { previewBranch, withSourcePreview } from './preview-branch.js';
import { encoderChain, type BoardProfile } from './profiles.js';
import type { BranchName } from './recipe.js';
import { rawCaps, sourcePipelineChains, type Canvas } from './sources.js';
import type { HeardClassroom } from './sound-link.js';

/** How long intervideosrc repeats the last frame before it turns to black: under the 2 s slate budget. */
export const INTER_TIMEOUT_NS = 500_000_000;

/**
 * How many times per composite frame each source's channel is read. `intervideosrc` takes the newest
 * frame when it makes a buffer and then waits for that buffer's time: read at the canvas rate, a
 * camera's frame reached the compositor's output 51-53 ms after it was written (at the median, over
 * every phase; 25-27 read four times a frame), and in a call, where those reads fell against the
 * camera's frames and the compositor's ticks was the call's. In nine calls of the latency bench each
 * (720p30, in turns): the receiving room's projector 220-386 ms (median 277) against 205-349 (232),
 * lip sync -58..+43 against -22..+25, the way back's picture 313-700 (387) against 296-331 (317). The
 * compositor keeps the newest buffer of each input for its tick; the reads in between are references
 * to the same frame (CPU within 3 % for a 720p30 source through its slate and the compositor).
 */
const SOURCE_READS_PER_FRAME = 4;

/** One source's input to the composite: its channel read, its NO SIGNAL slate ready, into `pad` of the compositor. */
export function compositeInput(channel: string, source: string, canvas: Canvas, pad: string): Chain {
  return [
    { element: 'intervideosrc', name: `${source}-in`, properties: { channel, timeout: INTER_TIMEOUT_NS } },
    { caps: rawCaps({ ...canvas, fps: canvas.fps * SOURCE_READS_PER_FRAME }) },
    {
      element: 'textoverlay',
      name: `${source}-slate`,
      properties: {
        text: `NO SIGNAL - ${source}`,
        silent: true,
        valignment: 'center',
        halignment: 'center',
        'font-desc': 'Sans Bold 40',
        'shaded-background': true,
      },
    },
    { element: 'queue', properties: { 'max-size-buffers': 2, 'max-size-time': 0, 'max-size-bytes': 0, leaky: 'downstream' } },
    { ref: pad },
  ];
}

type RemoteSource = Extract<SourceConfig, { kind: 'remote' }>;

export const channelName = (config: Pick<Config, 'site' | 'room'>, source: string) => `${config.site}-${config.room}-${source}`;

/** What a branch is rendered from: the room, the board, the moment's choices, and the pipeline's own source or output. */
export interface BranchContext {
  config: Config;
  profile: BoardProfile;
  canvas: Canvas;
  /** The service's pipelines, or the one gst-launch-1.0 line that `classbox pipeline` prints. */
  form: 'service' | 'printable';
  layout: string;
  filePrefix: string;
  /** Whether the record outputs are in the composite now. */
  record: boolean;
  /** The speakers to play on. */
  speaker: string;
  /** What each screen shows now. */
  displays: Record<string, string> | undefined;
  echo: EchoPorts | undefined;
  /** The file or URL played (playback). */
  media: string;
  lesson: [string, RemoteSource] | undefined;
  /** The composed sources, in compositor pad order. */
  local: Array<[string, SourceConfig]>;
  /** The classrooms the speakers mix. */
  heard: HeardClassroom[];
  /** Each remote source's sound link port (by source name), where the service gave one. */
  soundPorts: Record<string, number> | undefined;
  /** The pipeline's own source or output, for one made per source or per output. */
  source?: [string, SourceConfig];
  output?: NetworkOutput;
}

/** A branch adds its chains to what the pipeline has so far (the source preview also puts a tee into them). */
type Branch = (c: BranchContext, before: Chain[]) => Chain[];

const unbounded = { 'max-size-time': 0, 'max-size-bytes': 0, 'max-size-buffers': 0 };

/**
 * The display sink of the screen that shows the lesson (or a played file): the one whose `shows` is
 * `lesson` now, else none (the lesson is still decoded, heard and watched). Playback takes the first
 * screen when none shows the lesson.
 */
function displayChain(c: BranchContext, playback = false): Chain {
  const screens = screensOf(c.config);
  const screen = screens.find((d) => (c.displays?.[d.name] ?? d.shows) === 'lesson') ?? (playback ? screens[0] : undefined);
  return screenSink(screen ?? { sink: 'none' }, c.profile, ROOM_DISPLAY_SINK);
}

/**
 * The composite: every source read from its intervideo channel, with a NO SIGNAL slate ready on top,
 * into the compositor at the layout's geometry; one encode; a tee to the recording and to the appsink
 * that feeds the network outputs.
 */
const compose: Branch = (c, before) => {
  const names = c.local.map(([n]) => n);
  const rects = layoutRects(c.layout, names, c.canvas.width, c.canvas.height);
  const padProps: Record<string, number> = {};
  names.forEach((s, i) => {
    for (const [k, v] of Object.entries(rects[s]!)) padProps[`sink_${i}::${k}`] = v;
  });
  const gop = Math.max(1, Math.round(c.config.video.keyframeIntervalS * c.config.video.fps));
  const chains: Chain[] = [
    [
      liveCompositor('mix', padProps),
      { caps: `video/x-raw,width=${c.canvas.width},height=${c.canvas.height},framerate=${c.canvas.fps}/1` },
      // The service takes the technician's preview off the raw picture (not in the printed line).
      ...(c.form === 'printable' ? [] : [{ element: 'tee', name: 'raw-tee' }]),
      { element: 'queue', properties: { 'max-size-buffers': 3, 'max-size-time': 0, 'max-size-bytes': 0 } },
      ...encoderChain(c.profile, c.config.video.bitrateKbps, gop),
      { element: 'h264parse', properties: { 'config-interval': -1 } },
      { caps: H264_CAPS },
      { element: 'tee', name: 'enc-tee', properties: { 'allow-not-linked': true } },
    ],
  ];
  names.forEach((s, i) => chains.push(compositeInput(channelName(c.config, s), s, c.canvas, `mix.sink_${i}`)));
  return [...before, ...chains];
};

const soundEncode: Branch = (c, before) => (hasAudio(c.config) ? [...before, ...audioEncodeChains(c.config)] : before);

const record: Branch = (c, before) => {
  const chains: Chain[] = [];
  for (const o of c.record ? recordOutputs(c.config) : []) {
    chains.push([{ ref: 'enc-tee.' }, ...recordChain(o, c.filePrefix)]);
    // aacparse turns ADTS into the raw AAC (with codec_data) that Matroska takes.
    if (hasAudio(c.config))
      chains.push([
        { ref: 'aud-tee.' },
        { element: 'queue', properties: unbounded },
        { element: 'aacparse' },
        { ref: `${recorderName(o.name)}.audio_0` },
      ]);
  }
  return [...before, ...chains];
};

/** The printed line sends each network output straight from the encoder's tee. */
const networkInline: Branch = (c, before) => {
  const chains: Chain[] = [];
  for (const o of networkOutputs(c.config)) {
    const out = networkOutput(o, c.config.video.keyframeIntervalS, true);
    chains.push([
      { ref: 'enc-tee.' },
      { element: 'queue', properties: { leaky: 'downstream', 'max-size-time': 2_000_000_000, 'max-size-buffers': 0, 'max-size-bytes': 0 } },
      ...out.chain,
    ]);
    if (hasAudio(c.config)) {
      const codec = outputCodec(o);
      chains.push([
        { ref: `${encodedSoundTee(codec)}.` },
        { element: 'queue', properties: unbounded },
        ...beforeMuxer(codec),
        { ref: out.audioRef },
      ]);
    }
  }
  return [...before, ...chains];
};

/** What the service takes off the composite: sound and pictures for the outputs' own pipelines, the preview, the screens. */
const serviceTaps: Branch = (c, before) => {
  const chains: Chain[] = [];
  for (const codec of encodedCodecs(c.config)) {
    chains.push([
      { ref: `${encodedSoundTee(codec)}.` },
      { element: 'queue', properties: { leaky: 'downstream', 'max-size-buffers': 200, 'max-size-time': 0, 'max-size-bytes': 0 } },
      { element: 'appsink', name: soundTap(codec), properties: { sync: false, 'max-buffers': 200, drop: true } },
    ]);
  }
  chains.push(previewBranch('raw-tee.', 'preview', c.canvas.fps));
  // A screen may be switched to the composite at any time: its picture is always shared (the channel
  // holds the last frame only).
  if (c.config.displays)
    chains.push([
      { ref: 'raw-tee.' },
      { element: 'queue', properties: { 'max-size-buffers': 1, 'max-size-time': 0, 'max-size-bytes': 0, leaky: 'downstream' } },
      { element: 'intervideosink', properties: { channel: compositeChannel(c.config), sync: false } },
    ]);
  // Always present in the service: it measures the encoded stream (fps, bitrate, stalls) and feeds
  // the network outputs, each in its own pipeline.
  chains.push([
    { ref: 'enc-tee.' },
    { element: 'queue', properties: { leaky: 'downstream', 'max-size-buffers': 60, 'max-size-time': 0, 'max-size-bytes': 0 } },
    { element: 'appsink', name: 'net-out', properties: { sync: false, 'max-buffers': 60, drop: true } },
  ]);
  return [...before, ...chains];
};

/** A network output's own pipeline, fed by appsrc from the composite's encode (and its sound). */
const networkSend: Branch = (c, before) => {
  const o = c.output!;
  const out = networkOutput(o, c.config.video.keyframeIntervalS);
  const chains: Chain[] = [[...appsrcHead(o.name), ...out.chain]];
  if (hasAudio(c.config)) chains.push([...audioAppsrcHead(o.name, outputCodec(o)), { ref: out.audioRef }]);
  return [...before, ...chains];
};

const capture: Branch = (c, before) => {
  const [name, source] = c.source!;
  return [...before, ...sourcePipelineChains(name, channelName(c.config, name), source, c.profile, c.canvas, c.soundPorts?.[name])];
};

const sourcePreview: Branch = (c, before) => withSourcePreview(before, c.source![0], c.canvas.fps);

const lesson: Branch = (c, before) => {
  const [name, src] = c.lesson!;
  return [...before, ...lessonChains(name, src, c.profile, c.canvas, displayChain(c), c.speaker, c.echo?.far, c.form === 'printable')];
};

const playback: Branch = (c, before) => {
  const uri = c.media.includes('://') ? c.media : `file://${c.media}`;
  return [...before, ...playbackChains(uri, displayChain(c, true), c.speaker, c.echo?.far)];
};

export const BRANCHES: Record<BranchName, Branch> = {
  capture,
  'source-preview': sourcePreview,
  compose,
  'sound-encode': soundEncode,
  record,
  'service-taps': serviceTaps,
  'network-inline': networkInline,
  'network-send': networkSend,
  microphone: (c, before) => [...before, ...audioSourceChains(c.config, c.echo)],
  'speaker-mix': (c, before) => [...before, ...speakerMixChains(c.heard, c.speaker, c.echo?.far)],
  lesson,
  playback,
};

export function canvasOf(config: Config): Canvas {
  return { width: config.video.width, height: config.video.height, fps: config.video.fps };
}
