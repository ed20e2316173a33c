// The boxes of a fast-start MP4 (ISO/IEC 14496-12 and -15): one H.264 track and at most one AAC track,
// every sample's size, duration and place, the index before the media.

export interface Mp4Track {
  id: number;
  kind: 'video' | 'audio';
  /** Ticks per second of `durations`. */
  timescale: number;
  /** avcC for H.264, the AudioSpecificConfig for AAC (as Matroska's CodecPrivate holds them). */
  codecPrivate: Buffer;
  width: number;
  height: number;
  rate: number;
  channels: number;
  sizes: number[];
  durations: number[];
  /** 1-based numbers of the key frames (video). */
  sync: number[];
  /** Consecutive samples stored together: how many, and where (filled in once the index's size is known). */
  chunks: Array<{ samples: number; offset: number }>;
  /** Milliseconds of nothing before the first sample (an empty edit). */
  startMs: number;
}

const MOVIE_TIMESCALE = 1000;
const MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];

function u8(n: number): Buffer {
  return Buffer.from([n & 0xff]);
}
function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
function u32s(ns: number[]): Buffer {
  const b = Buffer.alloc(ns.length * 4);
  ns.forEach((n, i) => b.writeUInt32BE(n >>> 0, i * 4));
  return b;
}
const zeros = (n: number) => Buffer.alloc(n);

export function box(type: string, ...parts: Buffer[]): Buffer {
  const size = 8 + parts.reduce((a, p) => a + p.length, 0);
  return Buffer.concat([u32(size), Buffer.from(type, 'latin1'), ...parts]);
}
function fullBox(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  return box(type, u32(((version & 0xff) << 24) | (flags & 0xffffff)), ...parts);
}

export function ftyp(): Buffer {
  return box('ftyp', Buffer.from('isom', 'latin1'), u32(0x200), Buffer.from('isomiso2avc1mp41', 'latin1'));
}

/** The header of an mdat of `payload` bytes: 64-bit size when it does not fit 32. */
export function mdatHeader(payload: number): Buffer {
  return payload + 8 <= 0xffffffff
    ? Buffer.concat([u32(payload + 8), Buffer.from('mdat', 'latin1')])
    : Buffer.concat([u32(1), Buffer.from('mdat', 'latin1'), u64(payload + 16)]);
}

/** An MPEG-4 descriptor: tag, length (one byte: every one written here is short), body. */
function descriptor(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  if (body.length > 127) throw new Error('descriptor too long');
  return Buffer.concat([u8(tag), u8(body.length), body]);
}

function sampleEntry(t: Mp4Track): Buffer {
  if (t.kind === 'video') {
    return box(
      'avc1',
      zeros(6),
      u16(1), // data reference index
      zeros(16),
      u16(t.width),
      u16(t.height),
      u32(0x00480000), // 72 dpi
      u32(0x00480000),
      u32(0),
      u16(1), // frames per sample
      zeros(32), // compressor name
      u16(0x18),
      u16(0xffff),
      box('avcC', t.codecPrivate),
    );
  }
  const esds = fullBox(
    'esds',
    0,
    0,
    descriptor(
      0x03, // ES_Descriptor
      u16(t.id),
      u8(0),
      descriptor(0x04, u8(0x40), u8(0x15), zeros(3), u32(0), u32(0), descriptor(0x05, t.codecPrivate)), // MPEG-4 audio, audio stream
      descriptor(0x06, u8(0x02)), // SL config: predefined
    ),
  );
  return box('mp4a', zeros(6), u16(1), zeros(8), u16(t.channels), u16(16), u16(0), u16(0), u32(t.rate * 65536), esds);
}

/** Run-length (count, value) pairs of a list. */
function runs(values: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const v of values) {
    const last = out[out.length - 1];
    if (last && last[1] === v) last[0]++;
    else out.push([1, v]);
  }
  return out;
}

const trackDurationMs = (t: Mp4Track) => Math.round((t.durations.reduce((a, d) => a + d, 0) / t.timescale) * 1000);

