import { z } from 'zod';

/** Building blocks shared by the config schema; each carries the message a technician reads. */

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/** Site, room, source, output and device names end up in MQTT topics, element names and file names. */
export const name = () =>
  z
    .string()
    .regex(NAME_PATTERN, 'must be lowercase letters, digits and dashes ([a-z0-9-]+), starting with a letter or digit')
    .max(48, 'must be at most 48 characters');

export const BAUD_RATES = [2400, 4800, 9600, 19200, 38400, 115200] as const;
export const baudRate = () => z.literal(BAUD_RATES);

export const tcpPort = () => z.number().int('must be a whole number').min(1).max(65535);

/**
 * Absolute Unix paths of devices: /dev/ttyUSB0, /dev/serial/by-id/..., or a simulator's pty link
 * elsewhere. No spaces, no quotes, nothing a launch line or a shell could misread.
 */
export const devicePath = () => z.string().regex(/^\/[A-Za-z0-9._/:+-]+$/, 'must be a device path like /dev/ttyUSB0');

/** Host names and IPv4/IPv6 literals. */
export const host = () =>
  z
    .string()
    .regex(
      /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^[0-9a-fA-F:]+$/,
      'must be a host name or IP address',
    );

/** File system paths used for recordings, media and certificates. Characters that can break out of a launch line are refused. */
export const filePath = () =>
  z
    .string()
    .min(1, 'must not be empty')
    .regex(/^[^\0!"'`$\\\n\r]+$/, 'must not contain quotes, "!", "$", backslashes or control characters');

/** A URL with one of the given schemes, without characters that can break out of a launch line. */
export const url = (schemes: readonly string[]) =>
  z.string().superRefine((value, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be a URL (${schemes.map((s) => `${s}://`).join(' or ')})` });
      return;
    }
    const scheme = parsed.protocol.replace(/:$/, '');
    if (!schemes.includes(scheme)) {
      ctx.addIssue({ code: 'custom', message: `scheme must be one of ${schemes.map((s) => `${s}://`).join(', ')}` });
    } else if (/[\s"'`!$\\]/.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must not contain spaces, quotes, "!", "$" or backslashes' });
    }
  });

/** Text shown on the picture (a source's label): anything a launch line can carry. */
export const overlayText = () =>
  z
    .string()
    .max(64)
    .regex(/^[^"\\\n\r\0!`$]*$/, 'must not contain double quotes, "!", "$", "`", backslashes or line breaks');

export const timeoutMs = (fallback: number) => z.number().int().min(50).max(120_000).default(fallback);

/** "HH:MM" on a 24-hour clock. */
export const clockTime = () => z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time like "08:00" (24-hour HH:MM)');

export const timezone = () =>
  z.string().refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone like "Asia/Shanghai"');

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
