import { recordOutputs, type Config, type OutputConfig } from '../config/schema.js';
import { pipelineTokens, shellLine, type Chain } from './launch.js';
import { layoutRects } from './layouts.js';
import { audioEncodeChain, audioSourceChains, hasAudio } from './audio.js';
import type { EchoPorts } from './echo/echo-link.js';
import { appsrcHead, audioAppsrcHead, networkOutput, recordChain, recorderName, H264_CAPS } from './outputs.js';
import { encoderChain, type BoardProfile } from './profiles.js';
import { demuxHead, rawCaps, soundChannel, sourcePipelineChains, type Canvas } from './sources.js';
import { lessonChains, playbackChains, speakerMixChains } from './lesson.js';
import { singleLayout } from '../core/layout-names.js';
import { recordingPrefix } from './recording-names.js';
import { screensOf } from '../config/display-schema.js';
import { compositeChannel, screenSink } from './displays.js';
import { previewBranch, withSourcePreview } from './preview-branch.js';

export { PREVIEW } from './preview-branch.js';

/** How long intervideosrc repeats the last frame before it turns to black: under the 2 s slate budget. */
export const INTER_TIMEOUT_NS = 500_000_000;

export interface PipelineSpec {
  /** Stable id: `source:<name>`, `composite`, `output:<name>`, `receive`, `playback`. */
  id: string;
  tokens: string[];
}

export interface MediaGraph {
  role: 'broadcast' | 'receive' | 'playback';
  sources: PipelineSpec[];
  main: PipelineSpec | null;
  outputs: PipelineSpec[];
  /** The display pipeline of the receive and playback roles. */
  display: PipelineSpec | null;
  /** The audio device's own pipeline, when `audio.device` is not none. */
  audio: PipelineSpec | null;
  /** The anchor's speakers: the remote classrooms' sound mixed, when there are remote sources. */
  speaker: PipelineSpec | null;
  /** Source names in compositor pad order (sink_0, sink_1, ...). */
  padOrder: string[];
  /** The whole graph as one runnable gst-launch-1.0 line. */
  printable: string;
}

export type NetworkOutput = Exclude<OutputConfig, { kind: 'record' }>;

export const channelName = (config: Pick<Config, 'site' | 'room'>, source: string) => `${config.site}-${config.room}-${source}`;

export function canvasOf(config: Config): Canvas {
  return { width: config.video.width, height: config.video.height, fps: config.video.fps };
}

/**
 * The display sink of the screen that shows the lesson (or a played file): the one whose `shows` is
 * `lesson` now, else none (the lesson is still decoded, heard and watched). Playback takes the first
 * screen when none shows the lesson.
 */
function displayChain(config: Config, profile: BoardProfile, shows: Record<string, string> | undefined, playback = false): Chain {
  const screens = screensOf(config);
  const screen = screens.find((d) => (shows?.[d.name] ?? d.shows) === 'lesson') ?? (playback ? screens[0] : undefined);
  return screenSink(screen ?? { sink: 'none' }, profile, 'display');
}

/**
 * The composite: every source read from its intervideo channel, with a NO SIGNAL slate ready on top,
 * into the compositor at the layout's geometry; one encode; a tee to the recording and to the appsink
 * that feeds the network outputs.
 */
