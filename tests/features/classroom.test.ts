import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { SimulatedGpioChip } from '../../src/sim/gpio.js';
import { PjlinkProjectorSim } from '../../src/sim/pjlink-projector.js';
import { ViscaCameraSim } from '../../src/sim/visca-camera.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freeUdpPort, waitUntil } from '../helpers/net.js';
import { createPtyPair, type PtyPair } from '../helpers/pty.js';
import { tempDir } from '../helpers/temp-config.js';

const BASE = 'classbox/test-school/room-1';

/**
 * A whole room in one process: real GStreamer, a real broker, a VISCA camera on a pty, a PJLink
 * projector on TCP that refuses during warm-up, a silent second camera, and the start button on a
 * simulated GPIO chip. Asserts the order of what reaches the devices and what the centre hears.
 */
describe('classroom: a class runs itself', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let pty: PtyPair;
  let silentPty: PtyPair;
  let camera: ViscaCameraSim;
  let silent: ViscaCameraSim;
  let projector: PjlinkProjectorSim;
  let gpio: SimulatedGpioChip;
  let service: Service;
  const recordings = tempDir('classbox-rec-');
  const dataDir = tempDir();

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    pty = await createPtyPair();
    silentPty = await createPtyPair();
    camera = new ViscaCameraSim(pty.b, { recallMs: 30 });
    await camera.start();
    camera.camera().presets.set(1, { pan: -300, tilt: 0, zoom: 0 });
    silent = new ViscaCameraSim(silentPty.b);
    await silent.start();
    projector = new PjlinkProjectorSim({ warmUpMs: 800, coolDownMs: 300 });
    const pjPort = await projector.start();
    gpio = new SimulatedGpioChip();
    gpio.rest(27, 1);
    const config = loadConfig({
      base: {
        site: 'test-school',
        room: 'room-1',
        dataDir,
        profile: 'software',
        mqtt: { url: broker.url, telemetryIntervalS: 60 },
        video: { width: 320, height: 180, fps: 15, bitrateKbps: 300 },
        sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball' } },
        outputs: [
          { name: 'archive', kind: 'record', dir: recordings, segmentS: 10 },
          { name: 'link', kind: 'srt', url: `srt://127.0.0.1:${await freeUdpPort()}?mode=listener` },
        ],
        schedule: { projectorOffDelayMinutes: 0, maxClassMinutes: 5 },
        devices: {
          cameras: {
            'teacher-cam': { protocol: 'visca', port: pty.a, timeoutMs: 300, presets: { podium: 1 } },
            'students-cam': { protocol: 'visca', port: silentPty.a, timeoutMs: 300, presets: { class: 1 } },
          },
          projectors: {
            main: { protocol: 'pjlink', host: '127.0.0.1', port: pjPort, timeoutMs: 500, inputs: { hdmi: '32' }, classInput: 'hdmi' },
          },
          gpio: {
            onair: { line: 17, direction: 'out', shows: 'on-air' },
            button: { line: 27, direction: 'in', edge: 'falling', debounceMs: 20, activeLow: true, action: 'class/toggle' },
          },
        },
      },
      env: {},
    });
    service = createService(config, pino({ level: process.env.CLASSBOX_TEST_LOG ?? 'silent' }), {
      runner: new GstRunner(),
      profile: loadBoardProfile('software'),
      gpioChip: gpio,
      // No local HTTP: its default port is the demo's (tests/commands/demo.test.ts runs alongside).
      http: false,
    });
    await service.start();
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).pipeline.state === 'running', 20_000);
    silent.silent = true; // the students' camera stops answering after start-up
  });
  afterAll(async () => {
    await service?.stop('test over');
    await watch.close();
    for (const s of [camera, silent]) await s.stop();
    for (const p of [pty, silentPty]) await p.close();
    await projector.stop();
    await broker.stop();
  });

  const request = (command: string, body: Record<string, unknown> = {}) => requester(watch, BASE)(command, body);
  const events = (since = 0) =>
    watch.messages
      .slice(since)
      .filter((m) => m.topic === `${BASE}/event`)
      .map((m) => JSON.parse(m.payload));

  it('idle: nothing recorded, nothing streamed', async () => {
    const state = JSON.parse((await watch.waitFor(`${BASE}/state`)).payload);
    expect(state).toMatchObject({ class: null, recording: false });
    expect(state.outputs.find((o: { name: string }) => o.name === 'link').state).toBe('stopped');
    expect(readdirSync(recordings)).toEqual([]);
  });

  it('a live class: media on, camera to its preset, on-air light, projector on then its input after warm-up; a silent camera is an incident, not a failure', async () => {
    const since = watch.messages.length;
    const r = await request('class/start', { mode: 'live', name: 'Math 7B' });
    expect(r).toMatchObject({ status: 'ok', data: { mode: 'live', name: 'Math 7B' } });
    expect(gpio.value(17)).toBe(1);
    expect(camera.framesMatching('8101043f0201')).toHaveLength(1);
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).class?.name === 'Math 7B' && JSON.parse(p).recording === true, 5000, since);
    // The projector: on, refused input while warming (queued), then the class input.
    await waitUntil(() => projector.model.input === '32', 'projector on its class input', 10_000);
    const pj = projector.commands.filter((c) => /POWR [01]|INPT [0-9]/.test(c));
    expect(pj).toEqual(['%1POWR 1', '%1INPT 32']);
    const ev = events(since);
    expect(ev.map((e) => e.type)).toEqual(expect.arrayContaining(['class.started', 'class.step_failed']));
    expect(ev.find((e) => e.type === 'class.step_failed')).toMatchObject({
      step: 'camera preset',
      device: 'students-cam',
      code: 'device_timeout',
    });
    expect((await request('class/start', { mode: 'recorded' })).error.code).toBe('conflict');
  });

  it('stop: segment closed, on-air off, projector off after the delay, class.ended with its summary, journal', async () => {
    await new Promise((r) => setTimeout(r, 2000)); // two seconds of lesson
    const since = watch.messages.length;
    const r = await request('class/stop');
    expect(r).toMatchObject({
      status: 'ok',
      data: { name: 'Math 7B', mode: 'live', recorded: true, outputs: ['link'], endReason: 'requested' },
    });
    expect(r.data.incidents.map((i: { type: string }) => i.type)).toContain('camera preset failed');
    expect(gpio.value(17)).toBe(0);
    const ended = await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'class.ended', 5000, since);
    expect(JSON.parse(ended.payload).durationS).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(ended.payload).bytesRecorded).toBeGreaterThan(10_000);
    const files = readdirSync(recordings).filter((f) => f.includes('math-7b'));
    expect(files.length).toBeGreaterThanOrEqual(1);
    expect(files.every((f) => statSync(join(recordings, f)).size > 0)).toBe(true);
    // Closed whole by end-of-stream: the last segment plays to its end.
    const last = files.sort().at(-1)!;
    const duration = Number(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', join(recordings, last)], {
        encoding: 'utf8',
      }).trim(),
    );
    expect(duration).toBeGreaterThan(1);
    await waitUntil(() => projector.model.switches.some((s) => !s.on), 'projector switched off after class', 10_000);
    const list = await request('sessions/list', { limit: 5 });
    expect(list.data.sessions[0]).toMatchObject({ name: 'Math 7B', mode: 'live' });
    expect((await request('class/stop')).error.code).toBe('conflict');
  });

  it('the start button toggles a class (debounced), and a recorded class makes the on-air light blink', async () => {
    const since = watch.messages.length;
    await gpio.press(27, { bounces: 4, holdMs: 60 });
    await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'class.started' && JSON.parse(p).source === 'button', 10_000, since);
    await gpio.press(27, { bounces: 4, holdMs: 60 });
    await watch.waitFor(
      `${BASE}/event`,
      (p) => JSON.parse(p).type === 'class.ended' && JSON.parse(p).endReason === 'button',
      10_000,
      since,
    );
    expect(events(since).filter((e) => e.type === 'class.started')).toHaveLength(1); // bounces pressed once
    const list = await request('sessions/list', { limit: 1 });
    expect(list.data.sessions[0]).toMatchObject({ source: 'button', endReason: 'button' });

    expect((await request('class/start', { mode: 'recorded', name: 'rec', minutes: 1 })).status).toBe('ok');
    const writes = gpio.writes(17).length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(gpio.writes(17).length).toBeGreaterThan(writes + 1); // blinking
    const beforeExtend = watch.messages.length;
    const extended = (await request('class/extend', { minutes: 2 })).data.endsAt as string;
    expect(Date.parse(extended)).toBeGreaterThan(Date.now() + 2 * 60_000);
    // The centre sees the new end at once (retained state, and an event), and a box that crashes now resumes to it.
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).class?.endsAt === extended, 5000, beforeExtend);
    expect(events(beforeExtend).find((e) => e.type === 'class.extended')).toMatchObject({ endsAt: extended, minutes: 2 });
    expect(JSON.parse(readFileSync(join(dataDir, 'running-class.json'), 'utf8')).resume.endsAt).toBe(Date.parse(extended));
    expect((await request('class/extend', { minutes: 10 })).data).toBeDefined();
    expect((await request('class/extend', { minutes: 10 })).error.code).toBe('conflict'); // at its 5-minute maximum
    expect((await request('class/stop')).data).toMatchObject({ mode: 'recorded', outputs: [] });
  });

  it('record/start and record/stop: a recorded class when idle; a live class records or not', async () => {
    expect((await request('record/stop')).error.code).toBe('conflict');
    const started = await request('record/start');
    expect(started.data.recording).toBe(true);
    expect(service.classroom.snapshot()?.mode).toBe('recorded');
    expect((await request('record/stop')).data.recording).toBe(false);
    expect(service.classroom.snapshot()).toBeNull();
    expect((await request('class/start', { mode: 'live', name: 'lecture' })).status).toBe('ok');
    expect((await request('record/stop')).status).toBe('ok');
    expect(service.media!.isRecording).toBe(false);
    expect((await request('record/start')).status).toBe('ok');
    expect(service.media!.isRecording).toBe(true);
    expect(service.classroom.snapshot()?.mode).toBe('live');
    await request('class/stop');
  }, 60_000);

  it('bad class requests get their codes', async () => {
    expect((await request('class/start', { mode: 'lecture' })).error.code).toBe('invalid_request');
    expect((await request('class/start', { mode: 'implanted' })).error.code).toBe('invalid_request');
    expect((await request('class/extend', { minutes: 5 })).error.code).toBe('conflict');
  });
});
