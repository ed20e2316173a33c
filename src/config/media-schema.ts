import { z } from 'zod';
import { devicePath, filePath, name, overlayText, url } from './fields.js';
import { LAYOUT_NAME, LAYOUT_NAME_HELP } from '../core/layout-names.js';

export const PROFILES = ['auto', 'rpi4', 'rpi5', 'jetson', 'x86-vaapi', 'x86-nvenc', 'software'] as const;

/** videotestsrc patterns worth offering by name. */
export const TEST_PATTERNS = [
  'smpte',
  'snow',
  'black',
  'white',
  'red',
  'green',
  'blue',
  'checkers-8',
  'circular',
  'ball',
  'smpte75',
  'bar',
  'pinwheel',
  'gradient',
  'colors',
] as const;

export const video = z
  .strictObject({
    width: z.number().int().min(160).max(3840).multipleOf(2, 'must be even').default(1280),
    height: z.number().int().min(120).max(2160).multipleOf(2, 'must be even').default(720),
    fps: z.number().int().min(1).max(60).default(30),
    bitrateKbps: z.number().int().min(100).max(50_000).default(2500),
    /** Seconds between key frames: the granularity of segment cuts and of a viewer's join time. */
    keyframeIntervalS: z.number().min(0.5).max(10).default(2),
  })
  .default({ width: 1280, height: 720, fps: 30, bitrateKbps: 2500, keyframeIntervalS: 2 });

const testSource = z.strictObject({
  kind: z.literal('test'),
  pattern: z.enum(TEST_PATTERNS).default('smpte'),
  label: overlayText().optional(),
});
const fileSource = z.strictObject({ kind: z.literal('file'), path: filePath(), loop: z.boolean().default(true) });
const v4l2Source = z.strictObject({
  kind: z.literal('v4l2'),
  device: devicePath(),
  /** What the camera sends: MJPEG (most USB cameras at 720p/1080p) or raw frames. */
  format: z.enum(['auto', 'mjpeg', 'raw']).default('auto'),
  width: z.number().int().min(160).max(3840).optional(),
  height: z.number().int().min(120).max(2160).optional(),
  fps: z.number().int().min(1).max(60).optional(),
});
const hdmiSource = z.strictObject({ kind: z.literal('hdmi'), device: devicePath().default('/dev/video0') });
const libcameraSource = z.strictObject({
  kind: z.literal('libcamera'),
  camera: z
    .string()
    .regex(/^[A-Za-z0-9@._:/-]+$/, 'must be a libcamera camera id')
    .optional(),
});
const rtspSource = z.strictObject({
  kind: z.literal('rtsp'),
  url: url(['rtsp', 'rtsps']),
  latencyMs: z.number().int().min(0).max(10_000).default(200),
});
const remoteSource = z.strictObject({
  kind: z.literal('remote'),
  url: url(['srt', 'rtmp', 'rtmps', 'rtsp', 'http', 'https']),
  // Unset: fitted to the link (SRT; see SrtLatencyTuner), 120 ms elsewhere.
  latencyMs: z.number().int().min(20).max(10_000).optional(),
});

export const source = z.discriminatedUnion('kind', [
  testSource,
  fileSource,
  v4l2Source,
  hdmiSource,
  libcameraSource,
  rtspSource,
  remoteSource,
]);

export const SOURCE_KINDS = ['test', 'file', 'v4l2', 'rtsp', 'hdmi', 'libcamera', 'remote'] as const;

export const layout = z.string().regex(LAYOUT_NAME, LAYOUT_NAME_HELP);

const recordOutput = z.strictObject({
  name: name(),
  kind: z.literal('record'),
  dir: filePath().default('./recordings'),
  segmentS: z.number().int().min(10).max(7200).default(600),
  /** Closed segments older than this are deleted (the class being recorded never is). */
  retentionDays: z.number().min(0.01).max(3650).optional(),
  /** The recordings of this output never take more than this; the oldest go first. */
  maxSizeGB: z.number().min(0.1).max(100_000).optional(),
  /** Free space kept on the recording disk: below it `disk.low` is reported and the oldest segments make room. */
  minFreeMB: z.number().int().min(0).max(10_000_000).default(2048),
  /** When a class ends its segments are joined into one MP4 lesson (no re-encode) in `<dir>/lessons`. */
  lessons: z.boolean().default(true),
});
const rtmpOutput = z.strictObject({
  name: name(),
  kind: z.literal('rtmp'),
  url: url(['rtmp', 'rtmps']),
  autoStart: z.boolean().default(true),
});
const srtOutput = z.strictObject({
  name: name(),
  kind: z.literal('srt'),
  url: url(['srt']),
  passphraseFile: filePath().optional(),
  autoStart: z.boolean().default(true),
  /** The sound's codec: Opus (what boxes send each other: 50-75 ms sooner than AAC), or AAC for a server that takes nothing else. */
  audioCodec: z.enum(['opus', 'aac']).default('opus'),
});
const hlsOutput = z.strictObject({
  name: name(),
  kind: z.literal('hls'),
  dir: filePath().default('./hls'),
  segmentS: z.number().int().min(1).max(60).default(4),
  playlistLength: z.number().int().min(0).max(1000).default(10),
});

export const output = z.discriminatedUnion('kind', [recordOutput, rtmpOutput, srtOutput, hlsOutput]);

/** An ALSA PCM: a card (`hw:1,0`, `plughw:CARD,0`), `default`, or a name defined in asound.conf. */
const ALSA_PCM = /^(default|(plug)?hw:[0-9A-Za-z_]+(,[0-9]+)?|[A-Za-z][A-Za-z0-9_]{0,31})$/;
const ALSA_PCM_HELP = 'an ALSA device like hw:1,0, plughw:1,0, default, or a PCM name from asound.conf';

export const audio = z
  .strictObject({
    /** Room microphone: an ALSA capture device; "test" for a test tone; "none" for no audio. */
    device: z
      .string()
      .refine((d) => d === 'none' || d === 'test' || ALSA_PCM.test(d), `must be none, test or ${ALSA_PCM_HELP}`)
      .default('none'),
    /** Room speakers: where the lesson's sound plays (receive role, implanted lessons); "none" decodes and meters it only. */
    speaker: z
      .string()
      .refine((d) => d === 'none' || ALSA_PCM.test(d), `must be none or ${ALSA_PCM_HELP}`)
      .default('default'),
    bitrateKbps: z.number().int().min(16).max(512).default(128),
    /** During a class, this long without sound on the microphone or the incoming lesson is `audio.silent`. */
    silenceS: z.number().int().min(3).max(3600).default(20),
    /** Where the box both plays sound and captures it, the speakers' echo is taken out of the microphone. */
    echoCancel: z.boolean().default(true),
  })
  .default({ device: 'none', speaker: 'default', bitrateKbps: 128, silenceS: 20, echoCancel: true });

export { devicePath };
