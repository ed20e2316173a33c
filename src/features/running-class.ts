import type { Config } from '../config/schema.js';
import type { ClassMode, ClassRequest, ClassSnapshot, ClassSource } from '../core/class-session.js';
import { slug } from '../core/slug.js';
import { recordedBytes } from '../recording/class-files.js';
import type { Incident, SessionSummary } from './session-journal.js';

/** A class while it runs. */
export interface Running {
  id: string;
  name: string;
  mode: ClassMode;
  source: ClassSource;
  startedAt: number;
  endsAt: number;
  layout: string | undefined;
  outputs: string[];
  recorded: boolean;
  incidents: Incident[];
  timer: NodeJS.Timeout;
  /** Wall-clock start (file times are real even when the classroom's clock is driven). */
  realStart: number;
  /** As asked, for a resume after a crash. */
  request: ClassRequest;
}

/** Incidents kept per class: a flapping source must not grow a session without end. */
const MAX_INCIDENTS = 200;

/**
 * A new class from its request at `now`: named, timed (to its minutes, never past the failsafe
 * maximum), or the class saved at a crash taken up again under its own id, start and end.
 */
export function newRunning(req: ClassRequest, config: Config, now: number, endTimer: (ms: number) => NodeJS.Timeout): Running {
  const name = req.name ?? `${req.mode}-class`;
  const maxMinutes = config.schedule.maxClassMinutes;
  const endsAt = now + Math.min(maxMinutes, req.minutes ?? maxMinutes) * 60_000;
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 15);
  const r = req.resume;
  return {
    id: r?.id ?? `${stamp}-${slug(name)}`,
    name,
    mode: req.mode,
    source: req.source ?? 'request',
    startedAt: r?.startedAt ?? now,
    endsAt: r?.endsAt ?? endsAt,
    layout: req.layout,
    outputs: [],
    recorded: false,
    incidents: r ? [{ at: new Date(now).toISOString(), type: 'resumed', detail: 'classbox restarted during the class' }] : [],
    timer: endTimer((r?.endsAt ?? endsAt) - now),
    realStart: Date.now(),
    request: req,
  };
}

export function addIncident(c: Running, incident: Incident): void {
  c.incidents.push(incident);
  if (c.incidents.length > MAX_INCIDENTS) c.incidents.splice(0, c.incidents.length - MAX_INCIDENTS);
}

/** The class as the state snapshot shows it. */
export function snapshotOf(c: Running): ClassSnapshot {
  return {
    id: c.id,
    mode: c.mode,
    name: c.name,
    source: c.source,
    startedAt: new Date(c.startedAt).toISOString(),
    endsAt: new Date(c.endsAt).toISOString(),
  };
}

/** The session as the journal keeps it, at its end; the bytes recorded are asked of the recording folders. */
export function summaryOf(c: Running, reason: string, endedAt: number, config: Config): SessionSummary {
  return {
    id: c.id,
    name: c.name,
    mode: c.mode,
    source: c.source,
    startedAt: new Date(c.startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    durationS: Math.round((endedAt - c.startedAt) / 1000),
    endReason: reason,
    outputs: c.outputs,
    recorded: c.recorded,
    bytesRecorded: c.recorded ? recordedBytes(config.outputs, c.name, c.realStart) : 0,
    incidents: c.incidents,
  };
}
