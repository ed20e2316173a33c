import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeTempConfig } from '../helpers/temp-config.js';

const VALID = `site: demo-school
room: room-101
mqtt: { url: "mqtt://127.0.0.1:1" }
sources:
  board: { kind: test }
devices:
  cameras:
    teacher-cam: { protocol: visca, port: /dev/ttyUSB0, baudRate: 9600, presets: { podium: 1 } }
`;

/** Each case: a config text, and the one line `classbox run` must print for it. */
const CASES: Array<{ kind: string; yaml: string | null; line: RegExp }> = [
  { kind: 'missing file', yaml: null, line: /^config file .*nope\.yaml: not found$/ },
  { kind: 'bad YAML', yaml: 'site: demo\n  room: [unclosed\n', line: /^config file .*: line \d+, column \d+: / },
  { kind: 'not a mapping', yaml: '- a\n- b\n', line: /^\(top level\): expected a mapping/ },
  {
    kind: 'wrong type',
    yaml: VALID.replace('baudRate: 9600', 'baudRate: fast'),
    line: /^devices\.cameras\.teacher-cam\.baudRate: expected one of 2400, 4800, 9600, 19200, 38400, 115200$/,
  },
  {
    kind: 'bad enum',
    yaml: VALID.replace('baudRate: 9600', 'baudRate: 9601'),
    line: /^devices\.cameras\.teacher-cam\.baudRate: expected one of 2400, 4800, 9600, 19200, 38400, 115200$/,
  },
  { kind: 'unknown key', yaml: `${VALID}mqqt: { url: "mqtt://x" }\n`, line: /^mqqt: unknown key$/ },
  {
    kind: 'unknown nested key',
    yaml: VALID.replace('baudRate: 9600', 'baudrate: 9600'),
    line: /^devices\.cameras\.teacher-cam\.baudrate: unknown key$/,
  },
  {
    kind: 'bad name characters',
    yaml: VALID.replace('room: room-101', 'room: Room 101'),
    line: /^room: must be lowercase letters, digits and dashes/,
  },
  {
    kind: 'bad device name',
    yaml: VALID.replace('teacher-cam:', 'Teacher_Cam:'),
    line: /^devices\.cameras\.Teacher_Cam: invalid name: must be lowercase/,
  },
  { kind: 'port out of range', yaml: `${VALID}http: { port: 70000 }\n`, line: /^http\.port: must be <= 65535$/ },
  {
    kind: 'a page address that is not a web address',
    yaml: `${VALID}http: { pageUrl: "javascript:alert(1)" }\n`,
    line: /^http\.pageUrl: must be an http:\/\/ or https:\/\/ address$/,
  },
  { kind: 'missing required key', yaml: VALID.replace('site: demo-school\n', ''), line: /^site: required$/ },
  {
    kind: 'bad source kind',
    yaml: VALID.replace('kind: test', 'kind: webcam'),
    line: /^sources\.board\.kind: expected one of test, file, v4l2, hdmi, libcamera, rtsp, remote$/,
  },
  {
    kind: 'launch-line injection in a URL',
    yaml: `${VALID}outputs:\n  - { name: cloud, kind: rtmp, url: "rtmp://x/app ! filesink location=/etc/passwd" }\n`,
    line: /^outputs\[0\]\.url: must not contain spaces, quotes, "!", "\$" or backslashes$/,
  },
  {
    kind: 'a "$" in a URL (the launch line refuses it)',
    yaml: `${VALID}outputs:\n  - { name: cloud, kind: rtmp, url: "rtmp://x/app/ke$y" }\n`,
    line: /^outputs\[0\]\.url: must not contain spaces, quotes, "!", "\$" or backslashes$/,
  },
  {
    kind: 'a label the picture cannot carry',
    yaml: VALID.replace('board: { kind: test }', 'board: { kind: test, label: \'Board "A" $1\' }'),
    line: /^sources\.board\.label: must not contain double quotes, "!", "\$", "`", backslashes or line breaks$/,
  },
  {
    kind: 'wrong URL scheme',
    yaml: VALID.replace('mqtt://127.0.0.1:1', 'http://127.0.0.1:1'),
    line: /^mqtt\.url: scheme must be one of mqtt:\/\/, mqtts:\/\/$/,
  },
  {
    kind: 'layout names a missing source',
    yaml: `${VALID}layout: single:teacher\n`,
    line: /^layout: names source "teacher", which is not in sources \(board\)$/,
  },
  {
    kind: 'class uses an unknown preset',
    yaml: `${VALID}schedule:\n  classes:\n    - { name: math, days: [mon], start: "08:00", end: "08:45", mode: live, preset: { teacher-cam: lectern } }\n`,
    line: /^schedule\.classes\[0\]\.preset\.teacher-cam: camera "teacher-cam" has no preset "lectern"$/,
  },
  { kind: 'bad time zone', yaml: `${VALID}schedule: { timezone: Mars/Olympus }\n`, line: /^schedule\.timezone: must be an IANA time zone/ },
  { kind: 'open page without token', yaml: `${VALID}http: { host: 0.0.0.0 }\n`, line: /^http\.token: required when host is not loopback/ },
  {
    kind: 'two cameras, one address, one line',
    yaml: `${VALID}    students: { protocol: visca, port: /dev/ttyUSB0, address: 1 }\n`,
    line: /^devices\.cameras\.students\.address: teacher-cam on the same line has address 1 too$/,
  },
  {
    kind: 'unknown projector command set',
    yaml: `${VALID}  projectors:\n    main: { protocol: ascii, commandSet: acme, port: /dev/ttyUSB1 }\n`,
    line: /^devices\.projectors\.main\.commandSet: no command set "acme" in device-profiles\/projectors \(known: benq, optoma\)$/,
  },
  {
    kind: 'a screen showing a source that is not there',
    yaml: `${VALID}displays:\n  - { name: front, shows: "source:board" }\n  - { name: side, shows: "source:teacher" }\n`,
    line: /^displays\[1\]\.shows: no source "teacher" \(sources: board\)$/,
  },
  {
    kind: 'a screen showing the lesson on an anchor',
    yaml: `${VALID}displays:\n  - { name: front, shows: lesson }\n`,
    line: /^displays\[0\]\.shows: there is no lesson to show: only a receiving classroom \(role: receive\) with a remote source has one$/,
  },
  {
    kind: 'a screen of classrooms with none',
    yaml: `${VALID}displays:\n  - { name: front, shows: classrooms }\n`,
    line: /^displays\[0\]\.shows: there are no classrooms to show: no remote source$/,
  },
  {
    kind: 'two screens, one name',
    yaml: `${VALID}displays:\n  - { name: front, shows: composite }\n  - { name: front, shows: "source:board" }\n`,
    line: /^displays\[1\]\.name: duplicate display name "front"$/,
  },
  {
    kind: 'a screen showing something that is not a picture',
    yaml: `${VALID}displays:\n  - { name: front, shows: everything }\n`,
    line: /^displays\[0\]\.shows: must be lesson, classrooms, composite or source:<name>$/,
  },
  {
    kind: 'missing secret file',
    yaml: VALID.replace('mqtt: { url: "mqtt://127.0.0.1:1" }', 'mqtt: { url: "mqtt://127.0.0.1:1", passwordFile: /nonexistent/secret }'),
    line: /^mqtt\.passwordFile: cannot read \/nonexistent\/secret \(ENOENT\)$/,
  },
];

