import { existsSync } from 'node:fs';
import { megabytesFree } from '../core/disk-free.js';
import { dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import { H264_DECODERS, H264_ENCODERS, REQUIRED_ELEMENTS, probeGstreamer } from '../board/gstreamer-probe.js';
import { readBoardFacts } from '../board/machine.js';
import { chooseProfile } from '../media/profile-choice.js';
import { probeBroker } from '../mqtt/probe.js';
import { clockChecks, deviceChecks, sourceChecks } from '../doctor/room-checks.js';
import type { Check, CheckStatus } from '../doctor/check.js';
import { serviceFiguresCheck } from '../doctor/service-figures.js';
import { soundLoopCheck } from '../doctor/sound-loop.js';
import { wrtcAvailability } from '../webrtc/wrtc.js';
import { loadBoardProfile } from '../media/profiles.js';

export interface DoctorReport {
  healthy: boolean;
  gstreamer: { version: string | null; encoders: string[]; decoders: string[]; missing: string[] };
  board: string | null;
  profile: { chosen: string | null; configured: string | null; reason: string };
  checks: Check[];
}

const MIN_FREE_MB = 2048;

/** Where the doctor looks: the machine itself, or (tests) a prepared root and a board's element list. */
export interface DoctorMachine {
  root?: string;
  probe?: typeof probeGstreamer;
}

export async function buildDoctorReport(config?: Config, machine: DoctorMachine = {}): Promise<DoctorReport> {
  const checks: Check[] = [];
  const gst = await (machine.probe ?? probeGstreamer)();
  const encoders = H264_ENCODERS.filter((e) => gst.elements.has(e));
  const decoders = H264_DECODERS.filter((e) => gst.elements.has(e));
  const missing = REQUIRED_ELEMENTS.filter((e) => !gst.elements.has(e));
  checks.push(
    gst.version
      ? { name: 'gstreamer', status: 'ok', detail: `GStreamer ${gst.version}, ${gst.elements.size} elements` }
      : { name: 'gstreamer', status: 'fail', detail: gst.error ?? 'GStreamer not found' },
  );
  checks.push({
    name: 'encoders',
    status: encoders.length ? 'ok' : 'fail',
    detail: encoders.length ? `H.264 encoders: ${encoders.join(', ')}` : 'no H.264 encoder',
  });
  checks.push({
    name: 'decoders',
    status: decoders.length ? 'ok' : 'fail',
    detail: decoders.length ? `H.264 decoders: ${decoders.join(', ')}` : 'no H.264 decoder',
  });
  if (gst.version) {
    checks.push({
      name: 'elements',
      status: missing.length ? 'fail' : 'ok',
      detail: missing.length ? `missing: ${missing.join(', ')}` : `all ${REQUIRED_ELEMENTS.length} pipeline elements present`,
    });
  }

  const facts = readBoardFacts(machine.root);
  const board = facts.boardModel;
  const videos = facts.videoDevices;
  const choice = chooseProfile({
    boardModel: board,
    l4t: facts.l4t,
    elements: gst.elements,
    devices: new Set([...videos, ...facts.renderNodes]),
  });
  const configured = config?.profile ?? null;
  const profileDetail =
    configured && configured !== 'auto'
      ? `configured ${configured}; auto would choose ${choice.profile ?? 'none'} (${choice.reason})`
      : `${choice.profile ?? 'none'}: ${choice.reason}`;
  checks.push({ name: 'profile', status: choice.profile || (configured && configured !== 'auto') ? 'ok' : 'fail', detail: profileDetail });

  checks.push({ name: 'board', status: 'info', detail: board ?? 'no device-tree model (not an ARM board)' });
  if (facts.l4t) checks.push({ name: 'l4t', status: 'info', detail: `NVIDIA L4T ${facts.l4t} (/etc/nv_tegra_release)` });
  const preview = wrtcAvailability();
  checks.push(
    preview.available
      ? { name: 'preview', status: 'ok', detail: 'WebRTC preview available (@roamhq/wrtc)' }
      : {
          name: 'preview',
          status: 'warn',
          detail: `no WebRTC preview on this board (the rest of the box is not affected): ${preview.reason}`,
        },
  );
  checks.push({ name: 'video-devices', status: 'info', detail: videos.length ? videos.join(', ') : 'none' });
  const serial = facts.serialPorts;
  checks.push({ name: 'serial-ports', status: 'info', detail: serial.length ? serial.join(', ') : 'none' });
  const gpio = facts.gpio;
  const header = gpio.header ? `; header ${gpio.header.label}, sysfs lines from ${gpio.header.base}` : '';
  checks.push({
    name: 'gpio',
    status: 'info',
    detail:
      gpio.sysfs || gpio.chips.length || gpio.header
        ? `sysfs ${gpio.sysfs ? 'writable' : 'not writable'}; chips: ${gpio.chips.join(', ') || 'none'}${header}`
        : 'no GPIO on this machine (simulated lines are used)',
  });

  if (config) {
    try {
      // A look, not a change: doctor creates nothing (the service makes its folder when it starts).
      const at = nearestExisting(config.dataDir);
      const free = megabytesFree(at);
      const where = at === config.dataDir ? config.dataDir : `${config.dataDir} (not there yet; ${at} is)`;
      checks.push({ name: 'disk', status: free < MIN_FREE_MB ? 'warn' : 'ok', detail: `${free} MB free at ${where}` });
    } catch (err) {
      checks.push({ name: 'disk', status: 'fail', detail: `${config.dataDir}: ${(err as Error).message}` });
    }
    const broker = await probeBroker(config);
    checks.push({ name: 'broker', status: broker.ok ? 'ok' : 'fail', detail: broker.detail });
    const profileName = configured && configured !== 'auto' ? configured : choice.profile;
    if (profileName && gst.version) checks.push(...(await sourceChecks(config, loadBoardProfile(profileName))));
    checks.push(...(await deviceChecks(config)));
    const loop = await soundLoopCheck(config);
    if (loop) checks.push(loop);
    checks.push(serviceFiguresCheck(config.dataDir));
  }
  checks.push(...clockChecks(config));

  return {
    healthy: !checks.some((c) => c.status === 'fail'),
    gstreamer: { version: gst.version, encoders, decoders, missing },
    board,
    profile: { chosen: choice.profile, configured, reason: choice.reason },
    checks,
  };
}

const MARK: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', info: '    ' };

export async function runDoctor(options: { config?: Config | undefined; json: boolean }): Promise<number> {
  const report = await buildDoctorReport(options.config);
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const c of report.checks) process.stdout.write(`${MARK[c.status]} ${c.name.padEnd(20)} ${c.detail}\n`);
    process.stdout.write(report.healthy ? 'healthy\n' : 'problems found\n');
  }
  return report.healthy ? 0 : 1;
}

/** The folder itself, or its nearest ancestor that exists. */
function nearestExisting(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}
