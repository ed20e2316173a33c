import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TSX } from '../../src/media/child-runner.js';

const HELPER = fileURLToPath(new URL('./temp-dir.ts', import.meta.url));

describe('temporary folders of the tests', () => {
  it('are removed, with what they hold, when the process that made them exits', async () => {
    const script = `
      import { mkdirSync, writeFileSync } from 'node:fs';
      import { join } from 'node:path';
      const { tempDir } = await import(${JSON.stringify(HELPER)});
      const dirs = [tempDir(), tempDir('classbox-config-')];
      mkdirSync(join(dirs[0], 'recordings'));
      writeFileSync(join(dirs[0], 'recordings', 'a.mkv'), 'x');
      console.log(JSON.stringify(dirs));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', TSX, '--input-type=module', '-e', script]);
    const dirs = JSON.parse(stdout) as string[];
    expect(dirs).toHaveLength(2);
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
  });
});
