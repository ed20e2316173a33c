// The lesson file's cost: an hour of 720p25 recording (30-second Matroska segments,
// 2.5 Mbit/s picture and 128 kbit/s AAC) joined into one fast-start MP4 by classbox, by the same line in
// gst-launch-1.0, and by `ffmpeg -f concat -c copy -movflags +faststart`; then the whole making of a
// lesson (join, every frame decoded, thumbnail, SHA-256).
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { interleave, measure, table, type Measured } from './lib.js';

const run = promisify(execFile);
const MINUTES_RECORDED = 5;
const REPEAT = 12; // 5 minutes of segments, 12 times over: an hour of lesson
const SEGMENT_S = 30;

export async function lesson(dir: string, rounds: number): Promise<void> {
  const seg = join(dir, 'lesson-segments');
  mkdirSync(seg, { recursive: true });
  console.log(`recording ${MINUTES_RECORDED} minutes of 720p25 in ${SEGMENT_S}-second Matroska files...`);
  // One file a run, each starting again at zero as after a restart of the recording (splitmuxsrc lays
  // them end to end all the same). splitmuxsink fed by sources that run faster than real time
  // sometimes never finished at end-of-stream.
  for (let i = 0; i < (MINUTES_RECORDED * 60) / SEGMENT_S; i++) {
    const frames = SEGMENT_S * 25;
    await run(
      'gst-launch-1.0',
      [
        '-q',
        'videotestsrc',
        `num-buffers=${frames}`,
        'pattern=ball',
        '!',
        'video/x-raw,width=1280,height=720,framerate=25/1',
        '!',
        'timeoverlay',
        '!',
        'x264enc',
        'bitrate=2500',
        'key-int-max=50',
        'speed-preset=ultrafast',
        'tune=zerolatency',
        '!',
        'h264parse',
        '!',
        'matroskamux',
        'name=m',
        '!',
        'filesink',
        `location=${join(seg, `seg-${String(i).padStart(5, '0')}.mkv`)}`,
        'audiotestsrc',
        `num-buffers=${Math.ceil((SEGMENT_S * 48000) / 1024)}`,
        'samplesperbuffer=1024',
        '!',
        'audio/x-raw,rate=48000,channels=2',
        '!',
        'avenc_aac',
        'bitrate=128000',
        '!',
        'aacparse',
        '!',
        'm.',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  }
  const recorded = readdirSync(seg)
    .filter((f) => f.endsWith('.mkv'))
    .sort()
    .map((f) => join(seg, f));
  const segments = Array.from({ length: REPEAT }, () => recorded).flat();
  const bytes = segments.reduce((a, s) => a + statSync(s).size, 0);
  const list = join(dir, 'concat.txt');
  writeFileSync(list, segments.map((s) => `file '${s}'`).join('\n'));
  const parts = join(dir, 'parts');
  rmSync(parts, { recursive: true, force: true });
  mkdirSync(parts);
  const { symlinkSync } = await import('node:fs');
  segments.forEach((s, i) => symlinkSync(s, join(parts, `${String(i).padStart(5, '0')}.mkv`)));
  const out = (n: string) => join(dir, `lesson-${n}.mp4`);
  const gstLine = [
    'splitmuxsrc',
    'name=src',
    `location=${join(parts, '*.mkv')}`,
    'mp4mux',
    'name=mux',
    'faststart=true',
    `faststart-file=${join(dir, 'gst.media')}`,
    '!',
    'filesink',
    `location=${out('gst')}`,
    'src.video_0',
    '!',
    'h264parse',
    '!',
    'mux.',
    'src.audio_0',
    '!',
    'aacparse',
    '!',
    'mux.',
  ];
  const node = [process.execPath, '--import', 'tsx', 'bench/lesson-job.ts'];
  const [classbox, gst, ffmpeg] = (await interleave(rounds, [
    () => measure(node[0]!, [...node.slice(1), 'join', out('classbox'), ...segments]),
    () => measure('gst-launch-1.0', gstLine),
    () =>
      measure('ffmpeg', [
        '-v',
        'error',
        '-y',
        '-f',
        'concat',
        '-safe',
        '0',
        '-i',
        list,
        '-c',
        'copy',
        '-movflags',
        '+faststart',
        out('ffmpeg'),
      ]),
  ])) as [Measured, Measured, Measured];
  const joinedBy =
    /JOINED_BY (.*)/.exec((await run(node[0]!, [...node.slice(1), 'join', out('classbox'), ...segments])).stdout)?.[1] ?? '?';
  const made = await run(node[0]!, [...node.slice(1), 'make', out('make'), ...segments], { maxBuffer: 16 * 1024 * 1024 });
  const partsLine = /PARTS (.*)/.exec(made.stdout)?.[1] ?? '';
  const makeCpu = await measure(node[0]!, [...node.slice(1), 'make', out('make'), ...segments]);
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(
    `\n### The lesson file: one hour of 720p25 (${segments.length} segments, ${Math.round(bytes / 1e6)} MB) joined into a fast-start MP4 (median of ${rounds})\n`,
  );
  console.log(
    table([
      {
        joiner: `classbox (joinSegments: ${joinedBy})`,
        'wall s': classbox.wallS,
        'CPU s': classbox.cpuS,
        'peak RSS MB': classbox.maxRssMB,
        'wall vs ffmpeg': ratio(classbox.wallS, ffmpeg.wallS),
        'CPU vs ffmpeg': ratio(classbox.cpuS, ffmpeg.cpuS),
      },
      {
        joiner: 'gst-launch-1.0 (same line)',
        'wall s': gst.wallS,
        'CPU s': gst.cpuS,
        'peak RSS MB': gst.maxRssMB,
        'wall vs ffmpeg': ratio(gst.wallS, ffmpeg.wallS),
        'CPU vs ffmpeg': ratio(gst.cpuS, ffmpeg.cpuS),
      },
      {
        joiner: 'ffmpeg -f concat -c copy -movflags +faststart',
        'wall s': ffmpeg.wallS,
        'CPU s': ffmpeg.cpuS,
        'peak RSS MB': ffmpeg.maxRssMB,
        'wall vs ffmpeg': '1.00',
        'CPU vs ffmpeg': '1.00',
      },
    ]),
  );
  console.log(
    `\nThe whole making of the lesson (join, decode every frame on one thread, thumbnail, SHA-256): ${makeCpu.wallS} s wall, ${makeCpu.cpuS} s CPU, peak RSS ${makeCpu.maxRssMB} MB; parts (s): ${partsLine}`,
  );
  for (const n of ['classbox', 'gst', 'ffmpeg', 'make']) rmSync(out(n), { force: true });
}