function trak(t: Mp4Track, wide: boolean): Buffer {
  const mediaDuration = t.durations.reduce((a, d) => a + d, 0);
  const durationMs = trackDurationMs(t);
  const video = t.kind === 'video';
  const tkhd = fullBox(
    'tkhd',
    0,
    3, // enabled, in the movie
    u32(0),
    u32(0),
    u32(t.id),
    u32(0),
    u32(durationMs + t.startMs),
    zeros(8),
    u16(0),
    u16(0),
    u16(video ? 0 : 0x0100),
    u16(0),
    u32s(MATRIX),
    u32(video ? t.width * 65536 : 0),
    u32(video ? t.height * 65536 : 0),
  );
  const edits: Buffer[] = [];
  if (t.startMs > 0) edits.push(u32(t.startMs), u32(0xffffffff), u16(1), u16(0)); // nothing, then the media
  edits.push(u32(durationMs), u32(0), u16(1), u16(0));
  const edts = box('edts', fullBox('elst', 0, 0, u32(edits.length / 4), ...edits));
  const mdhd = fullBox('mdhd', 0, 0, u32(0), u32(0), u32(t.timescale), u32(mediaDuration), u16(0x55c4), u16(0)); // 'und'
  const hdlr = fullBox(
    'hdlr',
    0,
    0,
    u32(0),
    Buffer.from(video ? 'vide' : 'soun', 'latin1'),
    zeros(12),
    Buffer.from(video ? 'VideoHandler\0' : 'SoundHandler\0', 'latin1'),
  );
  const header = video ? fullBox('vmhd', 0, 1, zeros(8)) : fullBox('smhd', 0, 0, zeros(4));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const stts = runs(t.durations);
  const perChunk = runs(t.chunks.map((c) => c.samples));
  const stsc: number[] = [];
  let chunkNo = 1;
  for (const [count, samples] of perChunk) {
    stsc.push(chunkNo, samples, 1);
    chunkNo += count;
  }
  const offsets = t.chunks.map((c) => c.offset);
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), sampleEntry(t)),
    fullBox('stts', 0, 0, u32(stts.length), u32s(stts.flat())),
    ...(video ? [fullBox('stss', 0, 0, u32(t.sync.length), u32s(t.sync))] : []),
    fullBox('stsc', 0, 0, u32(stsc.length / 3), u32s(stsc)),
    fullBox('stsz', 0, 0, u32(0), u32(t.sizes.length), u32s(t.sizes)),
    wide
      ? fullBox('co64', 0, 0, u32(offsets.length), Buffer.concat(offsets.map(u64)))
      : fullBox('stco', 0, 0, u32(offsets.length), u32s(offsets)),
  );
  return box('trak', tkhd, edts, box('mdia', mdhd, hdlr, box('minf', header, dinf, stbl)));
}

export interface Mp4Chapter {
  atS: number;
  title: string;
}

/**
 * Chapters as a Nero chapter list (`udta/chpl`), which ffmpeg, VLC and most players read: start in
 * 100-ns units and a title of at most 255 bytes each, at most 255 of them.
 */
function chapterList(chapters: Mp4Chapter[]): Buffer {
  const kept = chapters.slice(0, 255);
  const entries = kept.map((c) => {
    let title = Buffer.from(c.title, 'utf8');
    if (title.length > 255) title = title.subarray(0, 255);
    return Buffer.concat([u64(Math.max(0, Math.round(c.atS * 1e7))), u8(title.length), title]);
  });
  return box('udta', fullBox('chpl', 1, 0, u32(0), u8(kept.length), ...entries));
}

/** The index: the movie's header, every track's tables and the chapters. `wide` when an offset passes 4 GB. */
export function moov(tracks: Mp4Track[], wide: boolean, chapters: Mp4Chapter[] = []): Buffer {
  const durationMs = Math.max(...tracks.map((t) => trackDurationMs(t) + t.startMs));
  const mvhd = fullBox(
    'mvhd',
    0,
    0,
    u32(0),
    u32(0),
    u32(MOVIE_TIMESCALE),
    u32(durationMs),
    u32(0x00010000), // rate 1.0
    u16(0x0100), // volume 1.0
    zeros(10),
    u32s(MATRIX),
    zeros(24),
    u32(Math.max(...tracks.map((t) => t.id)) + 1),
  );
  return box('moov', mvhd, ...tracks.map((t) => trak(t, wide)), ...(chapters.length > 0 ? [chapterList(chapters)] : []));
}
