import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ClassboxError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import type { ClassControl } from '../core/class-session.js';
import { SupervisorApi } from './supervisor.js';
import { UpdateLock } from './update-lock.js';

export type LockState = 'held' | 'released' | 'off';

export interface FleetContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  classroom: Pick<ClassControl, 'running'>;
  env?: NodeJS.ProcessEnv;
}

/**
 * A fleet update must never cut a lesson: the balena update lock is held from the start of a class
 * until its recording is finalised (the classroom ends a class only once the last segment is closed),
 * and reboot or restart requests wait for the class to end unless forced.
 */
export class Fleet implements Part {
  readonly name = 'fleet';
  readonly lock: UpdateLock | undefined;
  private readonly supervisor: SupervisorApi | undefined;
  private pending: { action: 'reboot' | 'restart'; force: boolean } | undefined;
  private readonly log: Logger;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly ctx: FleetContext) {
    this.env = ctx.env ?? process.env;
    const mode = ctx.config.fleet.updateLock;
    if (mode === 'on' || (mode === 'auto' && this.env.BALENA === '1')) this.lock = new UpdateLock(ctx.config.fleet.updateLockFile);
    this.supervisor = SupervisorApi.fromEnv(this.env);
    this.log = ctx.log.child({ part: 'fleet' });
  }

  get lockState(): LockState {
    return this.lock ? (this.lock.held ? 'held' : 'released') : 'off';
  }

  async start(): Promise<void> {
    // After a restart nothing is running yet: a lock left behind by the last run is let go.
    if (this.lock && !this.ctx.classroom.running) this.lock.release();
    this.ctx.bus.on(this, 'class.started', () => this.hold());
    this.ctx.bus.on(this, 'class.ended', () => void this.idle());
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeAll(this);
  }

  private hold(): void {
    if (!this.lock) return;
    try {
      this.lock.take();
      this.log.info({ path: this.lock.path }, 'update lock taken for the class');
      this.ctx.bus.emit('fleet.lock', { state: 'held' });
    } catch (err) {
      this.log.error({ err, path: this.lock.path }, 'update lock not taken');
    }
  }

  private async idle(): Promise<void> {
    if (this.lock) {
      this.lock.release();
      this.log.info('update lock released');
      this.ctx.bus.emit('fleet.lock', { state: 'released' });
    }
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      this.log.info({ action: p.action }, 'class over: doing the deferred request');
      await this.now(p.action, p.force).catch((err: unknown) => this.log.error({ err, action: p.action }, 'deferred request failed'));
    }
  }

  /** `system/reboot` and `system/restart`: now when idle or forced, else when the class has ended. */
  async request(action: 'reboot' | 'restart', force: boolean): Promise<{ action: string; when: 'now' | 'after the class' }> {
    if (!this.supervisor) throw new ClassboxError('conflict', 'not running under balena: no Supervisor API (BALENA_SUPERVISOR_ADDRESS)');
    if (this.ctx.classroom.running && !force) {
      this.pending = { action, force: false };
      return { action, when: 'after the class' };
    }
    await this.now(action, force);
    return { action, when: 'now' };
  }

  private async now(action: 'reboot' | 'restart', force: boolean): Promise<void> {
    if (action === 'reboot') await this.supervisor!.reboot(force);
    else await this.supervisor!.restart(this.env.BALENA_APP_ID ?? '', force);
  }
}
