import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import { redactDeep, redactText } from './config/redact.js';

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
      // Secret keys at any depth, and credentials, secret parameters and stream keys in any string
      // (a URL in an error message too): nothing secret reaches a log line.
      formatters: { log: (o) => redactDeep(o) as Record<string, unknown>, bindings: (b) => redactDeep(b) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          return method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
        },
      },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
