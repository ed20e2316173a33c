import { writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { lessonPlayedEarlier, requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freePort, freeUdpPort, sleep, waitUntil } from '../helpers/net.js';
import { pactl, recordSink, startPulse, type Pulse } from '../helpers/pulse.js';
import { bandDb, FAR_BAND, lagMs, nearBand, speechLike, writeWav } from '../helpers/room-sound.js';
import { roomConfig, tempDir, writeTempConfig } from '../helpers/temp-config.js';

const SITE = 'lab';
const VIDEO = { width: 320, height: 180, fps: 25, bitrateKbps: 300, keyframeIntervalS: 1 };
const RATE = 16_000;
const NEAR_HZ = 5000;
const LISTEN_S = 8;

async function metric(port: number, series: RegExp): Promise<number | null> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${series.source} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

const gst = (pulse: Pulse, line: string): ChildProcess =>
  spawn('gst-launch-1.0', ['-q', ...line.split(' ')], { env: { ...process.env, ...pulse.env }, stdio: 'ignore' });

/** Where the room's lesson was moved to by its pace, each time, as its log says (ms; negative: earlier). */
const paceMoves = (box: RunningCli): number[] =>
  [...box.output().matchAll(/"movedMs":(-?\d+)[^\n]*lesson played earlier by what it has to spare/g)].map((m) => Number(m[1]));

/**
 * The students heard back without the anchor's own voice: two boxes as users run them (`classbox run`),
 * an anchor whose teacher speaks (speech-like sound into its microphone) and a receiving room whose
 * speakers play the lesson into a room that gives it back to the microphone (PulseAudio's loopback from
 * the speakers to the microphone, 30, 100 and 150 ms later, 6 dB down) while a student's voice (a 5 kHz
 * tone) is heard by the same microphone. What leaves the room is heard where the anchor's teacher hears
 * it, the anchor's speakers: the teacher's voice must be at least 20 dB below what the room's microphone
 * picked up, the student's tone at most 3 dB.
 */
describe('the receiving room sends its students back without the lesson’s echo', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let pulse: Pulse;
  const players: ChildProcess[] = [];
  const boxes: RunningCli[] = [];
  let roomHttp = 0;
  let anchorHttp = 0;

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `classbox/${SITE}/#`);
    // hall: the anchor's classroom (its microphone hears it); ear: the anchor's speakers; room: the
    // receiving room's speakers; mic: what its microphone hears.
    pulse = await startPulse(['ear']);
    const dir = tempDir();
    const teacher = join(dir, 'teacher.wav');
    writeWav(teacher, speechLike(RATE, 150), RATE);
    players.push(gst(pulse, `filesrc location=${teacher} ! wavparse ! audioconvert ! audioresample ! pulsesink device=hall`));
    players.push(gst(pulse, `audiotestsrc is-live=true freq=${NEAR_HZ} volume=0.1 ! pulsesink device=mic`));

    const lesson = await freeUdpPort();
    const uplink = await freeUdpPort();
    anchorHttp = await freePort();
    roomHttp = await freePort();
    const common = (room: string, httpPort: number) =>
      roomConfig(SITE, room, broker.url, { video: VIDEO, httpPort, audio: { device: 'pulse', speaker: 'pulse' } });
    const anchor = writeTempConfig({
      ...common('anchor', anchorHttp),
      sources: {
        teacher: { kind: 'test', pattern: 'ball' },
        'room-3': { kind: 'remote', url: `srt://127.0.0.1:${uplink}?mode=listener` },
      },
      layout: 'single:teacher',
      outputs: [{ name: 'receivers', kind: 'srt', url: `srt://127.0.0.1:${lesson}?mode=listener` }],
    });
    const room = writeTempConfig({
      ...common('room-3', roomHttp),
      mqtt: { url: broker.url, telemetryIntervalS: 1 },
      role: 'receive',
      display: { sink: 'none' },
      sources: {
        lesson: { kind: 'remote', url: `srt://127.0.0.1:${lesson}?mode=caller` },
        students: { kind: 'test', pattern: 'snow' },
      },
      outputs: [{ name: 'uplink', kind: 'srt', url: `srt://127.0.0.1:${uplink}?mode=caller` }],
    });
    for (const [name, config, env] of [
      ['anchor', anchor, { PULSE_SOURCE: 'hall.monitor', PULSE_SINK: 'ear' }],
      ['room-3', room, { PULSE_SOURCE: 'mic.monitor', PULSE_SINK: 'room' }],
    ] as const) {
      const box = startCli(['run', '--config', config], { env: { ...pulse.env, ...env } });
      boxes.push(box);
      await watch.waitFor(`classbox/${SITE}/${name}/availability`, (p) => p === 'online', 30_000);
      const r = await requester(watch, `classbox/${SITE}/${name}`, 20_000)('class/start', { mode: 'live', name: 'Echo' });
      expect(r.status).toBe('ok');
    }
    // The lesson on the room's speakers, the room's sound on the anchor's. (A CI run once heard no
    // lesson in 30 s, cause unknown: the boxes' own words go with the failure.)
    const withBoxes = (err: Error) => {
      throw new Error(`${err.message}\n${boxes.map((b) => b.output().slice(-3000)).join('\n--- next box ---\n')}`);
    };
    await waitUntil(
      async () => ((await metric(roomHttp, /classbox_audio_level_dbfs\{path="speaker"\}/)) ?? -100) > -50 || undefined,
      'the lesson heard',
      30_000,
    ).catch(withBoxes);
    await waitUntil(
      async () => ((await metric(anchorHttp, /classbox_audio_level_dbfs\{path="speaker"\}/)) ?? -100) > -50 || undefined,
      'the room heard',
      30_000,
    ).catch(withBoxes);
    // A call's first seconds: the lesson is measured, then played earlier, once. The speakers then skip
    // what their copy to the canceller does not, and the echo jumps, found again a second or so later:
    // the rooms below are heard once the call has settled (each room's first eight seconds are the
    // canceller's to learn it, not a call's start).
    await lessonPlayedEarlier(watch, `classbox/${SITE}/room-3`, 40_000).catch(withBoxes);
  }, 150_000);

  afterAll(async () => {
    if (process.env.ECHO_WAV_DIR) boxes.forEach((b, i) => writeFileSync(join(process.env.ECHO_WAV_DIR!, `box-${i}.log`), b.output()));
    for (const b of boxes) await b.stop('SIGTERM');
    for (const p of players) p.kill('SIGKILL');
    await watch?.close();
    await broker?.stop();
    await pulse?.stop();
  });

  let loopback: string | undefined;
  async function roomEcho(delayMs: number): Promise<void> {
    if (loopback !== undefined) await pactl(pulse, ['unload-module', loopback]);
    loopback = await pactl(pulse, [
      'load-module',
      'module-loopback',
      'source=room.monitor',
      'sink=mic',
      `latency_msec=${delayMs}`,
      'adjust_time=0',
    ]);
    await waitUntil(async () => (await pactl(pulse, ['list', 'short', 'sink-inputs'])).includes('module-loopback'), 'the loopback', 5000);
    for (const line of (await pactl(pulse, ['list', 'short', 'sink-inputs'])).split('\n'))
      if (line.includes('module-loopback')) await pactl(pulse, ['set-sink-input-volume', line.split('\t')[0]!, '-6dB']);
  }

  /** One listen: what the room played, what its microphone heard and what reached the anchor's speakers. */
  async function listen(
    delayMs: number,
    attempt: number,
  ): Promise<{ echoLeft: number; nearLost: number; jumps: number; roomMoved: boolean }> {
    const realignedBefore = await metric(roomHttp, /classbox_echo_realignments/);
    const farLateBefore = await metric(roomHttp, /classbox_echo_far_late_blocks/);
    const jumpsBefore = await metric(roomHttp, /classbox_echo_jumps/);
    const beforeFarBefore = await metric(roomHttp, /classbox_echo_before_far_end/);
    const movesBefore = paceMoves(boxes[1]!);
    const [played, mic, heard] = await Promise.all([
      recordSink(pulse, 'room', LISTEN_S),
      recordSink(pulse, 'mic', LISTEN_S),
      recordSink(pulse, 'ear', LISTEN_S),
    ]);
    if (process.env.ECHO_WAV_DIR)
      for (const [n, x] of [
        ['played', played],
        ['mic', mic],
        ['heard', heard],
      ] as const)
        writeWav(join(process.env.ECHO_WAV_DIR, `${delayMs}-${attempt}-${n}.wav`), x, RATE);
    // The room gives the lesson back 6 dB down: what an uplink without the canceller would carry.
    expect(bandDb(played, RATE, ...FAR_BAND) - bandDb(mic, RATE, ...FAR_BAND)).toBeGreaterThan(4);
    expect(bandDb(played, RATE, ...FAR_BAND) - bandDb(mic, RATE, ...FAR_BAND)).toBeLessThan(8);
    const echoLeft = bandDb(mic, RATE, ...FAR_BAND) - bandDb(heard, RATE, ...FAR_BAND);
    const nearLost = bandDb(mic, RATE, ...nearBand(NEAR_HZ)) - bandDb(heard, RATE, ...nearBand(NEAR_HZ));
    const delay = await metric(roomHttp, /classbox_echo_delay_seconds/);
    const realigned = (await metric(roomHttp, /classbox_echo_realignments/))! - realignedBefore!;
    const drift = await metric(roomHttp, /classbox_echo_drift_ppm/);
    const farLate = (await metric(roomHttp, /classbox_echo_far_late_blocks/))! - farLateBefore!;
    const jumps = (await metric(roomHttp, /classbox_echo_jumps/))! - jumpsBefore!;
    const beforeFar = (await metric(roomHttp, /classbox_echo_before_far_end/))!;
    const beforeFarWhileHeard = beforeFar - beforeFarBefore!;
    // A move of the lesson's pace while heard is a jump of the room's speakers (see LeadPace).
    const moves = paceMoves(boxes[1]!).slice(movesBefore.length);
    // The simulated room's own path at the listen's start and end (PulseAudio's loopback moves when it
    // runs dry): a jump with a still room is the speakers' own timing.
    const path = [0.5, LISTEN_S - 2].map((at) => lagMs(played, mic, RATE, at, 1.5, 250));
    console.log(
      `echo path ${delayMs} ms${attempt ? ', heard again' : ''}: the lesson ${echoLeft.toFixed(1)} dB down, the student ${nearLost.toFixed(1)} dB down; learnt delay ${delay} s, realigned ${realigned} times while heard, clocks ${drift} ppm apart, ${farLate} blocks without their far end, ${jumps} jumps followed, echo before its far end ${beforeFarWhileHeard} times while heard (${beforeFar} since the start); the lesson's pace moved ${moves.length ? `to ${moves.join(', ')} ms` : 'not at all'} while heard (${movesBefore.join(', ')} before); the room's path as recorded (the recorders' own offset in it) ${path.map((l) => l.toFixed(1)).join(' then ')} ms`,
    );
    return { echoLeft, nearLost, jumps, roomMoved: Math.abs(path[0]! - path[1]!) > 1 };
  }

  for (const delayMs of [30, 100, 150]) {
    it(`an echo ${delayMs} ms after the speakers: the lesson 20 dB down at the anchor, the student's voice whole`, async () => {
      await roomEcho(delayMs);
      // The canceller learns the new room.
      await sleep(8000);
      let heard = await listen(delayMs, 0);
      // A jump of the echo while heard (the speakers skipped late sound, the simulated room's loopback ran
      // dry: once in a CI run, 14 dB over the eight seconds) is followed within 0.5-1.5 s, which the
      // eight seconds' mean cannot show: the room is heard once more, and must be cancelled then.
      if (heard.jumps > 0 || heard.roomMoved) heard = await listen(delayMs, 1);
      expect(heard.echoLeft).toBeGreaterThanOrEqual(20);
      expect(heard.nearLost).toBeLessThanOrEqual(3);
    }, 60_000);
  }
});