describe('classbox run with a bad config', () => {
  it('starts with a config that is valid as written (the control case)', async () => {
    const r = await runCli(['check', '--config', writeTempConfig(VALID)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it.each(CASES)('$kind: one line naming the key, exit 2, nothing started', async ({ yaml, line }) => {
    const file = yaml === null ? join(tempDir(), 'nope.yaml') : writeTempConfig(yaml);
    const r = await runCli(['run', '--config', file]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    // Nothing started: no log line, so no part came up.
    expect(r.stdout).toBe('');
  });

  it.each(CASES)('check refuses it with the same line as run: $kind', async ({ yaml, line }) => {
    const file = yaml === null ? join(tempDir(), 'nope.yaml') : writeTempConfig(yaml);
    const r = await runCli(['check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(line);
  });

  it('reports every problem of a file, one line each', async () => {
    const r = await runCli([
      'run',
      '--config',
      writeTempConfig(VALID.replace('room: room-101', 'room: R!').replace('baudRate: 9600', 'baudRate: 1').concat('extra: 1\n')),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').sort()).toEqual([
      'devices.cameras.teacher-cam.baudRate: expected one of 2400, 4800, 9600, 19200, 38400, 115200',
      'extra: unknown key',
      'room: must be lowercase letters, digits and dashes ([a-z0-9-]+), starting with a letter or digit',
    ]);
  });

  it('names the variable when an env override is bad', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.yaml'), VALID);
    const r = await runCli(['run', '--config', join(dir, 'c.yaml')], { env: { CLASSBOX_HTTP__PORT: '0' } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('http.port: must be >= 1');
  });
});
