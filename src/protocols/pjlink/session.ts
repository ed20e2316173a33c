import { ClassboxError } from '../../core/errors.js';
import { SerialQueue } from '../../core/serial-queue.js';
import { TcpLink } from '../../transports/tcp.js';
import { LineFramer } from '../line-framer.js';
import { ERRORS, authDigest, encodeCommand, parseAnswer, parseGreeting, type PjlinkCommand } from './codec.js';

export interface PjlinkOptions {
  host: string;
  port: number;
  password?: string | undefined;
  /** For the connection, the greeting and each answer (the spec gives projectors 2 s to answer). */
  timeoutMs: number;
  label: string;
}

export type Exchange = { command: PjlinkCommand; parameter: string };

/**
 * One PJLink conversation per call: connect, read the greeting, authenticate, send the commands one
 * after another, read each answer, close. Projectors drop idle connections on their own (30 s is common),
 * so a fresh connection per exchange is the reliable way, and costs a few milliseconds on a LAN.
 * Calls are serialized: many projectors accept one connection at a time.
 */
export class PjlinkSession {
  private readonly queue = new SerialQueue();

  constructor(private readonly options: PjlinkOptions) {}

  run(exchanges: Exchange[]): Promise<string[]> {
    return this.queue.run(() => this.converse(exchanges));
  }

  private async converse(exchanges: Exchange[]): Promise<string[]> {
    const o = this.options;
    const link = new TcpLink(o.host, o.port, o.timeoutMs);
    const framer = new LineFramer('\r');
    const lines: string[] = [];
    let wake: (() => void) | undefined;
    let closed: Error | undefined;
    link.onData((chunk) => {
      lines.push(...framer.push(chunk));
      wake?.();
    });
    link.onClose((err) => {
      closed = err ?? new Error('closed');
      wake?.();
    });
    const nextLine = async (what: string): Promise<string> => {
      const until = Date.now() + o.timeoutMs;
      while (lines.length === 0) {
        if (closed) throw new ClassboxError('device_unavailable', `${o.label}: connection closed while waiting for ${what}`);
        const left = until - Date.now();
        if (left <= 0) throw new ClassboxError('device_timeout', `${o.label}: no ${what} within ${o.timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
      return lines.shift()!;
    };

    try {
      await link.open();
    } catch (err) {
      throw new ClassboxError('device_unavailable', `${o.label}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const greeting = parseGreeting(await nextLine('greeting'));
      let prefix = '';
      if ('unknown' in greeting)
        throw new ClassboxError('device_error', `${o.label}: not a PJLink greeting: ${JSON.stringify(greeting.unknown.slice(0, 40))}`);
      if ('error' in greeting) throw new ClassboxError('auth_failed', `${o.label}: projector refused authentication`);
      if (greeting.auth) {
        if (o.password === undefined)
          throw new ClassboxError('auth_failed', `${o.label}: projector requires a password and none is configured`);
        prefix = authDigest(greeting.random, o.password);
      }
      const values: string[] = [];
      for (const [i, e] of exchanges.entries()) {
        await link.write(Buffer.from((i === 0 ? prefix : '') + encodeCommand(e.command, e.parameter), 'latin1'));
        const line = await nextLine(`answer to ${e.command}`);
        if (line === 'PJLINK ERRA') throw new ClassboxError('auth_failed', `${o.label}: wrong PJLink password`);
        const answer = parseAnswer(line);
        if (!answer || answer.command !== e.command)
          throw new ClassboxError('device_error', `${o.label}: unexpected answer ${JSON.stringify(line.slice(0, 40))} to ${e.command}`);
        if (!answer.ok) {
          const message = `${o.label}: ${e.command} refused: ${answer.error} ${ERRORS[answer.error]}`;
          if (answer.error === 'ERR3') throw new ClassboxError('device_busy', message, { details: { pjlinkError: answer.error } });
          if (answer.error === 'ERRA') throw new ClassboxError('auth_failed', message);
          throw new ClassboxError('device_error', message, { details: { pjlinkError: answer.error } });
        }
        values.push(answer.value);
      }
      return values;
    } finally {
      await link.close();
    }
  }
}
