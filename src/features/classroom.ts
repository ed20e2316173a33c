import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ClassControl, ClassRequest, ClassSnapshot } from '../core/class-session.js';
import { ClassboxError, toClassboxError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { FAULT_STOPS, type Part } from '../core/lifecycle.js';
import type { Devices } from '../devices/devices.js';
import type { MediaEngine } from '../media/engine.js';
import type { Player } from '../media/player.js';
import { ClassMedia } from './class-media.js';
import { RoomSequence } from './room-sequence.js';
import { addIncident, newRunning, snapshotOf, summaryOf, type Running } from './running-class.js';
import { resumeDecision, RunningClassFile } from './running-class-file.js';
import { SessionJournal, type SessionSummary } from './session-journal.js';

export interface ClassroomContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  media: MediaEngine | undefined;
  devices: Devices;
  player?: Player | undefined;
  now?: () => number;
}

/**
 * The classroom that runs itself: a class session in one of the four modes, with the room set up
 * around it (projector on and on the right input, cameras to their presets, on-air light, layout) and
 * put back after it. A step that fails is reported and the class goes on without it: a broken projector
 * must not stop a broadcast. Every class ends by request, at its end time, or at the failsafe maximum.
 */
export class Classroom implements Part, ClassControl {
  readonly name = 'classroom';
  private current: Running | undefined;
  private readonly room: RoomSequence;
  private readonly saved: RunningClassFile;
  private readonly classMedia: ClassMedia;
  private readonly journal: SessionJournal;
  private readonly log: Logger;
  private readonly now: () => number;
  private stoppedByFault = false;

  constructor(private readonly ctx: ClassroomContext) {
    this.journal = new SessionJournal(join(ctx.config.dataDir, 'sessions.jsonl'));
    this.log = ctx.log.child({ part: 'classroom' });
    this.now = ctx.now ?? Date.now;
    this.room = new RoomSequence(ctx.config, ctx.devices, this.log);
    this.saved = new RunningClassFile(ctx.config.dataDir, this.log);
    this.classMedia = new ClassMedia(ctx.config, ctx.media, ctx.player);
  }

  async start(): Promise<void> {
    const incident = (type: string) => (detail: string) => {
      if (this.current) addIncident(this.current, { at: new Date(this.now()).toISOString(), type, detail });
    };
    this.ctx.bus.on(this, 'service.stopping', (e) => (this.stoppedByFault = (FAULT_STOPS as readonly string[]).includes(e.reason)));
    this.ctx.bus.on(this, 'source.lost', (e) => incident('source.lost')(`${e.source}: ${e.reason}`));
    this.ctx.bus.on(this, 'device.offline', (e) => incident('device.offline')(`${e.device}: ${e.reason}`));
    this.ctx.bus.on(this, 'output.down', (e) => incident('output.down')(`${e.output}: ${e.reason}`));
    this.ctx.bus.on(this, 'pipeline.restarted', (e) => incident('pipeline.restarted')(`${e.pipeline}: ${e.reason}`));
    // Idle: nothing goes out and nothing is recorded until a class starts.
    await this.classMedia.outputsOff();
    mkdirSync(this.ctx.config.dataDir, { recursive: true });
    await this.resumeAfterCrash();
  }

  /**
   * A class that was on when classbox died (a crash, a power cut) goes on under its own id until its
   * end: its recording set continues, and the session it ends up in is one session.
   */
  private async resumeAfterCrash(): Promise<void> {
    const saved = this.saved.read();
    if (!saved) return;
    const decision = resumeDecision(saved, this.now(), Date.now());
    if (!decision.resume) {
      this.saved.clear();
      const { id } = saved.resume;
      (decision.crashLoop ? this.log.error : this.log.warn).call(
        this.log,
        { class: id, mode: saved.mode },
        `class not resumed: ${decision.reason}`,
      );
      this.ctx.bus.emit('class.not_resumed', { id, name: saved.name ?? `${saved.mode}-class`, mode: saved.mode, reason: decision.reason });
      return;
    }
    this.log.warn({ class: saved.resume.id }, 'class was running when classbox stopped: resuming it');
    saved.resume.resumedAt = Date.now();
    await this.begin(saved).catch((err: unknown) => this.log.error({ err }, 'class not resumed'));
  }