function compositeChains(
  config: Config,
  profile: BoardProfile,
  sourceNames: string[],
  layout: string,
  filePrefix: string,
  inlineOutputs: boolean,
  record = true,
): Chain[] {
  const canvas = canvasOf(config);
  const rects = layoutRects(layout, sourceNames, canvas.width, canvas.height);
  const padProps: Record<string, number> = {};
  sourceNames.forEach((s, i) => {
    for (const [k, v] of Object.entries(rects[s]!)) padProps[`sink_${i}::${k}`] = v;
  });
  const gop = Math.max(1, Math.round(config.video.keyframeIntervalS * config.video.fps));
  const chains: Chain[] = [
    [
      { element: 'compositor', name: 'mix', properties: { background: 'black', ...padProps } },
      { caps: `video/x-raw,width=${canvas.width},height=${canvas.height},framerate=${canvas.fps}/1` },
      // The service takes the technician's preview off the raw picture (not in the printed line).
      ...(inlineOutputs ? [] : [{ element: 'tee', name: 'raw-tee' }]),
      { element: 'queue', properties: { 'max-size-buffers': 3, 'max-size-time': 0, 'max-size-bytes': 0 } },
      ...encoderChain(profile, config.video.bitrateKbps, gop),
      { element: 'h264parse', properties: { 'config-interval': -1 } },
      { caps: H264_CAPS },
      { element: 'tee', name: 'enc-tee', properties: { 'allow-not-linked': true } },
    ],
  ];
  sourceNames.forEach((s, i) => {
    chains.push([
      { element: 'intervideosrc', name: `${s}-in`, properties: { channel: channelName(config, s), timeout: INTER_TIMEOUT_NS } },
      { caps: rawCaps(canvas) },
      {
        element: 'textoverlay',
        name: `${s}-slate`,
        properties: {
          text: `NO SIGNAL - ${s}`,
          silent: true,
          valignment: 'center',
          halignment: 'center',
          'font-desc': 'Sans Bold 40',
          'shaded-background': true,
        },
      },
      { element: 'queue', properties: { 'max-size-buffers': 2, 'max-size-time': 0, 'max-size-bytes': 0, leaky: 'downstream' } },
      { ref: `mix.sink_${i}` },
    ]);
  });
  const audio = hasAudio(config);
  const audioQueue: Chain = [{ element: 'queue', properties: { 'max-size-time': 0, 'max-size-bytes': 0, 'max-size-buffers': 0 } }];
  if (audio) chains.push(audioEncodeChain(config));
  for (const o of record ? recordOutputs(config) : []) {
    chains.push([{ ref: 'enc-tee.' }, ...recordChain(o, filePrefix)]);
    // aacparse turns ADTS into the raw AAC (with codec_data) that Matroska takes.
    if (audio) chains.push([{ ref: 'aud-tee.' }, ...audioQueue, { element: 'aacparse' }, { ref: `${recorderName(o.name)}.audio_0` }]);
  }
  const network = config.outputs.filter((o): o is NetworkOutput => o.kind !== 'record');
  if (inlineOutputs) {
    for (const o of network) {
      const out = networkOutput(o, config.video.keyframeIntervalS);
      chains.push([
        { ref: 'enc-tee.' },
        {
          element: 'queue',
          properties: { leaky: 'downstream', 'max-size-time': 2_000_000_000, 'max-size-buffers': 0, 'max-size-bytes': 0 },
        },
        ...out.chain,
      ]);
      if (audio) chains.push([{ ref: 'aud-tee.' }, ...audioQueue, { element: 'aacparse' }, { ref: out.audioRef }]);
    }
  } else {
    if (audio) {
      chains.push([
        { ref: 'aud-tee.' },
        { element: 'queue', properties: { leaky: 'downstream', 'max-size-buffers': 200, 'max-size-time': 0, 'max-size-bytes': 0 } },
        { element: 'appsink', name: 'aud-out', properties: { sync: false, 'max-buffers': 200, drop: true } },
      ]);
    }
    chains.push(previewBranch('raw-tee.', 'preview', canvas.fps));
    // A screen may be switched to the composite at any time: its picture is always shared (the channel
    // holds the last frame only).
    if (config.displays)
      chains.push([
        { ref: 'raw-tee.' },
        { element: 'queue', properties: { 'max-size-buffers': 1, 'max-size-time': 0, 'max-size-bytes': 0, leaky: 'downstream' } },
        { element: 'intervideosink', properties: { channel: compositeChannel(config), sync: false } },
      ]);
    // Always present in the service: it measures the encoded stream (fps, bitrate, stalls) and feeds
    // the network outputs, each in its own pipeline.
    chains.push([
      { ref: 'enc-tee.' },
      { element: 'queue', properties: { leaky: 'downstream', 'max-size-buffers': 60, 'max-size-time': 0, 'max-size-bytes': 0 } },
      { element: 'appsink', name: 'net-out', properties: { sync: false, 'max-buffers': 60, drop: true } },
    ]);
  }
  return chains;
}

export interface GraphOptions {
  /** The layout to build with (the live one, which `layout/set` may have changed). */
  layout?: string;
  /** Recording file prefix, e.g. `demo-school-room-101-20261123-080000`. */
  filePrefix?: string;
  /** For playback: the file or URL to play. */
  media?: string;
  /** Whether the record outputs are in the composite (a box records during classes). Default true. */
  record?: boolean;
  /** The speakers to play the lesson on, when not `audio.speaker` (`none` after the device failed). */
  speaker?: string;
  /** What each screen shows now (`display/set` may have changed it); default: the config's. */
  displays?: Record<string, string>;
  /** The echo canceller's ports, when it runs: the microphone goes through it, and what is played is sent to it. */
  echo?: EchoPorts;
}

/**
 * The layout a role starts with. In the receive role the anchor's lesson is on the display and the
 * composite carries only what goes back to the anchor: the first local source alone.
 */
