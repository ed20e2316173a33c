/**
 * Epson ESC/VP21, pure. ASCII commands end with CR; the projector answers `KEY=value` CR for queries,
 * `ERR` CR on failure, and in every case the ':' prompt when it is ready for the next command.
 * Over the network (ESC/VP.net, TCP 3629) a 16-byte handshake comes first. Facts: protocols.md §4.
 */

export const PROMPT = ':';

/** "ESC/VP.net" + version 0x10 + type 0x03 (CONNECT) + reserved, status and header count all zero. */
export const ESCVP_NET_HELLO = Buffer.from([
  0x45, 0x53, 0x43, 0x2f, 0x56, 0x50, 0x2e, 0x6e, 0x65, 0x74, 0x10, 0x03, 0x00, 0x00, 0x00, 0x00,
]);

export function encode(command: string): Buffer {
  if (!/^[A-Z?][A-Z0-9 ?]{0,30}$/.test(command)) throw new RangeError(`not an ESC/VP21 command: ${JSON.stringify(command)}`);
  return Buffer.from(`${command}\r`, 'latin1');
}

/** `PWR?` answers (two digits). */
export const POWER_CODES = {
  '00': 'standby',
  '01': 'on',
  '02': 'warming',
  '03': 'cooling',
  '04': 'standby',
  '05': 'error',
  '09': 'standby',
} as const;

export type EpsonAnswer = { ok: true; values: Record<string, string> } | { ok: false };

/** Everything the projector said before its ':' prompt. */
export function parseAnswer(text: string): EpsonAnswer {
  const lines = text
    .split(/\r\n?|\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.some((l) => l === 'ERR')) return { ok: false };
  const values: Record<string, string> = {};
  for (const l of lines) {
    const m = /^([A-Z0-9]+)=(.*)$/.exec(l);
    if (m) values[m[1]!] = m[2]!;
  }
  return { ok: true, values };
}