  async stop(): Promise<void> {
    const c = this.current;
    if (c) await this.end('service stopping').catch((err: unknown) => this.log.error({ err }, 'class not ended cleanly'));
    // Stopped on purpose (an update, a signal) the class resumes as after any stop: it did not crash the
    // box, so its last resume no longer counts towards a crash loop. A fault that stops the service does.
    if (c && !this.stoppedByFault) {
      delete c.request.resume?.resumedAt;
      this.saveRunning(c);
    }
    this.room.keepProjectorsOn();
    this.ctx.bus.removeAll(this);
  }

  /** The class as the state snapshot shows it. */
  snapshot(): ClassSnapshot | null {
    return this.current ? snapshotOf(this.current) : null;
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  sessions(limit: number): SessionSummary[] {
    return this.journal.list(limit);
  }

  async begin(req: ClassRequest): Promise<ClassSnapshot> {
    if (this.current)
      throw new ClassboxError(
        'conflict',
        `class "${this.current.name}" (${this.current.mode}) is running since ${new Date(this.current.startedAt).toISOString()}: stop it first`,
      );
    if (req.mode === 'implanted' && !req.media)
      throw new ClassboxError('invalid_request', 'media: an implanted class needs the recorded lesson to play');
    if (req.mode === 'implanted' && !this.ctx.player) throw new ClassboxError('conflict', 'this box cannot play lessons (no display)');
    const now = this.now();
    const c = newRunning(req, this.ctx.config, now, (ms) => this.endTimer(ms));
    this.current = c;
    this.saveRunning(c);
    this.room.keepProjectorsOn();
    this.log.info({ class: c.id, mode: c.mode }, 'class starting');

    // Media first: the lesson must not wait for a projector to warm up. The class has begun then, and
    // what follows is the room being set up around it.
    await this.step(c, 'media', undefined, () => this.classMedia.start(c, req.media));
    const snapshot = this.snapshot()!;
    this.ctx.bus.emit('class.started', {
      id: c.id,
      name: c.name,
      mode: c.mode,
      source: c.source,
      startedAt: snapshot.startedAt,
      endsAt: snapshot.endsAt,
    });
    if (req.layout && this.ctx.media) await this.step(c, 'layout', undefined, async () => this.ctx.media!.setLayout(req.layout!));
    await this.onAir(c);
    const presets = req.preset ?? this.room.defaultPresets();
    await Promise.all(
      Object.entries(presets).map(([cam, p]) =>
        this.step(c, 'camera preset', cam, () => this.ctx.devices.camera(cam).recall(this.ctx.devices.presetNumber(cam, p))),
      ),
    );
    // Projectors warm up for half a minute or more: that goes on in the background.
    const projectors = req.projector ?? Object.fromEntries([...this.ctx.devices.projectors.keys()].map((p) => [p, 'on' as const]));
    void Promise.all(
      Object.entries(projectors).map(([p, power]) =>
        this.step(c, 'projector', p, () => this.room.projectorFor(p, power === 'on', () => this.current === c)),
      ),
    );
    return snapshot;
  }

  async end(reason = 'requested'): Promise<SessionSummary> {
    const c = this.current;
    if (!c) throw new ClassboxError('conflict', 'no class is running');
    clearTimeout(c.timer);
    await this.step(c, 'media', undefined, () => this.classMedia.stop(c));
    await this.onAir(undefined);
    this.current = undefined;
    if (reason !== 'service stopping') this.saved.clear();
    this.room.scheduleProjectorsOff();
    const endedAt = this.now();
    const summary = summaryOf(c, reason, endedAt, this.ctx.config);
    try {
      this.journal.append(summary);
    } catch (err) {
      this.log.error({ err }, 'session journal not written');
    }
    this.log.info({ class: c.id, reason, durationS: summary.durationS, incidents: c.incidents.length }, 'class ended');
    this.ctx.bus.emit('class.ended', summary);
    return summary;
  }

  async toggle(source: SessionSummary['source'] = 'request'): Promise<{ started: boolean }> {
    if (this.current) {
      await this.end(source === 'button' ? 'button' : 'requested');
      return { started: false };
    }
    await this.begin({ mode: 'live', source });
    return { started: true };
  }

  /**
   * `record/start`: records the running class (a live one that was not), or starts a recorded class
   * when none runs.
   */
  async recordStart(): Promise<{ recording: true; class: string }> {
    const c = this.current;
    if (!c) return { recording: true, class: (await this.begin({ mode: 'recorded', name: 'recording' })).id };
    if (c.mode === 'implanted' || c.mode === 'observation')
      throw new ClassboxError('conflict', `a ${c.mode} class has nothing of its own to record`);
    if (!this.classMedia.canRecord) throw new ClassboxError('conflict', 'this box has no record output');
    await this.classMedia.record(c, true);
    return { recording: true, class: c.id };
  }

  /** `record/stop`: ends a recorded class; a live class goes on without recording. */
  async recordStop(): Promise<{ recording: false; class: string | null }> {
    const c = this.current;
    if (!c || !c.recorded) throw new ClassboxError('conflict', 'nothing is being recorded');
    if (c.mode === 'recorded') return { recording: false, class: (await this.end('recording stopped')).id };
    await this.classMedia.record(c, false);
    return { recording: false, class: c.id };
  }

  /** What a restart after a crash needs to resume the class: its request, id, start and (current) end. */
  private saveRunning(c: Running): void {
    const resumedAt = c.request.resume?.resumedAt;
    this.saved.save({
      ...c.request,
      name: c.name,
      resume: { id: c.id, startedAt: c.startedAt, endsAt: c.endsAt, ...(resumedAt !== undefined ? { resumedAt } : {}) },
    });
  }

  /** More time for the running class (the failsafe maximum counts from its start). */
  extend(minutes: number): { endsAt: string } {
    const c = this.current;
    if (!c) throw new ClassboxError('conflict', 'no class is running');
    const limit = c.startedAt + this.ctx.config.schedule.maxClassMinutes * 60_000;
    if (c.endsAt >= limit)
      throw new ClassboxError('conflict', `class already runs to its maximum of ${this.ctx.config.schedule.maxClassMinutes} minutes`);
    c.endsAt = Math.min(limit, c.endsAt + minutes * 60_000);
    clearTimeout(c.timer);
    c.timer = this.endTimer(c.endsAt - this.now());
    this.saveRunning(c);
    const endsAt = new Date(c.endsAt).toISOString();
    this.ctx.bus.emit('class.extended', { id: c.id, minutes, endsAt });
    return { endsAt };
  }

  private endTimer(ms: number): NodeJS.Timeout {
    const t = setTimeout(() => void this.end('end time reached').catch(() => undefined), Math.max(0, ms));
    t.unref?.();
    return t;
  }

  /** Runs one sequencing step; a failure becomes an incident and a `class.step_failed` event. */
  private async step(c: Running, step: string, device: string | undefined, fn: () => Promise<unknown> | unknown): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const e = toClassboxError(err);
      // A step still running when its class ended (a projector still warming up) belongs to no one now.
      if (this.current !== c && step !== 'media')
        return void this.log.debug({ class: c.id, step, device, err: e }, 'step of an ended class failed');
      addIncident(c, {
        at: new Date(this.now()).toISOString(),
        type: `${step} failed`,
        detail: `${device ? `${device}: ` : ''}${e.code}: ${e.message}`,
      });
      this.log.warn({ class: c.id, step, device, err: e }, 'class step failed; the class goes on');
      this.ctx.bus.emit('class.step_failed', { class: c.id, step, ...(device ? { device } : {}), code: e.code, message: e.message });
    }
  }

  /** Projectors on (or as given) ahead of a class: see RoomSequence. */
  prepare(projectors: Record<string, 'on' | 'off'> | undefined): void {
    this.room.prepare(projectors);
  }

  /** The on-air light; with a class, a failure is one of its steps, without one it is logged. */
  private async onAir(c: Running | undefined): Promise<void> {
    await this.room.onAir(c?.mode, (line, set) =>
      c
        ? this.step(c, 'on-air light', line, set)
        : Promise.resolve()
            .then(set)
            .then(
              () => undefined,
              (err: unknown) => this.log.warn({ line, err }, 'on-air light not switched off'),
            ),
    );
  }
}
