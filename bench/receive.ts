// What a receiving classroom costs: `classbox run` in the receive role playing a 720p30 SRT lesson with
// sound (its display and speakers `none`: no X server or sound server measured), beside gst-launch-1.0
// decoding the same stream into fakesinks (the bare client). The lesson is sent by gst-launch-1.0. CPU
// seconds per minute of the box and every process below it, read from /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { freeUdpPort } from '../tests/helpers/net.js';
import { boxPerMinute, gstPerMinute, stop } from './cpu.js';
import { median, table } from './lib.js';

const gst = (line: string): ChildProcess => spawn('gst-launch-1.0', ['-q', ...line.split(' ')], { stdio: 'ignore' });

/** The anchor's lesson: 720p30 H.264 (4:2:0, 8 bits, as the box encodes: left to negotiate, x264 took 4:4:4 10-bit from the test source) and AAC in MPEG-TS over SRT, listening on `port`. */
const lessonSender = (port: number) =>
  gst(
    'videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=1280,height=720,framerate=30/1 ' +
      '! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=2000 ! h264parse config-interval=-1 ' +
      `! mpegtsmux name=m alignment=7 ! srtsink uri=srt://127.0.0.1:${port}?mode=listener wait-for-connection=false ` +
      'audiotestsrc is-live=true ! audioconvert ! avenc_aac ! aacparse ! m.',
  );

const receivingBox = (port: number): Promise<number> =>
  boxPerMinute('receive', {
    role: 'receive',
    video: { width: 1280, height: 720, fps: 30, bitrateKbps: 2000 },
    audio: { device: 'none', speaker: 'none' },
    display: { sink: 'none' },
    sources: { lesson: { kind: 'remote', url: `srt://127.0.0.1:${port}?mode=caller` } },
  });

const bare = (port: number): Promise<number> =>
  gstPerMinute(
    `srtsrc uri=srt://127.0.0.1:${port}?mode=caller latency=120 ! tsdemux name=d latency=0 ` +
      'd. ! video/x-h264 ! queue ! h264parse ! avdec_h264 ! fakesink sync=true ' +
      'd. ! audio/mpeg ! queue ! aacparse ! avdec_aac ! audioconvert ! audioresample ! fakesink sync=true',
  );

export async function receive(runs: number): Promise<void> {
  const rows = { box: [] as number[], bare: [] as number[] };
  for (let i = 0; i < runs; i++) {
    for (const [row, play] of [
      [rows.box, receivingBox],
      [rows.bare, bare],
    ] as const) {
      const port = await freeUdpPort();
      const sender = lessonSender(port);
      try {
        row.push(await play(port));
      } finally {
        await stop(sender, 'SIGINT');
      }
    }
  }
  const box = median(rows.box);
  const bareCpu = median(rows.bare);
  console.log(`\n### A receiving classroom: a 720p30 SRT lesson with sound, CPU seconds per minute (median of ${runs})\n`);
  console.log(
    table([
      { run: 'classbox run, role receive (display and speakers none)', 'CPU s/min': box },
      { run: 'gst-launch-1.0: the same stream decoded into fakesinks (bare client)', 'CPU s/min': bareCpu },
      { run: 'ratio', 'CPU s/min': Math.round((box / bareCpu) * 100) / 100 },
    ]),
  );
}