export function initialLayout(config: Config, role: 'broadcast' | 'receive' | 'playback'): string {
  if (role !== 'receive') return config.layout;
  const remote = Object.entries(config.sources).find(([, s]) => s.kind === 'remote')?.[0];
  const first = Object.keys(config.sources).find((n) => n !== remote);
  return first ? singleLayout(first) : config.layout;
}

/** Renders every pipeline the service runs for the config's role, and the one-line equivalent. */
export function buildGraph(
  config: Config,
  profile: BoardProfile,
  role: 'broadcast' | 'receive' | 'playback',
  options: GraphOptions = {},
): MediaGraph {
  const canvas = canvasOf(config);
  const filePrefix = options.filePrefix ?? recordingPrefix(config, undefined, new Date(0));
  const entries = Object.entries(config.sources);

  if (role === 'playback') {
    const media = options.media ?? 'file:///dev/null';
    const uri = media.includes('://') ? media : `file://${media}`;
    const tokens = pipelineTokens(
      playbackChains(
        uri,
        displayChain(config, profile, options.displays, true),
        options.speaker ?? config.audio.speaker,
        options.echo?.far,
      ),
    );
    return {
      role,
      sources: [],
      main: null,
      outputs: [],
      display: { id: 'playback', tokens },
      audio: null,
      speaker: null,
      padOrder: [],
      printable: shellLine(tokens),
    };
  }

  // receive: the anchor's lesson (the first remote source) goes full screen; local sources go back.
  const remote = role === 'receive' ? entries.find(([, s]) => s.kind === 'remote') : undefined;
  let display: PipelineSpec | null = null;
  if (remote) {
    const [name, src] = remote;
    if (src.kind !== 'remote') throw new Error('unreachable: the lesson is a remote source');
    display = {
      id: 'receive',
      tokens: pipelineTokens(
        lessonChains(
          name,
          src,
          profile,
          canvas,
          displayChain(config, profile, options.displays),
          options.speaker ?? config.audio.speaker,
          options.echo?.far,
        ),
      ),
    };
  }
  const local = entries.filter(([n]) => n !== remote?.[0]);
  const names = local.map(([n]) => n);
  const sourceChains = local.map(([n, s]) => sourcePipelineChains(n, channelName(config, n), s, profile, canvas));
  const sources = sourceChains.map((c, i) => ({
    id: `source:${names[i]}`,
    tokens: pipelineTokens(withSourcePreview(c, names[i]!, canvas.fps)),
  }));
  // The anchor hears the classrooms: every remote source's sound mixed to the speakers. (A receiving
  // classroom's speakers play its lesson.)
  const heard =
    role === 'broadcast'
      ? local
          .filter(([, s]) => s.kind === 'remote' && demuxHead(s.url, s.latencyMs, 'x') !== null)
          .map(([n]) => soundChannel(channelName(config, n)))
      : [];
  const speakerChains = heard.length > 0 ? speakerMixChains(heard, options.speaker ?? config.audio.speaker, options.echo?.far) : [];
  const speaker = speakerChains.length > 0 ? { id: 'speaker', tokens: pipelineTokens(speakerChains) } : null;

  const layout = options.layout ?? initialLayout(config, role);
  const main =
    names.length > 0
      ? {
          id: 'composite',
          tokens: pipelineTokens(compositeChains(config, profile, names, layout, filePrefix, false, options.record ?? true)),
        }
      : null;
  const network = main ? config.outputs.filter((o): o is NetworkOutput => o.kind !== 'record') : [];
  const audio = main && hasAudio(config) ? audioSourceChains(config, options.echo) : null;
  const outputs = network.map((o) => {
    const out = networkOutput(o, config.video.keyframeIntervalS);
    const chains: Chain[] = [[...appsrcHead(o.name), ...out.chain]];
    if (audio) chains.push([...audioAppsrcHead(o.name), { element: 'aacparse' }, { ref: out.audioRef }]);
    return { id: `output:${o.name}`, tokens: pipelineTokens(chains) };
  });

  const printableChains: Chain[] = [...sourceChains.flat(), ...(audio ?? []), ...speakerChains];
  if (names.length > 0) printableChains.push(...compositeChains(config, profile, names, layout, filePrefix, true));
  const printableTokens = [...(display?.tokens ?? []), ...pipelineTokens(printableChains)];
  return {
    role,
    sources,
    main,
    outputs,
    display,
    audio: audio ? { id: 'audio', tokens: pipelineTokens(audio) } : null,
    speaker,
    padOrder: names,
    printable: shellLine(printableTokens),
  };
}
