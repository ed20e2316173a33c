import { ClassboxError } from '../core/errors.js';

/**
 * The balena Supervisor's local API, injected into the container with the
 * `io.balena.features.supervisor-api` label: BALENA_SUPERVISOR_ADDRESS and BALENA_SUPERVISOR_API_KEY.
 */
export class SupervisorApi {
  private constructor(
    private readonly address: string,
    private readonly apiKey: string,
  ) {}

  static fromEnv(env: NodeJS.ProcessEnv): SupervisorApi | undefined {
    const address = env.BALENA_SUPERVISOR_ADDRESS;
    const key = env.BALENA_SUPERVISOR_API_KEY;
    return address && key ? new SupervisorApi(address.replace(/\/$/, ''), key) : undefined;
  }

  private async post(path: string, body: Record<string, unknown>): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.address}${path}?apikey=${encodeURIComponent(this.apiKey)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new ClassboxError('internal', `balena Supervisor not reachable: ${(err as Error).message}`, { cause: err });
    }
    // 423: the update lock is held (by this service, or another container).
    if (res.status === 423) throw new ClassboxError('conflict', 'the balena Supervisor refused: an update lock is held');
    if (!res.ok) throw new ClassboxError('internal', `balena Supervisor answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  }

  reboot(force: boolean): Promise<void> {
    return this.post('/v1/reboot', { force });
  }

  /** Restarts the application's services (the Supervisor needs the app id, which balena injects). */
  restart(appId: string, force: boolean): Promise<void> {
    return this.post('/v1/restart', { appId, force });
  }
}
