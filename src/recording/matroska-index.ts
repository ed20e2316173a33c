import { FileWindow } from './file-window.js';

/** A segment the fast join does not take (the GStreamer join does): laced blocks, an unknown codec, B-frames... */
export class RemuxUnsupported extends Error {}

// Matroska element IDs (EBML, marker bits kept), from the Matroska specification.
const ID = {
  ebml: 0x1a45dfa3,
  segment: 0x18538067,
  info: 0x1549a966,
  timecodeScale: 0x2ad7b1,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  trackNumber: 0xd7,
  trackType: 0x83,
  codecId: 0x86,
  codecPrivate: 0x63a2,
  defaultDuration: 0x23e383,
  video: 0xe0,
  pixelWidth: 0xb0,
  pixelHeight: 0xba,
  audio: 0xe1,
  samplingFrequency: 0xb5,
  channels: 0x9f,
  cluster: 0x1f43b675,
  timecode: 0xe7,
  simpleBlock: 0xa3,
  blockGroup: 0xa0,
  block: 0xa1,
  referenceBlock: 0xfb,
} as const;

/** What a cluster may hold; anything else ends a cluster whose size was never written (a cut file). */
const CLUSTER_CHILDREN = new Set([ID.timecode, ID.simpleBlock, ID.blockGroup, 0xab, 0xa7, 0x5854, 0xec, 0xbf]);

export interface MkvTrack {
  number: number;
  kind: 'video' | 'audio';
  codec: string;
  codecPrivate: Buffer;
  width: number;
  height: number;
  rate: number;
  channels: number;
  /** Nanoseconds per frame, when the muxer wrote it. */
  defaultDurationNs: number;
}

/** Every frame of a segment, in file order: which track, where its bytes are, when, whether a key frame. */
export interface MkvIndex {
  tracks: MkvTrack[];
  /** Index into `tracks`. */
  track: number[];
  key: boolean[];
  tsNs: number[];
  offset: number[];
  size: number[];
  /** The cluster each frame is in (frames of one cluster are written together). */
  cluster: number[];
}

interface Head {
  id: number;
  /** Payload size; -1 when unknown (never written: the muxer was killed). */
  size: number;
  /** Header length. */
  len: number;
}

/** An EBML variable-length integer at `at`: its value and length; `keepMarker` for IDs. */
function vint(b: Buffer, at: number, keepMarker: boolean): { value: number; len: number; allOnes: boolean } | null {
  if (at >= b.length) return null;
  const first = b[at]!;
  let len = 1;
  while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
  if (len > 8 || at + len > b.length) return null;
  let value = keepMarker ? first : first & ((0x80 >> (len - 1)) - 1);
  let allOnes = value === (0x80 >> (len - 1)) - 1;
  for (let i = 1; i < len; i++) {
    const byte = b[at + i]!;
    value = value * 256 + byte;
    if (byte !== 0xff) allOnes = false;
  }
  return { value, len, allOnes };
}

function head(b: Buffer, at: number): Head | null {
  const id = vint(b, at, true);
  if (!id || id.len > 4) return null;
  const size = vint(b, at + id.len, false);
  if (!size) return null;
  return { id: id.value, size: size.allOnes ? -1 : size.value, len: id.len + size.len };
}

const uint = (b: Buffer) => b.reduce((v, x) => v * 256 + x, 0);
const float = (b: Buffer) => (b.length === 4 ? b.readFloatBE(0) : b.length === 8 ? b.readDoubleBE(0) : 0);

/** The children of a small master element held whole in `b`. */
function* children(b: Buffer): Generator<{ id: number; body: Buffer }> {
  let at = 0;
  while (at < b.length) {
    const h = head(b, at);
    if (!h || h.size < 0 || at + h.len + h.size > b.length) return;
    yield { id: h.id, body: b.subarray(at + h.len, at + h.len + h.size) };
    at += h.len + h.size;
  }
}

function parseTrack(b: Buffer): MkvTrack | null {
  const t: MkvTrack = {
    number: 0,
    kind: 'video',
    codec: '',
    codecPrivate: Buffer.alloc(0),
    width: 0,
    height: 0,
    rate: 0,
    channels: 1,
    defaultDurationNs: 0,
  };
  let type = 0;
  for (const c of children(b)) {
    if (c.id === ID.trackNumber) t.number = uint(c.body);
    else if (c.id === ID.trackType) type = uint(c.body);
    else if (c.id === ID.codecId) t.codec = c.body.toString('latin1').replace(/\0+$/, '');
    else if (c.id === ID.codecPrivate) t.codecPrivate = Buffer.from(c.body);
    else if (c.id === ID.defaultDuration) t.defaultDurationNs = uint(c.body);
    else if (c.id === ID.video)
      for (const v of children(c.body)) {
        if (v.id === ID.pixelWidth) t.width = uint(v.body);
        else if (v.id === ID.pixelHeight) t.height = uint(v.body);
      }
    else if (c.id === ID.audio)
      for (const a of children(c.body)) {
        if (a.id === ID.samplingFrequency) t.rate = Math.round(float(a.body));
        else if (a.id === ID.channels) t.channels = uint(a.body);
      }
  }
  if (type !== 1 && type !== 2) return null;
  t.kind = type === 1 ? 'video' : 'audio';
  return t;
}

