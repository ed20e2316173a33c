import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The top-level box types of an MP4 file, in order (`ftyp`, `moov`, `mdat`...). A file whose `moov`
 * comes before `mdat` plays while it downloads; one cut short ends in a box that runs past the end.
 */
export function topLevelBoxes(path: string): { types: string[]; complete: boolean } {
  const fd = openSync(path, 'r');
  try {
    const types: string[] = [];
    const head = Buffer.alloc(16);
    const end = fstatSync(fd).size;
    let at = 0;
    for (;;) {
      if (at > end) return { types, complete: false };
      const got = readSync(fd, head, 0, 16, at);
      if (got === 0) return { types, complete: true };
      if (got < 8) return { types, complete: false };
      let size = head.readUInt32BE(0);
      types.push(head.toString('latin1', 4, 8));
      if (size === 1) {
        if (got < 16) return { types, complete: false };
        size = Number(head.readBigUInt64BE(8));
      } else if (size === 0) {
        return { types, complete: true }; // to the end of the file
      }
      if (size < 8) return { types, complete: false };
      at += size;
    }
  } finally {
    closeSync(fd);
  }
}
