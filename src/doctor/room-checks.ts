import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { redactText } from '../core/redact.js';
import type { Config } from '../config/schema.js';
import { toClassboxError } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import { Devices } from '../devices/devices.js';
import { buildGraph } from '../media/graph.js';
import { GstRunner } from '../media/gst-runner.js';
import { launchString } from '../media/launch.js';
import type { BoardProfile } from '../media/profiles.js';
import { renderedFrames } from '../media/runner.js';
import type { Check } from './check.js';

const SOURCE_WAIT_MS = 8000;

/** Each configured source opened for one frame, as the service would open it. */
export async function sourceChecks(config: Config, profile: BoardProfile): Promise<Check[]> {
  if (Object.keys(config.sources).length === 0) return [];
  let graph;
  try {
    graph = buildGraph(config, profile, config.role);
  } catch (err) {
    return [{ name: 'sources', status: 'fail', detail: (err as Error).message }];
  }
  const runner = new GstRunner();
  return Promise.all(
    graph.sources.map(async (spec): Promise<Check> => {
      const check = `source ${spec.name}`;
      let p;
      try {
        p = runner.create(launchString(spec.tokens));
      } catch (err) {
        return { name: check, status: 'fail', detail: (err as Error).message };
      }
      let error: string | undefined;
      p.onMessage((m) => {
        if (m.type === 'error') error ??= m.text ?? 'error';
      });
      p.play();
      const until = Date.now() + SOURCE_WAIT_MS;
      try {
        while (Date.now() < until && !error) {
          if (renderedFrames(p.get(spec.out, 'stats')) > 0)
            return { name: check, status: 'ok', detail: `${config.sources[spec.name]!.kind}: a frame arrived` };
          await new Promise((r) => setTimeout(r, 100));
        }
        // GStreamer's own words ("Resource not found.") say nothing of which device: put the source first.
        return {
          name: check,
          status: 'fail',
          detail: `${sourceWhere(config.sources[spec.name]!)}: ${error ?? `no frame within ${SOURCE_WAIT_MS / 1000} s`}`,
        };
      } finally {
        p.stop();
      }
    }),
  );
}

/** Each camera and projector asked something it must answer; each GPIO line opened. */
export async function deviceChecks(config: Config): Promise<Check[]> {
  const d = config.devices;
  if (Object.keys(d.cameras).length + Object.keys(d.projectors).length + Object.keys(d.gpio).length === 0) return [];
  const devices = new Devices({
    config,
    log: pino({ level: 'silent' }),
    bus: new EventBus(),
    reconnect: { initialDelayMs: 60_000 },
    cameraPollMs: 3_600_000,
  });
  await devices.start();
  const checks: Check[] = [];
  try {
    for (const [name, cam] of devices.cameras) {
      const where =
        d.cameras[name]!.host !== undefined ? `${d.cameras[name]!.host}:${d.cameras[name]!.port}` : String(d.cameras[name]!.port);
      try {
        const s = await cam.status();
        const detail =
          cam.protocol === 'visca'
            ? `VISCA on ${where}: power ${s.power}`
            : cam.protocol === 'visca-ip'
              ? `VISCA over IP at udp ${where}: power ${s.power}`
              : `${cam.protocol} on ${where}: port open (the protocol has no inquiry)`;
        checks.push({
          name: `camera ${name}`,
          status: s.online ? 'ok' : 'fail',
          detail: s.online ? detail : `${where}: ${s.reason ?? 'not answering'}`,
        });
      } catch (err) {
        const e = toClassboxError(err);
        checks.push({ name: `camera ${name}`, status: 'fail', detail: `${where}: ${e.code}: ${e.message}` });
      }
    }
    for (const [name, p] of devices.projectors) {
      const s = p.state();
      checks.push(
        s.online && !s.error
          ? {
              name: `projector ${name}`,
              status: 'ok',
              detail: `${p.driver.protocol}: power ${s.power}${s.lampHours !== undefined ? `, lamp ${s.lampHours} h` : ''}`,
            }
          : {
              name: `projector ${name}`,
              status: 'fail',
              detail: s.error ? `${s.error.code}: ${s.error.message}` : (s.reason ?? 'not answering'),
            },
      );
    }
    if (devices.gpio) {
      const open = devices.gpio.levels();
      for (const [name, line] of Object.entries(d.gpio)) {
        checks.push(
          name in open
            ? {
                name: `gpio ${name}`,
                status: devices.gpio.simulated ? 'warn' : 'ok',
                detail: `line ${line.line} ${line.direction}${devices.gpio.simulated ? ': simulated (no GPIO on this machine)' : ''}`,
              }
            : { name: `gpio ${name}`, status: 'fail', detail: `line ${line.line} could not be opened` },
        );
      }
    }
  } finally {
    await devices.stop();
  }
  return checks;
}

/** The clock (recordings, schedules and certificates depend on it) and the time zones in play. */
export function clockChecks(config: Config | undefined): Check[] {
  const checks: Check[] = [];
  let synced: boolean | undefined;
  try {
    synced =
      execFileSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], {
        encoding: 'utf8',
        timeout: 3000,
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() === 'yes';
  } catch {
    // No timedatectl (a container): systemd-timesyncd's flag file, if the host shares it.
    if (existsSync('/run/systemd/timesync/synchronized')) synced = true;
  }
  checks.push(
    synced === undefined
      ? { name: 'clock', status: 'info', detail: `${new Date().toISOString()}; NTP state unknown (no timedatectl)` }
      : {
          name: 'clock',
          status: synced ? 'ok' : 'warn',
          detail: `${new Date().toISOString()}; NTP ${synced ? 'synchronised' : 'NOT synchronised: schedules and recording names may be wrong'}`,
        },
  );
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const schedule = config?.schedule.timezone;
  checks.push({ name: 'time zone', status: 'info', detail: schedule ? `machine ${local}; timetable ${schedule}` : `machine ${local}` });
  return checks;
}

/** Where a source reads from, as a technician would look for it: its kind and device, file or URL. */
function sourceWhere(source: Config['sources'][string]): string {
  const s = source as { kind: string; device?: string; path?: string; url?: string };
  const where = s.device ?? s.path ?? (s.url ? redactText(s.url) : undefined);
  return where ? `${s.kind} ${where}` : s.kind;
}
