/** Error codes of the outside contract (CONTRACT §4), plus the config code used by the CLI. */
export const ERROR_CODES = [
  'invalid_json',
  'invalid_request',
  'unknown_command',
  'not_found',
  'device_unavailable',
  'device_timeout',
  'device_busy',
  'device_error',
  'auth_failed',
  'conflict',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Who has to act: the caller sent something wrong, a device misbehaved, or the gateway itself failed. */
export type Blame = 'request' | 'device' | 'gateway';

const DEFAULT_BLAME: Record<ErrorCode, Blame> = {
  invalid_json: 'request',
  invalid_request: 'request',
  unknown_command: 'request',
  not_found: 'request',
  conflict: 'request',
  device_unavailable: 'device',
  device_timeout: 'device',
  device_busy: 'device',
  device_error: 'device',
  auth_failed: 'device',
  internal: 'gateway',
};

export interface ClassboxErrorOptions {
  blame?: Blame;
  cause?: unknown;
  /** Extra facts for the response or the log (e.g. `retryAfterS` for device_busy). */
  details?: Record<string, unknown>;
}

export class ClassboxError extends Error {
  readonly code: ErrorCode;
  readonly blame: Blame;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ClassboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClassboxError';
    this.code = code;
    this.blame = options.blame ?? DEFAULT_BLAME[code];
    this.details = options.details;
  }
}

/** Any thrown value as a ClassboxError; unknown failures become `internal`. */
export function toClassboxError(err: unknown): ClassboxError {
  if (err instanceof ClassboxError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ClassboxError('internal', message, { cause: err });
}
