import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { renderedFrames, type PipelineRunner } from '../media/runner.js';
import { RemuxUnsupported } from './matroska-index.js';
import type { Mp4Chapter } from './mp4-boxes.js';
import { quoted, runToEnd } from './run-to-end.js';
import { remuxSegments } from './segment-remux.js';

/** A file pipeline's time limit: a minute, and a minute more for each 200 MB it reads. */
export const timeLimitMs = (bytes: number) => 60_000 + Math.ceil(bytes / 200e6) * 60_000;

/**
 * Whether a recording segment carries sound: a demuxer whose only linked stream is missing stops with
 * "not-linked" at once, and one that has it plays to the end (stopped at the first buffer).
 */
export async function segmentHasAudio(runner: PipelineRunner, path: string): Promise<boolean> {
  return runToEnd(
    runner,
    `filesrc location=${quoted(path)} ! matroskademux name=d d.audio_0 ! fakesink name=audio sync=false`,
    30_000,
    (p) => {
      return renderedFrames(p.get('audio', 'stats')) > 0;
    },
  );
}

/** A join: the segments in order, the file to write, a folder for the work, and when to give up. */
interface JoinOptions {
  segments: string[];
  out: string;
  workDir: string;
  audio: boolean;
  totalBytes: number;
  signal?: AbortSignal;
}

/** How a lesson's segments were joined: by copying their frames (`remux`), or through GStreamer. */
export type JoinedBy = 'remux' | 'gstreamer';

/**
 * Joins a class's Matroska segments, in order, into one MP4 with its index in front, without
 * re-encoding. The box's own segments (H.264 without B-frames, AAC-LC) are copied frame by frame by
 * `remuxSegments`, about as fast as the disk goes; anything else goes through GStreamer.
 */
export async function joinSegments(
  runner: PipelineRunner,
  opts: JoinOptions & {
    /** Written into the file where the copy makes it (mp4mux writes none). */
    chapters?: Mp4Chapter[];
  },
): Promise<{ by: JoinedBy; why?: string }> {
  try {
    await remuxSegments(opts.segments, opts.out, opts.signal, opts.chapters);
    return { by: 'remux' };
  } catch (err) {
    if (!(err instanceof RemuxUnsupported)) throw err;
    await joinWithGstreamer(runner, opts);
    return { by: 'gstreamer', why: err.message };
  }
}

/**
 * The GStreamer join. splitmuxsrc reads the segments as one stream and lays each after the one
 * before, whatever its own timestamps: segments of a recording started again after a crash begin at
 * zero again, and one cut short by the crash simply ends early. mp4mux writes the index in front (fast
 * start) by keeping the media in a file of its own until the end; that file is put beside the lesson,
 * not in /tmp, which is memory on a Pi. It costs about twice the time of the copy: every buffer is
 * handed between threads.
 */
export async function joinWithGstreamer(runner: PipelineRunner, opts: JoinOptions): Promise<void> {
  const parts = join(opts.workDir, 'parts');
  rmSync(opts.workDir, { recursive: true, force: true });
  mkdirSync(parts, { recursive: true });
  // splitmuxsrc takes a glob and sorts what it finds: links named in the lesson's order.
  opts.segments.forEach((s, i) => symlinkSync(s, join(parts, `${String(i).padStart(5, '0')}.mkv`)));
  const launch =
    `splitmuxsrc name=src location=${quoted(join(parts, '*.mkv'))} ` +
    `mp4mux name=mux faststart=true faststart-file=${quoted(join(opts.workDir, 'media'))} ! filesink location=${quoted(opts.out)} ` +
    // No queues: splitmuxsrc pushes each stream from a thread of its own already, and one more hand-over
    // per buffer cost a tenth of the join's time.
    `src.video_0 ! h264parse ! mux. ` +
    (opts.audio ? `src.audio_0 ! aacparse ! mux.` : '');
  try {
    const ending = await runToEnd(runner, launch, timeLimitMs(opts.totalBytes * 2), (_p, e) => e, opts.signal);
    if (ending.kind === 'error') throw new Error(`join failed: ${ending.text}`);
    if (ending.kind === 'timeout') throw new Error('join did not finish in time');
  } finally {
    rmSync(opts.workDir, { recursive: true, force: true });
  }
}

export interface LessonCheck {
  videoFrames: number;
  audioFrames: number;
}

/**
 * Plays a lesson file through to the end, decoding every picture and sound frame (one decoder thread:
 * the room's own pipelines come first), and counts the frames.
 */
export async function decodeLesson(
  runner: PipelineRunner,
  path: string,
  audio: boolean,
  frames: number,
  signal?: AbortSignal,
): Promise<LessonCheck> {
  const launch =
    `filesrc location=${quoted(path)} ! qtdemux name=d ` +
    `d.video_0 ! queue ! h264parse ! avdec_h264 max-threads=1 ! fakesink name=video sync=false ` +
    (audio ? `d.audio_0 ! queue ! aacparse ! avdec_aac ! fakesink name=audio sync=false` : '');
  // A small board decodes 720p on one thread at 100 frames a second or more; 20 is the floor allowed.
  return runToEnd(
    runner,
    launch,
    60_000 + (frames / 20) * 1000,
    (p, ending) => {
      if (ending.kind === 'error') throw new Error(`does not decode: ${ending.text}`);
      if (ending.kind === 'timeout') throw new Error('decoding did not finish in time');
      return {
        videoFrames: renderedFrames(p.get('video', 'stats')),
        audioFrames: audio ? renderedFrames(p.get('audio', 'stats')) : 0,
      };
    },
    signal,
  );
}

/**
 * A small JPEG of the lesson's picture at about `atS`: only key frames are decoded (one a second or
 * two), and the first at or after the moment is kept.
 */
export async function thumbnail(runner: PipelineRunner, path: string, atS: number, bytes: number): Promise<Buffer | null> {
  const launch =
    `filesrc location=${quoted(path)} ! qtdemux name=d d.video_0 ! h264parse ! identity drop-buffer-flags=delta-unit ! ` +
    `avdec_h264 max-threads=1 ! videoconvert ! videoscale ! video/x-raw,width=320,pixel-aspect-ratio=1/1 ! ` +
    `jpegenc quality=80 ! appsink name=thumb sync=false`;
  const p = runner.create(launch);
  let best: Buffer | null = null;
  let done = false;
  p.onMessage((m) => {
    if (m.type === 'eos' || m.type === 'error') done = true;
  });
  p.pullLoop(
    'thumb',
    (buf, t) => {
      if (done) return;
      // The last key frame before the moment stands in if the lesson has none after it.
      best = Buffer.from(buf);
      if (t.pts >= atS * 1e9) done = true;
    },
    1000,
  );
  try {
    p.play();
    const until = Date.now() + timeLimitMs(bytes);
    while (Date.now() < until && !done) await new Promise((r) => setTimeout(r, 20));
    return best;
  } finally {
    p.stop();
  }
}
