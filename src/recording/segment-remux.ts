import { open } from 'node:fs/promises';
import { FileWindow } from './file-window.js';
import { indexMatroska, RemuxUnsupported, type MkvIndex, type MkvTrack } from './matroska-index.js';
import { ftyp, mdatHeader, moov, type Mp4Chapter, type Mp4Track } from './mp4-boxes.js';

const VIDEO_TIMESCALE = 90_000;
/** Samples per AAC-LC frame. */
const AAC_FRAME = 1024;
const WRITE_BYTES = 1 << 20;
const READ_BYTES = 4 << 20;

interface Placed {
  index: MkvIndex;
  /** The segment's own path, for its frames' bytes. */
  path: string;
  video: number;
  audio: number;
  /** The first picture frame's own timestamp (ns) and where it is in the lesson (ns). */
  firstVideoNs: number;
  videoStartNs: number;
  /** The first sound frame's place in the lesson (ns), if the segment has sound; before 0 in a first segment whose sound began first. */
  audioStartNs: number | null;
  /** How long each picture frame lasts (ns). */
  frameNs: number;
}

/** The tracks this join takes: one H.264 picture, at most one AAC-LC sound, alike in every segment. */
function tracksOf(index: MkvIndex, path: string): { video: number; audio: number } {
  const video = index.tracks.findIndex((t) => t.kind === 'video');
  const audio = index.tracks.findIndex((t) => t.kind === 'audio');
  if (video < 0 || index.tracks[video]!.codec !== 'V_MPEG4/ISO/AVC') throw new RemuxUnsupported(`${path}: no H.264 picture`);
  const a = index.tracks[audio];
  if (a) {
    // AudioSpecificConfig: object type in the first 5 bits; 2 is AAC-LC (1,024 samples a frame).
    if (!a.codec.startsWith('A_AAC') || a.codecPrivate.length < 2 || a.codecPrivate[0]! >> 3 !== 2 || a.rate <= 0)
      throw new RemuxUnsupported(`${path}: sound not AAC-LC`);
  }
  return { video, audio };
}

/**
 * Each segment's place in the lesson. The lesson starts with its first picture; the picture runs on
 * without a gap from one segment to the next (a segment starts one frame after the last picture of the
 * one before, whatever its own timestamps: a recording started again after a crash begins at zero
 * again), and its sound keeps the distance from its picture that it has in the segment. Segments
 * without a picture frame are left out.
 */
function place(indexes: MkvIndex[], paths: string[]): { placed: Placed[]; pictureEndNs: number } {
  const placed: Placed[] = [];
  let nextVideoNs = 0;
  indexes.forEach((index, s) => {
    // Nothing recorded in it (a crash as it opened): it adds nothing to the lesson.
    if (index.track.length === 0) return;
    const { video, audio } = tracksOf(index, paths[s]!);
    let firstV = NaN;
    let lastV = -Infinity;
    let firstA = NaN;
    let gapNs = 0;
    for (let i = 0; i < index.track.length; i++) {
      const t = index.track[i]!;
      const ts = index.tsNs[i]!;
      if (t === video) {
        // Presentation order is decode order only without B-frames, which the box's encoders do not make.
        if (ts <= lastV) throw new RemuxUnsupported(`${paths[s]}: picture timestamps out of order (B-frames)`);
        if (lastV > -Infinity) gapNs = ts - lastV;
        if (Number.isNaN(firstV)) firstV = ts;
        lastV = ts;
      } else if (t === audio && Number.isNaN(firstA)) {
        firstA = ts;
      }
    }
    if (Number.isNaN(firstV)) return;
    const vt = index.tracks[video]!;
    const frameNs = vt.defaultDurationNs > 0 ? vt.defaultDurationNs : gapNs || 40e6;
    const videoStartNs = nextVideoNs;
    const audioStartNs = Number.isNaN(firstA) ? null : videoStartNs + (firstA - firstV);
    placed.push({ index, path: paths[s]!, video, audio, firstVideoNs: firstV, videoStartNs, audioStartNs, frameNs });
    nextVideoNs = videoStartNs + (lastV - firstV) + frameNs;
  });
  if (placed.length === 0) throw new RemuxUnsupported('no picture frames');
  return { placed, pictureEndNs: nextVideoNs };
}

function newTrack(id: number, t: MkvTrack): Mp4Track {
  return {
    id,
    kind: t.kind,
    timescale: t.kind === 'video' ? VIDEO_TIMESCALE : t.rate,
    codecPrivate: t.codecPrivate,
    width: t.width,
    height: t.height,
    rate: t.rate,
    channels: t.channels,
    sizes: [],
    durations: [],
    sync: [],
    chunks: [],
    startMs: 0,
  };
}

