// What a second screen costs: `classbox run` (720p30, two test sources, no outputs) with no screen and
// with one screen showing a source (its feed and share in the box, its display sink in a process of its
// own: `sink: none`, so no X server is measured), beside gst-launch-1.0 drawing the same test picture
// into a fakesink (the bare client: what showing a picture costs at least). CPU seconds per minute of
// the box and every process below it, read from /proc.
import { boxPerMinute, gstPerMinute } from './cpu.js';
import { median, table } from './lib.js';

const box = (screens: boolean): Promise<number> =>
  boxPerMinute('screens', {
    video: { width: 1280, height: 720, fps: 30, bitrateKbps: 2500 },
    audio: { device: 'none' },
    sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball' } },
    ...(screens ? { displays: [{ name: 'side', sink: 'none', shows: 'source:teacher' }] } : {}),
  });

const bare = (): Promise<number> =>
  gstPerMinute('videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=1280,height=720,framerate=30/1 ! fakesink');

export async function screens(runs: number): Promise<void> {
  const rows = { none: [] as number[], one: [] as number[], bare: [] as number[] };
  for (let i = 0; i < runs; i++) {
    rows.none.push(await box(false));
    rows.one.push(await box(true));
    rows.bare.push(await bare());
  }
  const none = median(rows.none);
  const one = median(rows.one);
  console.log(`\n### A second screen: \`classbox run\` 720p30, CPU seconds per minute (box and its processes; median of ${runs})\n`);
  console.log(
    table([
      { run: 'classbox, no screen', 'CPU s/min': none },
      { run: 'classbox, one screen (source:teacher, sink none)', 'CPU s/min': one },
      { run: 'the screen alone (difference)', 'CPU s/min': Math.round((one - none) * 10) / 10 },
      { run: 'gst-launch-1.0: the test picture into a fakesink (bare client)', 'CPU s/min': median(rows.bare) },
    ]),
  );
}
