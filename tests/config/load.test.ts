import { screenSinkChains } from '../../src/media/displays.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { configJsonSchema } from '../../src/config/schema.js';
import { buildGraph, canvasOf } from '../../src/media/graph.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir, writeTempConfig } from '../helpers/temp-config.js';

const EXAMPLE = join(ROOT, 'examples/classroom.yaml');

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('accepts the contract example as written and fills defaults', () => {
    const c = loadConfig({ file: EXAMPLE, env: {} });
    expect(c.site).toBe('demo-school');
    expect(c.role).toBe('broadcast');
    expect(c.mqtt.prefix).toBe('classbox');
    expect(c.devices.cameras['teacher-cam']).toMatchObject({
      protocol: 'visca',
      port: '/dev/ttyUSB0',
      address: 1,
      presets: { podium: 1, board: 2 },
    });
    expect(c.devices.cameras['students-cam']).toEqual({
      protocol: 'visca-ip',
      host: '10.0.0.31',
      port: 52381,
      timeoutMs: 1000,
      presets: { class: 1 },
      maxPreset: 15,
    });
    expect(c.devices.projectors.main).toMatchObject({ protocol: 'pjlink', host: '10.0.0.20', port: 4352, password: 'secret' });
    expect(c.devices.gpio['start-button']).toMatchObject({ direction: 'in', edge: 'falling', debounceMs: 50, action: 'class/toggle' });
    expect(c.schedule.classes[0]).toMatchObject({
      name: 'math',
      days: ['mon', 'wed', 'fri'],
      preset: { 'teacher-cam': 'podium' },
      projector: { main: 'on' },
    });
    expect(c.outputs.map((o) => o.kind)).toEqual(['record', 'rtmp', 'srt']);
    expect(c.video).toMatchObject({ width: 1280, height: 720, fps: 30, bitrateKbps: 2500 });
  });

  it("accepts the receiving classroom example: the lesson to the speakers, the room's microphone in the uplink", () => {
    const c = loadConfig({ file: join(ROOT, 'examples/receiving-classroom.yaml'), env: {} });
    expect(c.role).toBe('receive');
    expect(c.audio).toEqual({ device: 'plughw:1,0', speaker: 'plughw:1,0', bitrateKbps: 128, silenceS: 20, echoCancel: true });
    const g = buildGraph(c, loadBoardProfile('software'), 'receive');
    const display = g.display!.tokens.join(' ');
    // The sound decoded whichever codec the anchor sends, then through the pace's probe (see LeadPace)
    // to its moved queue.
    expect(display).toContain('lesson-demux. ! audio/x-opus ! queue ! opusdec ! lesson-sound-decoded.');
    expect(display).toContain('lesson-demux. ! audio/mpeg ! queue ! avdec_aac ! lesson-sound-decoded.');
    expect(display).toContain(
      'funnel name=lesson-sound-decoded ! tee name=lesson-sound-arrivals-tee lesson-sound-arrivals-tee. ! queue name=lesson-audio-paced ! audioconvert',
    );
    expect(display).toContain('alsasink name=speaker device="plughw:1,0"');
    expect(g.audio!.tokens.join(' ')).toContain('alsasrc name=audio-src device="plughw:1,0"');
    expect(g.outputs.map((o) => o.id)).toEqual(['output:uplink']);
    // The room's voice goes back to the anchor in Opus (see media.md#audio).
    expect(g.outputs[0]!.tokens.join(' ')).toMatch(/appsrc name=uplink-ain .*caps="audio\/x-opus/);
    // Two projectors on a Pi: the lesson on the front one's HDMI connector, the other classrooms on the side one.
    const pi = buildGraph(c, loadBoardProfile('rpi4'), 'receive');
    expect(pi.display!.tokens.join(' ')).toMatch(/kmssink name=display sync=true connector-id=32/);
    expect(screenSinkChains(c.displays![1]!, loadBoardProfile('rpi4'), canvasOf(c), '/tmp/s').flat()).toContainEqual(
      expect.objectContaining({ element: 'kmssink', properties: expect.objectContaining({ 'connector-id': 42 }) }),
    );
  });

  it('refuses an audio device that is not one, with the key path', () => {
    expect(
      problems(() => loadConfig({ base: { site: 's', room: 'r', audio: { speaker: 'hw:1,0 ! filesink location=/etc/x' } }, env: {} })),
    ).toEqual(['audio.speaker: must be none or an ALSA device like hw:1,0, plughw:1,0, default, or a PCM name from asound.conf']);
  });

  it("refuses an SRT output's sound codec that is neither, with the key path", () => {
    const outputs = [{ name: 'link', kind: 'srt', url: 'srt://127.0.0.1:9000?mode=listener', audioCodec: 'mp3' }];
    expect(problems(() => loadConfig({ base: { site: 's', room: 'r', outputs }, env: {} }))).toEqual([
      expect.stringMatching(/^outputs\[0\]\.audioCodec: .*opus.*aac/),
    ]);
  });

  it('resolves relative paths against the config file, not the working directory', () => {
    const c = loadConfig({ file: EXAMPLE, env: {} });
    const teacher = c.sources.teacher;
    expect(teacher?.kind === 'file' && teacher.path).toBe(join(ROOT, 'examples/teacher.mp4'));
    const archive = c.outputs[0];
    expect(archive?.kind === 'record' && archive.dir).toBe(join(ROOT, 'examples/recordings'));
  });

  it('applies CLASSBOX_A__B overrides to any key, with types read from the value', () => {
    const c = loadConfig({
      file: EXAMPLE,
      env: {
        CLASSBOX_MQTT__URL: 'mqtt://broker.school:1884',
        CLASSBOX_MQTT__TELEMETRY_INTERVAL_S: '5',
        CLASSBOX_DEVICES__CAMERAS__TEACHER_CAM__BAUDRATE: '38400',
        CLASSBOX_DEVICES__CAMERAS__STUDENT_CAM__PROTOCOL: 'pelco-d',
        CLASSBOX_DEVICES__CAMERAS__STUDENT_CAM__PORT: '/dev/ttyUSB3',
        CLASSBOX_OUTPUTS__1__URL: 'rtmp://live.other/app/key2',
        CLASSBOX_ROOM: 'room-202',
        CLASSBOX_SCHEDULE__CLASSES__0__DAYS: '[tue, thu]',
        CLASSBOX_HTTP__TOKEN: '1234567890123456',
        // Not config: left alone.
        CLASSBOX_TEST_VISCA_PORT: '/dev/ttyUSB9',
      },
    });
    expect(c.mqtt.url).toBe('mqtt://broker.school:1884');
    expect(c.mqtt.telemetryIntervalS).toBe(5);
    expect(c.devices.cameras['teacher-cam']).toMatchObject({ baudRate: 38400 });
    expect(c.devices.cameras['student-cam']).toMatchObject({ protocol: 'pelco-d', port: '/dev/ttyUSB3' });
    expect(c.outputs[1]).toMatchObject({ kind: 'rtmp', url: 'rtmp://live.other/app/key2' });
    expect(c.room).toBe('room-202');
    expect(c.schedule.classes[0]?.days).toEqual(['tue', 'thu']);
    // A numeric-looking token stays a string.
    expect(c.http.token).toBe('1234567890123456');
  });

  it('builds a whole config from the environment alone (a Balena device with no file)', () => {
    const c = loadConfig({ env: { CLASSBOX_SITE: 'school-9', CLASSBOX_ROOM: 'lab-1', CLASSBOX_SOURCES__BOARD__KIND: 'test' } });
    expect(c).toMatchObject({ site: 'school-9', room: 'lab-1', sources: { board: { kind: 'test', pattern: 'smpte' } } });
  });

  it('refuses an env override of an unknown key like a file would', () => {
    expect(problems(() => loadConfig({ file: EXAMPLE, env: { CLASSBOX_MQTT__URLL: 'mqtt://x' } }))).toEqual(['mqtt.urll: unknown key']);
    expect(problems(() => loadConfig({ file: EXAMPLE, env: { CLASSBOX_MQTT____URL: 'x' } }))).toEqual([
      'CLASSBOX_MQTT____URL: empty key segment (use one "__" between keys)',
    ]);
  });

  it('reads secrets from files, so they need not sit in the config or the environment', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'mqtt-password'), 's3cret-pass\n');
    writeFileSync(join(dir, 'pj'), 'JBMIAProjectorLink\n');
    writeFileSync(join(dir, 'token'), 'abcdefghijklmnopqrstuvwxyz\n');
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      `site: s\nroom: r\nmqtt: { url: "mqtt://x:1", username: u, passwordFile: mqtt-password }\nhttp: { host: 0.0.0.0, tokenFile: token }\ndevices:\n  projectors:\n    main: { protocol: pjlink, host: 10.0.0.5, passwordFile: pj }\n`,
    );
    const c = loadConfig({ file, env: {} });
    expect(c.mqtt.password).toBe('s3cret-pass');
    expect(c.http.token).toBe('abcdefghijklmnopqrstuvwxyz');
    const main = c.devices.projectors.main;
    expect(main?.protocol === 'pjlink' && main.password).toBe('JBMIAProjectorLink');
  });

  it('checks that serial and TCP devices name the right kind of port', () => {
    const base = 'site: s\nroom: r\ndevices:\n  cameras:\n';
    expect(
      problems(() =>
        loadConfig({ file: writeTempConfig(`${base}    c1: { protocol: visca, host: 10.0.0.9, port: /dev/ttyUSB0 }\n`), env: {} }),
      ),
    ).toEqual(['devices.cameras.c1.port: with host, port must be a TCP port number']);
    expect(problems(() => loadConfig({ file: writeTempConfig(`${base}    c1: { protocol: visca }\n`), env: {} }))).toEqual([
      'devices.cameras.c1.port: required: a serial device path, or host + TCP port',
    ]);
    const ok = loadConfig({ file: writeTempConfig(`${base}    c1: { protocol: visca, host: 10.0.0.9, port: 1259 }\n`), env: {} });
    expect(ok.devices.cameras.c1).toMatchObject({ host: '10.0.0.9', port: 1259 });
  });

  it('refuses a preset number beyond what the camera accepts, and an input with an action but no edge', () => {
    const cfg = `site: s\nroom: r\ndevices:\n  cameras:\n    c: { protocol: visca, port: /dev/ttyUSB0, presets: { far: 40 } }\n  gpio:\n    b: { line: 4, direction: in, action: class/toggle }\n`;
    expect(problems(() => loadConfig({ file: writeTempConfig(cfg), env: {} })).sort()).toEqual([
      'devices.cameras.c.presets.far: must be <= maxPreset (15)',
      'devices.gpio.b.edge: an input with an action needs an edge (rising, falling or both)',
    ]);
    const cfg2 = cfg.replace('action: class/toggle', 'edge: falling, action: class/toggle');
    expect(problems(() => loadConfig({ file: writeTempConfig(cfg2), env: {} }))).toEqual([
      'devices.cameras.c.presets.far: must be <= maxPreset (15)',
    ]);
    const cfg3 = cfg2.replace('presets: { far: 40 }', 'maxPreset: 127, presets: { far: 40 }');
    expect(loadConfig({ file: writeTempConfig(cfg3), env: {} }).devices.cameras.c?.presets.far).toBe(40);
  });

  it('keeps classbox.schema.json in step with the schema (run "npm run schema" after changing it)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'classbox.schema.json'), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
  });
});
