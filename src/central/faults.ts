/**
 * What counts as a fault at the centre, read from what a box says. Two kinds of rule:
 * - level rules read the latest retained state or telemetry: every fault they find is open, every one of
 *   their kind they no longer find is cleared (a state message always says the whole truth);
 * - edge rules read events: one opens a fault, a later one clears it (an event arrives at once, where
 *   telemetry may be ten seconds away).
 */
export const FAULT_KINDS = [
  'box_offline',
  'telemetry_missing',
  'device_offline',
  'source_lost',
  'output_down',
  'display_down',
  'disk_low',
  'audio_silent',
  'overheating',
  'uploads_stuck',
  'clock_unsynced',
  'storage_failed',
  'memory_growth',
  'lesson_failed',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Finding {
  kind: FaultKind;
  subject: string;
  detail: string;
}

export interface FaultLimits {
  overheatC: number;
  clockSkewS: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const entries = (v: unknown): Array<[string, Json]> =>
  isObject(v) ? Object.entries(v).filter((e): e is [string, Json] => isObject(e[1])) : [];
const text = (v: unknown, max = 200): string =>
  typeof v === 'string' ? v.slice(0, max) : v === undefined ? '' : JSON.stringify(v).slice(0, max);

/** The kinds the state's level rule owns. */
export const STATE_KINDS: readonly FaultKind[] = ['device_offline', 'output_down', 'display_down'];

export function stateFindings(state: Json): Finding[] {
  const found: Finding[] = [];
  const devices = isObject(state.devices) ? state.devices : {};
  for (const group of ['cameras', 'projectors'] as const)
    for (const [name, d] of entries(devices[group]))
      if (d.online === false)
        found.push({ kind: 'device_offline', subject: name, detail: `${group.slice(0, -1)} ${name} does not answer` });
  if (Array.isArray(state.outputs))
    for (const o of state.outputs)
      if (isObject(o) && o.state === 'reconnecting' && typeof o.name === 'string')
        found.push({ kind: 'output_down', subject: o.name, detail: `${text(o.kind)} output ${o.name} is reconnecting` });
  for (const [name, d] of entries(state.displays))
    if (d.state === 'down') found.push({ kind: 'display_down', subject: name, detail: `screen ${name} is down (shows ${text(d.shows)})` });
  return found;
}

/** The kinds the telemetry's level rule owns. */
export const TELEMETRY_KINDS: readonly FaultKind[] = ['source_lost', 'overheating', 'clock_unsynced'];

export function telemetryFindings(t: Json, receivedAtMs: number, limits: FaultLimits): Finding[] {
  const found: Finding[] = [];
  for (const [name, s] of entries(t.sources))
    if (s.state === 'lost') found.push({ kind: 'source_lost', subject: name, detail: `source ${name} has no signal` });
  const temp = typeof t.temperatureC === 'number' ? t.temperatureC : undefined;
  const throttled = isObject(t.throttled) && t.throttled.throttledNow === true;
  if ((temp !== undefined && temp >= limits.overheatC) || throttled)
    found.push({
      kind: 'overheating',
      subject: 'box',
      detail: `${temp !== undefined ? `${temp} °C` : 'temperature unknown'}${throttled ? ', throttled now' : ''}`,
    });
  const ts = typeof t.ts === 'string' || typeof t.ts === 'number' ? new Date(t.ts).getTime() : NaN;
  if (Number.isFinite(ts) && Math.abs(ts - receivedAtMs) > limits.clockSkewS * 1000)
    found.push({
      kind: 'clock_unsynced',
      subject: 'clock',
      detail: `the box's clock is ${Math.round((ts - receivedAtMs) / 1000)} s off the centre's`,
    });
  return found;
}

export interface EdgeRule {
  open?: Finding;
  clear?: { kind: FaultKind; subject?: string };
}

/** An event's rule: the fault it opens or clears, if any. */
export function eventRule(e: Json): EdgeRule[] {
  const s = (k: string) => text(e[k], 120);
  switch (e.type) {
    case 'source.lost':
      return [{ open: { kind: 'source_lost', subject: s('source'), detail: `source ${s('source')} has no signal (${s('reason')})` } }];
    case 'source.restored':
      return [{ clear: { kind: 'source_lost', subject: s('source') } }];
    case 'device.offline':
      return [
        { open: { kind: 'device_offline', subject: s('device'), detail: `${s('kind')} ${s('device')} does not answer (${s('reason')})` } },
      ];
    case 'device.online':
      return [{ clear: { kind: 'device_offline', subject: s('device') } }];
    case 'output.down':
      return [{ open: { kind: 'output_down', subject: s('output'), detail: `output ${s('output')} is down (${s('reason')})` } }];
    case 'output.up':
      return [{ clear: { kind: 'output_down', subject: s('output') } }];
    case 'display.lost':
      return [{ open: { kind: 'display_down', subject: s('display'), detail: `screen ${s('display')} failed (${s('reason')})` } }];
    case 'display.restored':
      return [{ clear: { kind: 'display_down', subject: s('display') } }];
    case 'disk.low':
      return [{ open: { kind: 'disk_low', subject: s('dir'), detail: `${e.freeMB} MB free in ${s('dir')}, ${e.minFreeMB} MB needed` } }];
    case 'audio.silent':
      return [{ open: { kind: 'audio_silent', subject: s('path'), detail: `${s('path')} silent for ${e.seconds} s` } }];
    case 'audio.restored':
      return [{ clear: { kind: 'audio_silent', subject: s('path') } }];
    case 'class.ended':
      // Silence is a fault of a class; between classes the room is quiet on purpose.
      return [{ clear: { kind: 'audio_silent' } }];
    case 'upload.retrying':
      return typeof e.attempt === 'number' && e.attempt >= 3
        ? [
            {
              open: {
                kind: 'uploads_stuck',
                subject: s('key'),
                detail: `upload of ${s('path')} failed ${e.attempt} times: ${s('reason')}`,
              },
            },
          ]
        : [];
    case 'upload.completed':
      return [{ clear: { kind: 'uploads_stuck', subject: s('key') } }];
    case 'storage.failed':
      return [{ open: { kind: 'storage_failed', subject: s('dir'), detail: `cannot write ${s('dir')}: ${s('reason')}` } }];
    case 'memory.growth':
      return [
        { open: { kind: 'memory_growth', subject: 'box', detail: `memory grows ${e.rateMBPerHour} MB/h (limit ${e.limitMBPerHour})` } },
      ];
    case 'recording.lesson_failed':
      return [
        {
          open: {
            kind: 'lesson_failed',
            subject: s('class'),
            detail: `the lesson file of ${s('class')} was not made: ${s('code')} ${s('reason')}`,
          },
        },
      ];
    case 'recording.lesson':
      return [{ clear: { kind: 'lesson_failed', subject: s('class') } }];
    default:
      return [];
  }
}

/** Faults a box's restart ends: what the box itself said about a process that no longer runs. */
export const CLEARED_BY_RESTART: readonly FaultKind[] = ['storage_failed', 'memory_growth'];
