// How a recording segment is named, in one place: the media engine writes the names, the recorder
// reads them back (which files are this room's, which class a segment belongs to), the classroom counts
// a class's bytes by them.
//
//   <site>-<room>[-<class tag>]-YYYYMMDD-HHMMSS-NNNNN.mkv
//
// The time is when the recording (re)started, in UTC; NNNNN counts the segments of that start.

/** `YYYYMMDD-HHMMSS` in UTC. */
const stampOf = (t: Date) => t.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

/** Every segment of one recording start begins with this; splitmuxsink adds `-NNNNN.mkv`. */
export function recordingPrefix(room: { site: string; room: string }, tag: string | undefined, now = new Date()): string {
  return `${room.site}-${room.room}${tag ? `-${tag}` : ''}-${stampOf(now)}`;
}

/** splitmuxsink's location suffix after the prefix. */
export const SEGMENT_PATTERN = '-%05d.mkv';

export interface SegmentName {
  /** The class tag (its name's slug) the segment was recorded under, or '' between classes. */
  tag: string;
  stamp: string;
  index: number;
}

/** The parts of one of this room's segment names, or null for a file that is not one. */
export function parseSegmentName(file: string, room: { site: string; room: string }): SegmentName | null {
  const own = `${room.site}-${room.room}`;
  if (!file.startsWith(`${own}-`)) return null;
  const m = /^(?:-([a-z0-9-]+))?-(\d{8}-\d{6})-(\d{5})\.mkv$/.exec(file.slice(own.length));
  return m ? { tag: m[1] ?? '', stamp: m[2]!, index: Number(m[3]) } : null;
}

/** Whether a file name carries this class tag (any room's: the folder is the record output's). */
export const hasTag = (file: string, tag: string) => file.includes(`-${tag}-`);