/**
 * Reads a Matroska segment's tracks and the place and time of every frame, without reading the frames.
 * A file cut short (a crash, a full disk) gives the frames it holds whole; an element whose size was
 * never written runs to the next one that cannot be inside it.
 */
export async function indexMatroska(path: string, store?: Buffer): Promise<MkvIndex> {
  const f = await FileWindow.open(path, store);
  try {
    return await indexOpen(f);
  } finally {
    await f.close();
  }
}

async function indexOpen(f: FileWindow): Promise<MkvIndex> {
  const out: MkvIndex = { tracks: [], track: [], key: [], tsNs: [], offset: [], size: [], cluster: [] };
  const byNumber = new Map<number, number>();
  let scale = 1_000_000;
  let clusters = 0;
  const readHead = async (at: number) => head(await f.bytes(at, 12), 0);
  const whole = async (at: number, n: number) => Buffer.from(await f.bytes(at, n));

  let end = f.size;
  // Killed before its header was written: a segment with nothing in it.
  if (f.size < 64) return out;
  const first = await readHead(0);
  if (!first || first.id !== ID.ebml) throw new RemuxUnsupported('not a Matroska file');
  let at = first.len + Math.max(first.size, 0);
  for (;;) {
    const h = await readHead(at);
    if (!h) throw new RemuxUnsupported('no Matroska segment');
    if (h.id === ID.segment) {
      at += h.len;
      if (h.size >= 0) end = Math.min(f.size, at + h.size);
      break;
    }
    if (h.size < 0) throw new RemuxUnsupported('no Matroska segment');
    at += h.len + h.size;
  }

  let clusterTime = 0;
  let inCluster = -1; // end of the cluster being read (Infinity: size never written), or -1
  while (at < end) {
    const h = await readHead(at);
    if (!h) break; // cut short inside a header
    if (inCluster !== -1 && (at >= inCluster || !CLUSTER_CHILDREN.has(h.id))) inCluster = -1;
    if (h.id === ID.cluster) {
      clusters++;
      clusterTime = 0;
      inCluster = h.size < 0 ? Infinity : at + h.len + h.size;
      at += h.len;
      continue;
    }
    if (h.size < 0) throw new RemuxUnsupported(`element ${h.id.toString(16)} of unknown size`);
    const body = at + h.len;
    if (body + h.size > f.size) break; // the last element was cut short: the frames before it are whole
    if (h.id === ID.info) {
      for (const c of children(await whole(body, h.size))) if (c.id === ID.timecodeScale) scale = uint(c.body);
    } else if (h.id === ID.tracks) {
      for (const c of children(await whole(body, h.size))) {
        if (c.id !== ID.trackEntry) continue;
        const t = parseTrack(c.body);
        if (!t) continue;
        byNumber.set(t.number, out.tracks.length);
        out.tracks.push(t);
      }
    } else if (inCluster !== -1 && h.id === ID.timecode) {
      clusterTime = uint(await whole(body, h.size));
    } else if (inCluster !== -1 && (h.id === ID.simpleBlock || h.id === ID.blockGroup)) {
      let blockAt = body;
      let blockSize = h.size;
      let key = true;
      if (h.id === ID.blockGroup) {
        // The Block comes first in every muxer's groups; a ReferenceBlock after it means not a key frame.
        const b = head(await f.bytes(body, 12), 0);
        if (!b || b.id !== ID.block || b.size < 0) throw new RemuxUnsupported('a block group without its block first');
        blockAt = body + b.len;
        blockSize = b.size;
        const restAt = blockAt + b.size;
        for (const c of children(await whole(restAt, body + h.size - restAt))) if (c.id === ID.referenceBlock) key = false;
      }
      const bh = await f.bytes(blockAt, 12);
      const track = vint(bh, 0, false);
      if (!track || bh.length < track.len + 3) break;
      const index = byNumber.get(track.value);
      const flags = bh[track.len + 2]!;
      if (flags & 0x06) throw new RemuxUnsupported('laced blocks');
      if (index !== undefined) {
        const skip = track.len + 3;
        out.track.push(index);
        out.key.push(h.id === ID.simpleBlock ? (flags & 0x80) !== 0 : key);
        out.tsNs.push((clusterTime + bh.readInt16BE(track.len)) * scale);
        out.offset.push(blockAt + skip);
        out.size.push(blockSize - skip);
        out.cluster.push(clusters);
      }
    }
    // Masters read here (segment and cluster) are entered; everything else is stepped over.
    at = body + h.size;
  }
  return out;
}