/** Where each sample's bytes are in its segment, per chunk, in the order they are written. */
type Copy = Array<{ segment: number; chunk: Mp4Track['chunks'][number]; offsets: number[]; sizes: number[] }>;

/**
 * The lesson's tables: each track's samples with durations on one timeline. A picture frame lasts
 * until the next. Sound frames last exactly 1,024 samples; the last one of a segment lasts until the
 * next segment's sound, and sound that runs into the next segment's (a segment cut by a crash holds
 * a little more sound than picture) is left out, so sound never slips behind the picture at a join.
 * The lesson is as long as its pictures: sound from before the first picture (the encoder's first
 * frame comes a little after the microphone's) and after the last (the picture's pipeline drains later
 * at the class's end) is left out, so the file's length, the lesson's listed length and the segments'
 * pictures agree whatever the load on the box was.
 */
function tables(placed: Placed[], pictureEndNs: number): { tracks: Mp4Track[]; copy: Copy } {
  const first = placed[0]!;
  const v = newTrack(1, first.index.tracks[first.video]!);
  const withSound = placed.find((p) => p.audioStartNs !== null);
  const a = withSound ? newTrack(2, withSound.index.tracks[withSound.audio]!) : null;
  for (const p of placed) {
    const vt = p.index.tracks[p.video]!;
    if (!vt.codecPrivate.equals(v.codecPrivate) || vt.width !== v.width || vt.height !== v.height)
      throw new RemuxUnsupported('the picture settings changed between segments');
    const at = p.index.tracks[p.audio];
    if (at && a && (!at.codecPrivate.equals(a.codecPrivate) || at.rate !== a.rate || at.channels !== a.channels))
      throw new RemuxUnsupported('the sound settings changed between segments');
  }
  const copy: Copy = [];
  const videoTicks: number[] = [];
  const ticks = (ns: number) => Math.round((ns / 1e9) * VIDEO_TIMESCALE);
  const audioFrameNs = a ? (AAC_FRAME / a.rate) * 1e9 : 0;
  // Where the next segment's sound begins (null after the last segment with sound).
  const nextSound = placed.map((_, k) => placed.slice(k + 1).find((q) => q.audioStartNs !== null)?.audioStartNs ?? null);
  // Where the sound of each segment must end: there, or where the lesson's last picture ends.
  const soundEnds = nextSound.map((ns) => ns ?? pictureEndNs);
  let soundCount = 0;
  let soundStartNs = -1;
  placed.forEach((p, s) => {
    const { index } = p;
    let cluster = -1;
    let vChunk = { offsets: [] as number[], sizes: [] as number[] };
    let aChunk = { offsets: [] as number[], sizes: [] as number[] };
    const flush = () => {
      for (const [track, chunk] of [
        [v, vChunk],
        [a, aChunk],
      ] as const) {
        if (!track || chunk.sizes.length === 0) continue;
        const entry = { samples: chunk.sizes.length, offset: 0 };
        track.chunks.push(entry);
        copy.push({ segment: s, chunk: entry, ...chunk });
      }
      vChunk = { offsets: [], sizes: [] };
      aChunk = { offsets: [], sizes: [] };
    };
    let segmentSound = 0;
    let soundFrame = 0;
    let firstKeptNs = -1;
    for (let i = 0; i < index.track.length; i++) {
      const t = index.track[i]!;
      if (t !== p.video && t !== p.audio) continue;
      if (index.cluster[i] !== cluster) {
        flush();
        cluster = index.cluster[i]!;
      }
      if (t === p.video) {
        v.sizes.push(index.size[i]!);
        if (index.key[i]) v.sync.push(v.sizes.length);
        videoTicks.push(ticks(p.videoStartNs + (index.tsNs[i]! - p.firstVideoNs)));
        vChunk.offsets.push(index.offset[i]!);
        vChunk.sizes.push(index.size[i]!);
      } else if (a && p.audioStartNs !== null) {
        const startsAt = p.audioStartNs + soundFrame++ * audioFrameNs;
        // Sound before the lesson's first picture (a millisecond's rounding allowed).
        if (startsAt < -1e6) continue;
        if (startsAt > soundEnds[s]! - audioFrameNs / 2) continue;
        if (soundStartNs < 0) soundStartNs = Math.max(0, startsAt);
        if (firstKeptNs < 0) firstKeptNs = startsAt;
        segmentSound++;
        a.sizes.push(index.size[i]!);
        aChunk.offsets.push(index.offset[i]!);
        aChunk.sizes.push(index.size[i]!);
      }
    }
    flush();
    if (a && segmentSound > 0) {
      for (let j = 0; j < segmentSound - 1; j++) a.durations.push(AAC_FRAME);
      const lastStartNs = firstKeptNs + (segmentSound - 1) * audioFrameNs;
      const toEnd = Math.round(((soundEnds[s]! - lastStartNs) / 1e9) * a.rate);
      // At a join the last frame lasts until the next segment's sound; at the lesson's end, at most its own length.
      a.durations.push(Math.max(1, nextSound[s] === null ? Math.min(AAC_FRAME, toEnd) : toEnd));
      soundCount += segmentSound;
    }
  });
  const lastFrame = ticks(placed[placed.length - 1]!.frameNs);
  for (let i = 0; i < videoTicks.length; i++)
    v.durations.push(Math.max(1, (videoTicks[i + 1] ?? videoTicks[i]! + lastFrame) - videoTicks[i]!));
  v.startMs = Math.round((videoTicks[0]! / VIDEO_TIMESCALE) * 1000);
  if (a && soundCount > 0) {
    a.startMs = Math.round(soundStartNs / 1e6);
    return { tracks: [v, a], copy };
  }
  return { tracks: [v], copy: copy.filter((c) => v.chunks.includes(c.chunk)) };
}

