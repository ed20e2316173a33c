import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classroomsOf, type DisplayConfig } from '../config/display-schema.js';
import type { Config } from '../config/schema.js';
import { liveCompositor } from './compositor.js';
import { launchString, pipelineTokens, type Chain, type ElementLink, type Link } from './launch.js';
import { layoutRects } from './layouts.js';
import type { BoardProfile } from './profiles.js';
import { rawCaps, type Canvas } from './sources.js';

/** The intervideo channel the composite's raw picture is shared on, for a screen that shows it ('/' is in no name). */
export const compositeChannel = (config: Pick<Config, 'site' | 'room'>) => `${config.site}/${config.room}/composite`;

/** The board's display sink for one screen (its KMS connector set), or a fakesink for `sink: none`. */
/** The sink of the room's own screen in the pipeline that plays to it (the lesson's, a recorded lesson's). */
export const ROOM_DISPLAY_SINK = 'display';

export function screenSink(display: Pick<DisplayConfig, 'sink' | 'connector'>, profile: BoardProfile, name: string): Chain {
  if (display.sink === 'none') return [{ element: 'fakesink', name, properties: { sync: true } }];
  return profile.display.chain.map((l, i, all): Link => {
    if (!('element' in l) || i !== all.length - 1) return l;
    const properties = { ...l.properties };
    if (l.element === 'kmssink' && display.connector !== undefined) properties['connector-id'] = display.connector;
    return { ...l, name, properties };
  });
}

/**
 * What the screen's own process is given: its X display, when it has one. A screen on X is not a KMS
 * screen: autovideosink is kept from trying kmssink, which took 2 s of every start on a box with X and
 * no XVideo before it fell back to ximagesink.
 */
export const screenEnv = (display: Pick<DisplayConfig, 'x11Display'> | undefined): Record<string, string> | undefined =>
  display?.x11Display ? { DISPLAY: display.x11Display, GST_PLUGIN_FEATURE_RANK: 'kmssink:NONE' } : undefined;

/** Where a screen's picture passes from the main process to the screen's own (a unix socket; shared memory beside it). */
export const screenSocket = (name: string) => join(tmpdir(), `classbox-${process.pid}-screen-${name}`);

/** One raw frame of the canvas in I420, and the shared memory for a few of them. */
function shmBytes(canvas: Canvas): number {
  return Math.ceil((canvas.width * canvas.height * 3) / 2) * 8;
}

const leaky = (buffers: number): ElementLink => ({
  element: 'queue',
  properties: { 'max-size-buffers': buffers, 'max-size-time': 0, 'max-size-bytes': 0, leaky: 'downstream' },
});

/** The intervideo channel of one screen's picture, between its feed and its share (below). */
export const screenChannel = (config: Pick<Config, 'site' | 'room'>, screen: string) => `${config.site}/${config.room}/screen/${screen}`;

/**
 * What a screen shows, put together in the main process where the pictures are (intervideo channels are
 * seen only there), into the screen's own channel. A screen of classrooms composes them in a grid, each
 * black while lost. `display/set` rebuilds this pipeline alone.
 */
export function screenFeedChains(
  config: Pick<Config, 'site' | 'room' | 'role' | 'sources'>,
  screen: string,
  shows: string,
  canvas: Canvas,
  channel: (source: string) => string,
  interTimeoutNs: number,
): Chain[] {
  const out: Chain = [
    { element: 'videoconvert' },
    { caps: rawCaps(canvas) },
    { element: 'intervideosink', name: 'screen-feed', properties: { channel: screenChannel(config, screen), sync: false } },
  ];
  const inter = (ch: string, name: string): Chain => [
    { element: 'intervideosrc', name, properties: { channel: ch, timeout: interTimeoutNs } },
    { caps: rawCaps(canvas) },
  ];
  if (shows === 'classrooms') {
    const rooms = classroomsOf(config);
    const rects = layoutRects('grid', rooms, canvas.width, canvas.height);
    const pads: Record<string, number> = {};
    rooms.forEach((r, i) => {
      for (const [k, v] of Object.entries(rects[r]!)) pads[`sink_${i}::${k}`] = v;
    });
    return [
      [
        liveCompositor('screen-mix', pads),
        { caps: `video/x-raw,width=${canvas.width},height=${canvas.height},framerate=${canvas.fps}/1` },
        ...out,
      ],
      ...rooms.map((r, i): Chain => [...inter(channel(r), `${r}-screen-in`), leaky(2), { ref: `screen-mix.sink_${i}` }]),
    ];
  }
  const ch = shows === 'composite' ? compositeChannel(config) : channel(shows.replace(/^source:/, ''));
  return [[...inter(ch, 'screen-in'), leaky(2), ...out]];
}

/**
 * A screen's channel handed to its own process in shared memory. Kept running through `display/set`:
 * the screen's process stays connected (its shmsrc ends with the socket), so a switch costs no process
 * start. shmsink waits for nobody: frames with no screen to read them are dropped.
 */
export function screenShareChains(
  config: Pick<Config, 'site' | 'room'>,
  screen: string,
  canvas: Canvas,
  socket: string,
  interTimeoutNs: number,
): Chain[] {
  return [
    [
      { element: 'intervideosrc', name: 'screen-in', properties: { channel: screenChannel(config, screen), timeout: interTimeoutNs } },
      { caps: rawCaps(canvas) },
      leaky(2),
      // Frames are copied into the shared memory: offered as the upstream allocator, its few blocks were
      // all taken by the compositor's pool and the feed stopped at its second frame.
      { element: 'identity', properties: { 'drop-allocation': true } },
      {
        element: 'shmsink',
        name: 'screen-out',
        properties: { 'socket-path': socket, 'shm-size': shmBytes(canvas), 'wait-for-connection': false, sync: false, async: false },
      },
    ],
  ];
}

/** The sink that counts the frames a screen's process receives (the display sink may be a bin). */
export const SCREEN_FRAMES = 'screen-frames';

/** The screen's own process: the picture from shared memory to the display sink, counted on the way. */
export function screenSinkChains(display: DisplayConfig, profile: BoardProfile, canvas: Canvas, socket: string): Chain[] {
  return [
    [
      { element: 'shmsrc', properties: { 'socket-path': socket, 'is-live': true, 'do-timestamp': true } },
      { caps: rawCaps(canvas) },
      { element: 'tee', name: 'screen-tee' },
      leaky(2),
      { element: 'videoconvert' },
      ...screenSink(display, profile, `display-${display.name}`),
    ],
    [{ ref: 'screen-tee.' }, leaky(1), { element: 'fakesink', name: SCREEN_FRAMES, properties: { sync: false, async: false } }],
  ];
}

/** A screen's three pipelines as launch lines: its feed and share (this process) and its display's own process. */
export function screenLines(
  config: Pick<Config, 'site' | 'room' | 'role' | 'sources'>,
  display: DisplayConfig,
  shows: string,
  profile: BoardProfile,
  canvas: Canvas,
  socket: string,
  channel: (source: string) => string,
  interTimeoutNs: number,
): { feed: string; share: string; sink: string } {
  return {
    feed: launchString(pipelineTokens(screenFeedChains(config, display.name, shows, canvas, channel, interTimeoutNs))),
    share: launchString(pipelineTokens(screenShareChains(config, display.name, canvas, socket, interTimeoutNs))),
    sink: launchString(pipelineTokens(screenSinkChains(display, profile, canvas, socket))),
  };
}
