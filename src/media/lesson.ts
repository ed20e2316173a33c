import type { SourceConfig } from '../config/schema.js';
import { ECHO_ROOM_MARGIN_MS, PACE_MARGIN_MS, type PaceSpec } from './lead-pace.js';
import type { Chain, ElementLink } from './launch.js';
import { meter } from './meter.js';
import { demuxedSound, RAW_AUDIO_CAPS } from './audio.js';
import { farEndBranch } from './echo/echo-link.js';
import { soundLinkIn, type HeardClassroom } from './sound-link.js';
import { ROOM_DISPLAY_SINK } from './displays.js';
import type { BoardProfile } from './profiles.js';
import type { RunningPipeline } from './runner.js';
import { captureChain, demuxedH264, demuxHead, rawCaps, type Canvas } from './sources.js';

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
 * waited to preroll would hold the whole picture back. With the echo canceller's port, what is played
 * is also sent to it (a second chain, a branch of the speakers' tee), on the same clock.
 */
export function speakerChains(speaker: string, timing: Record<string, number | boolean> = {}, farPort?: number): [Chain, ...Chain[]] {
  const sink: ElementLink =
    speaker === 'none'
      ? { element: 'fakesink', name: SPEAKER_SINK, properties: { sync: true, async: false, ...timing } }
      : {
          element: 'alsasink',
          name: SPEAKER_SINK,
          properties: {
            device: speaker,
            sync: true,
            async: false,
            'buffer-time': SPEAKER_BUFFER_US,
            'latency-time': SPEAKER_PERIOD_US,
            ...timing,
          },
        };
  const head: Chain = [{ element: 'audioconvert' }, { element: 'audioresample' }, meter('speaker-level')];
  if (farPort === undefined || speaker === 'none') return [[...head, sink]];
  return [[...head, { element: 'tee', name: SPEAKER_TEE }, { element: 'queue' }, sink], farEndBranch(SPEAKER_TEE, farPort, timing)];
}
const SPEAKER_TEE = 'speaker-tee';
const SPEAKER_SINK = 'speaker';

/** The funnel in front of the display: the lesson's frames or, while it is lost, the slate's (see showSlate). */
const lessonScreen = (name: string) => `${name}-screen`;
/** The valves in front of the lesson's screen: the slate's and the lesson's own. */
const lessonValves = (name: string) => ({ slate: `${name}-slate-valve`, lesson: `${name}-lesson-valve` });

/** Shows the slate on the lesson's screen (the lesson is lost), or the lesson. */
export function showSlate(p: Pick<RunningPipeline, 'set'>, name: string, visible: boolean): void {
  const { slate, lesson } = lessonValves(name);
  // The one to show opened first: the screen is never left with nothing for a frame.
  p.set(visible ? slate : lesson, 'drop', false);
  p.set(visible ? lesson : slate, 'drop', true);
}

/** A sink that counts the lesson's decoded frames (the display shows the slate's too). */
export const lessonFrames = (name: string) => `${name}-frames`;
export const LESSON_SLATE_TEXT = 'Waiting for the lesson';
/**
 * The lesson pipeline's latency, fixed (ms): what its display and speakers wait beyond each frame's
 * time, the display sink's own deadline. Left to GStreamer, it is worked out from what the elements
 * linked at that moment report, when the pipeline first plays: the slate's branch alone most often
 * (15-40 ms), but when the lesson's branches were linked already, the SRT source's latency before it
 * is fitted to the link, the decoder's frame and the rest as well (230 ms), and that call was shown
 * and heard about 200 ms later from start to end, lip sync as ever (GStreamer's `bin:4` log of the
 * room's lesson, 10 calls of the latency bench at 720p30: 478 ms to the projector in the call that
 * configured 230, 200-259 in the others). Only for a paced lesson (see LeadPace), whose pace keeps what
 * each kind needs beyond this: a lesson without one needs what its elements report.
 */
export const LESSON_LATENCY_MS = 20;

/**
 * The receiving classroom's lesson: the anchor's stream demuxed once, its picture to the display and
 * its AAC sound to the speakers, in one pipeline and both on its clock (lip sync: a display sink that
 * showed frames as they came put the sound 300 ms behind the picture). A stream without sound leaves
 * the sound branch unlinked, which is not an error.
 *
 * Both sinks wait for the clock, moved alike: an SRT lesson is played earlier by what it has to spare
 * (see LeadPace and lessonPace), the picture and the sound by the same offset. (The sound waited one
 * frame more while the anchor's sources held each frame for a frame, which put the sound 48 ms ahead of
 * the picture without it; once they no longer did, it put the sound 34-101 ms behind it at 720p30.
 * Playing both earlier by SRT's latency, which srtsrc reports although its packets have already waited
 * it, made the compositor then in front of the display late, and the display dropped its frames unevenly.)
 *
 * The display shows the lesson or, until its frames come and whenever they stop, a slate: a lost lesson
 * must not leave its last frame frozen on the projector as if the anchor's teacher had stopped moving.
 * Each goes through a valve to one funnel (the engine opens one and shuts the other: `showSlate`),
 * not through a compositor with the slate on top: a live compositor shows each frame on its own next
 * tick, after waiting for the slate's frame too (30-100 ms later on the projector, measured), and
 * blends two whole pictures for every frame.
 */
export function lessonChains(
  name: string,
  source: Extract<SourceConfig, { kind: 'remote' }>,
  profile: BoardProfile,
  canvas: Canvas,
  display: Chain,
  speaker: string,
  farPort?: number,
  /** For a line run by hand: the lesson alone, shown from the start (the service shows the slate until it comes). */
  printable = false,
): Chain[] {
  const onClock = display.map((l, i) =>
    i === display.length - 1 && 'element' in l ? { ...l, properties: { ...l.properties, sync: true } } : l,
  );
  const screen = lessonScreen(name);
  const frames = `${name}-frames-tee`;
  const { slate, lesson } = lessonValves(name);
  const slateChain: Chain = [
    // One black frame, repeated: a live videotestsrc painted each of them anew, hidden or not (0.4 % of
    // a core at 720p30, a tenth of what the room's lesson process took beyond decoding).
    { element: 'videotestsrc', name: `${name}-slate-src`, properties: { pattern: 'black', 'num-buffers': 1 } },
    { caps: rawCaps(canvas) },
    { element: 'imagefreeze', properties: { 'is-live': true } },
    // Shut before the text is drawn: a slate nobody sees costs nothing more than its black frames.
    { element: 'valve', name: slate, properties: { drop: false } },
    {
      element: 'textoverlay',
      properties: { text: LESSON_SLATE_TEXT, valignment: 'center', halignment: 'center', 'font-desc': 'Sans Bold 40' },
    },
    { ref: `${screen}.` },
  ];
  const screenChains: Chain[] = [
    [{ element: 'funnel', name: screen }, ...onClock],
    // A line run by hand has no engine to switch the valves: it shows the lesson alone.
    ...(printable ? [] : [slateChain]),
    [
      { ref: `${frames}.` },
      { element: 'queue', properties: { 'max-size-buffers': 1, 'max-size-time': 0, 'max-size-bytes': 0, leaky: 'downstream' } },
      { element: 'fakesink', name: lessonFrames(name), properties: { sync: false, async: false } },
    ],
    [
      { ref: `${frames}.` },
      // Where the picture's timing is moved to play it earlier (see lessonPace): behind the frames'
      // count, whose sink would count anew from zero at each move (a segment sent again resets it).
      { element: 'queue', name: lessonPaced(name).video, properties: { 'max-size-buffers': 2, 'max-size-time': 0, 'max-size-bytes': 0 } },
      { element: 'videoconvert' },
      { element: 'videoscale' },
      // The slate's format and size at the lesson's own rate.
      { caps: rawCaps(canvas).replace(/,framerate=[^,]+/, '') },
      { element: 'valve', name: lesson, properties: { drop: !printable } },
      { ref: `${screen}.` },
    ],
  ];
  const decoded: ElementLink = { element: 'tee', name: frames };
  const head = demuxHead(source.url, source.latencyMs, name);
  if (!head) return [[...captureChain(name, source, profile, canvas), decoded], ...screenChains];
  const demux = `${name}-demux.`;
  const [speakers, ...farEnd] = speakerChains(speaker, { sync: true }, farPort);
  const { pictureProbe, soundProbe, audio, decodedSound } = lessonPaced(name);
  const video = demuxedH264(name);
  const decode: Chain = [...profile.decoder.chain, decoded];
  const { head: sound, branches: soundIn } = demuxedSound(demux, decodedSound, source.url);
  if (printable || !lessonPace(name, source))
    return [head, [...video, ...decode], ...screenChains, [...sound, ...speakers], ...soundIn, ...farEnd];
  // Played earlier by what it has to spare: the encoded pictures as the demuxer lets them go, and the
  // decoded sound (Opus or AAC, one funnel), also go to the pace's probes; its queue is where the
  // sound's timing is moved with the picture's.
  const [pictures, sounds] = [`${name}-arrivals-tee`, `${name}-sound-arrivals-tee`];
  return [
    head,
    [...video, { element: 'tee', name: pictures }],
    [{ ref: `${pictures}.` }, { element: 'queue' }, ...decode],
    probeChain(pictures, pictureProbe),
    ...screenChains,
    [...sound, { element: 'tee', name: sounds }],
    [{ ref: `${sounds}.` }, { element: 'queue', name: audio }, ...speakers],
    probeChain(sounds, soundProbe),
    ...soundIn,
    ...farEnd,
  ];
}

/** The lesson's elements that play it earlier (see LeadPace): the probes and the branches they move. */
function lessonPaced(name: string) {
  return {
    pictureProbe: `${name}-arrivals`,
    soundProbe: `${name}-sound-arrivals`,
    video: `${name}-video-paced`,
    audio: `${name}-audio-paced`,
    decodedSound: `${name}-sound-decoded`,
  };
}

/** A branch of a tee of encoded frames to an appsink the pace reads; never holds the stream. */
function probeChain(tee: string, probe: string): Chain {
  return [
    { ref: `${tee}.` },
    { element: 'queue', properties: { 'max-size-buffers': 8, 'max-size-time': 0, 'max-size-bytes': 0, leaky: 'downstream' } },
    { element: 'appsink', name: probe, properties: { sync: false, async: false, 'max-buffers': 8, drop: true } },
  ];
}

/**
 * Which lesson is played earlier by what it has to spare (see LeadPace): one over SRT, whose MPEG-TS
 * comes stamped ahead of the room's clock by the muxer's PCR offset. The echo canceller's rooms too
 * (`hearsSpeakers`), with more kept for the sound: the move is made once, early in each call, and the
 * canceller finds its echo again after it (the two-box echo test measures it). Other schemes keep the
 * timing they came with. A line printed to be run by hand has nothing to read the probes or make the
 * move, and plays on the clock.
 */
export function lessonPace(name: string, source: Extract<SourceConfig, { kind: 'remote' }>, hearsSpeakers = false): PaceSpec | undefined {
  if (new URL(source.url).protocol !== 'srt:') return undefined;
  const { pictureProbe, soundProbe, video, audio } = lessonPaced(name);
  return {
    probes: { picture: pictureProbe, sound: soundProbe },
    sinks: { picture: ROOM_DISPLAY_SINK, sound: SPEAKER_SINK },
    marginMs: hearsSpeakers ? ECHO_ROOM_MARGIN_MS : PACE_MARGIN_MS,
    pads: { picture: [video, 'src'], sound: [audio, 'src'] },
  };
}

/**
 * A recorded lesson played in the room (implanted mode): playbin decodes whatever the file holds, its
 * picture to the display and its sound, if it has any, to the speakers. (A launch line with a branch
 * for sound that a silent file never links refuses every seek.)
 */
export function playbackChains(uri: string, display: Chain, speaker: string, farPort?: number): Chain[] {
  return [
    [
      {
        element: 'playbin',
        name: 'player',
        properties: { uri },
        bins: {
          'video-sink': [[{ element: 'videoconvert' }, { element: 'videoscale' }, ...display]],
          'audio-sink': speakerChains(speaker, {}, farPort),
        },
      },
    ],
  ];
}

/**
 * The anchor's speakers: the sound of every remote classroom, each from its channel (silence while it
 * has none), mixed and metered as `speaker`, so that the teacher hears the students' answers.
 */
export function speakerMixChains(heard: HeardClassroom[], speaker: string, farPort?: number): Chain[] {
  const [speakers, ...farEnd] = speakerChains(speaker, {}, farPort);
  return [
    [{ element: 'audiomixer', name: 'speaker-mix' }, ...speakers],
    ...farEnd,
    ...heard.map(({ channel, port }): Chain => [
      ...(port !== undefined
        ? soundLinkIn(port)
        : [
            // 10 ms reads, 200 ms kept: the classrooms' sound is written as it arrives, and what a store keeps
            // stays that late for the class (1 s by default; and a sender whose clock runs fast against the
            // speakers' fills it). Its reported latency stays at the default 100 ms, which the far end sent
            // 100 ms early to the echo canceller counts on: at 50, 40 or 20 the speakers played nothing at
            // all (until a classroom speaks the store gives gap buffers, which the sink drops unplayed, and
            // through PulseAudio's ALSA plugin what came after was placed behind what it had played).
            // Where the service gave the classroom a port, its sound link instead (see sound-link).
            { element: 'interaudiosrc', properties: { channel, 'period-time': 10_000_000, 'buffer-time': 200_000_000 } },
            { caps: RAW_AUDIO_CAPS },
          ]),
      { element: 'queue' },
      { ref: 'speaker-mix.' },
    ]),
  ];
}
