import { execFile } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { topLevelBoxes } from '../../src/recording/mp4-layout.js';
import { makeTestVideo } from '../helpers/media.js';
import { tempDir } from '../helpers/temp-config.js';

const run = promisify(execFile);

/** The check a lesson passes before it is named: the index in front, and no box cut short. */
describe('MP4 top-level boxes', () => {
  it('tells a fast-start file from one with its index at the end, and from one cut short', async () => {
    const dir = tempDir();
    const atEnd = await makeTestVideo(join(dir, 'at-end.mp4'), 2, 160, 90, 15);
    const front = join(dir, 'front.mp4');
    await run('ffmpeg', ['-v', 'error', '-y', '-i', atEnd, '-c', 'copy', '-movflags', '+faststart', front]);
    const order = (types: string[]) => types.filter((t) => t === 'moov' || t === 'mdat');
    expect(topLevelBoxes(front)).toEqual({ types: expect.arrayContaining(['ftyp', 'moov', 'mdat']), complete: true });
    expect(order(topLevelBoxes(front).types)).toEqual(['moov', 'mdat']);
    expect(order(topLevelBoxes(atEnd).types)).toEqual(['mdat', 'moov']);
    // A power cut during the write: the last box runs past the end of the file.
    const cut = join(dir, 'cut.mp4');
    writeFileSync(cut, readFileSync(front));
    truncateSync(cut, readFileSync(front).length - 1000);
    expect(topLevelBoxes(cut).complete).toBe(false);
    // Not an MP4 at all.
    const text = join(dir, 'notes.mp4');
    writeFileSync(text, 'a teacher renamed a text file');
    expect(topLevelBoxes(text).complete).toBe(false);
  });
});
