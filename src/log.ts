import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

/** Keys whose values never reach a log line, at any of the depths config and requests use. */
export const SECRET_KEYS = ['password', 'token', 'passphrase', 'secretAccessKey'];

const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`, `*.*.*.*.${k}`]);

export interface LoggerOptions {
  level?: LevelWithSilent;
  destination?: DestinationStream;
}

/**
 * NDJSON on stdout (Balena collects it). Parts take children: `log.child({ part: 'ptz', device: 'teacher-cam' })`.
 * Binding keys come from config names only, never from untrusted input.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? (process.env.CLASSBOX_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info',
      base: { service: 'classbox' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
