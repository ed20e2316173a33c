import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * A child process that pulls from an appsink no sample will ever reach (a shut valve, as the preview
 * has while nobody watches), then exits without stopping the pipeline.
 */
const SCRIPT = `
import { GstRunner } from './src/media/gst-runner.ts';
const p = new GstRunner().create('videotestsrc is-live=true ! valve drop=true ! appsink name=out async=false');
p.play();
p.pullLoop('out', () => {});
setTimeout(() => { console.log('exiting'); process.exit(0); }, 500);
`;

describe('GstRunner', () => {
  it('a process exits even with a pull waiting on an appsink that gets nothing', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    expect(out).toContain('exiting');
    // Killed after 10 s means the exit hung joining a thread blocked in the pull.
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  }, 20_000);
});
