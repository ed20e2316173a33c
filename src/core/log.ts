import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import { createRequire } from 'node:module';
import { redactDeep, redactText } from './redact.js';

export interface LoggerOptions {
  level?: LevelWithSilent;
  destination?: DestinationStream;
  /**
   * One readable line per entry (time, level, part, message) for a person at a terminal, as the demo
   * and `classbox run` in a terminal print; warnings show the error's message, not its stack. Without
   * it, NDJSON for Balena and journald.
   */
  pretty?: boolean;
}

const WARN = 40;

function prettyStream(): DestinationStream {
  // Loaded only for a person at a terminal: a service writing NDJSON does not carry it.
  const { PinoPretty } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return PinoPretty({
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,service,part',
    messageFormat: '{if part}{part}: {end}{msg}',
    singleLine: true,
    sync: true,
  });
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
        logMethod(args, method, level) {
          const out = args.map((a) => {
            if (typeof a === 'string') return redactText(a);
            // A routine warning read by a person: the error's words, not a stack trace.
            const err = (a as { err?: unknown } | null)?.err;
            if (options.pretty && level <= WARN && err instanceof Error)
              return {
                ...(a as object),
                err: `${(err as NodeJS.ErrnoException).code ? `${(err as NodeJS.ErrnoException).code}: ` : ''}${err.message}`,
              };
            return a;
          });
          return method.apply(this, out as Parameters<typeof method>);
        },
      },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? (options.pretty ? prettyStream() : pino.destination({ fd: 1, sync: false })),
  );
}