/**
 * Joins a class's Matroska segments into one MP4 with its index in front, by copying every frame once
 * (no decode, no GStreamer pipeline: the frames of a box's recording are already in the form MP4 keeps
 * them). Throws RemuxUnsupported, before writing anything, for what it does not take; the GStreamer
 * join is the fallback.
 */
export async function remuxSegments(segments: string[], out: string, signal?: AbortSignal, chapters: Mp4Chapter[] = []): Promise<void> {
  const indexes: MkvIndex[] = [];
  const store = Buffer.allocUnsafe(READ_BYTES);
  for (const path of segments) {
    if (signal?.aborted) throw new Error('stopped: classbox is stopping');
    indexes.push(await indexMatroska(path, store));
  }
  const { placed, pictureEndNs } = place(indexes, segments);
  const { tracks, copy } = tables(placed, pictureEndNs);
  const payload = copy.reduce((n, c) => n + c.sizes.reduce((a, b) => a + b, 0), 0);
  const head = ftyp();
  const mdat = mdatHeader(payload);
  const wide = head.length + mdat.length + payload + 16 * 1024 * 1024 > 0xffffffff;
  // The index's size does not depend on the offsets it holds: measured once, then written with them.
  // A player lists chapters from the start: the first part is named too.
  const marks = chapters.length > 0 && chapters[0]!.atS > 0 ? [{ atS: 0, title: 'Part 1' }, ...chapters] : chapters;
  let at = head.length + moov(tracks, wide, marks).length + mdat.length;
  for (const c of copy) {
    c.chunk.offset = at;
    at += c.sizes.reduce((a, b) => a + b, 0);
  }
  await writeLesson(
    out,
    [head, moov(tracks, wide, marks), mdat],
    copy,
    placed.map((p) => p.path),
    store,
    signal,
  );
}

/** The file: its head, then every chunk's frames copied from their segments, 1 MB a write. */
async function writeLesson(out: string, head: Buffer[], copy: Copy, paths: string[], store: Buffer, signal?: AbortSignal): Promise<void> {
  const fh = await open(out, 'w');
  let src: FileWindow | null = null;
  let srcIndex = -1;
  try {
    // One buffer for the whole file: each write is finished before it is filled again.
    const buf = Buffer.allocUnsafe(WRITE_BYTES);
    let used = 0;
    const flush = async () => {
      if (used > 0) await fh.write(buf, 0, used);
      used = 0;
    };
    const put = async (b: Buffer) => {
      if (used + b.length > buf.length) await flush();
      if (b.length > buf.length) {
        await fh.write(b);
        return;
      }
      b.copy(buf, used);
      used += b.length;
    };
    for (const h of head) await put(h);
    for (const c of copy) {
      if (signal?.aborted) throw new Error('stopped: classbox is stopping');
      if (c.segment !== srcIndex) {
        await src?.close();
        src = null;
        src = await FileWindow.open(paths[c.segment]!, store);
        srcIndex = c.segment;
      }
      const from: FileWindow = src!;
      for (let i = 0; i < c.sizes.length; i++) {
        const pos = c.offsets[i]!;
        const n = c.sizes[i]!;
        const bytes = from.has(pos, n) ? from.view(pos, n) : await from.bytes(pos, n);
        if (bytes.length !== n) throw new Error(`${paths[c.segment]}: a frame ends past the end of the file`);
        // Most frames fit the buffer: copied without a promise each.
        if (used + n <= buf.length) {
          bytes.copy(buf, used);
          used += n;
        } else await put(bytes);
      }
    }
    await flush();
    await fh.sync();
  } finally {
    await src?.close();
    await fh.close();
  }
}
