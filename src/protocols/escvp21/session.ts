import { ClassboxError } from '../../core/errors.js';
import { SerialQueue } from '../../core/serial-queue.js';
import type { ReconnectingLink } from '../../transports/reconnecting-link.js';
import { PROMPT, encode, parseAnswer } from './codec.js';

/**
 * ESC/VP21 conversation over a kept-open link: one command at a time (the projector takes the next only
 * after its ':'), each with its own time budget: power on can take 40 s or more before the prompt.
 */
export class EscVp21Session {
  private text = '';
  private waiter: ((text: string) => void) | undefined;
  private readonly queue = new SerialQueue();

  constructor(
    private readonly link: ReconnectingLink,
    private readonly label: string,
  ) {
    link.onData((chunk) => {
      for (const ch of chunk.toString('latin1')) {
        if (ch === PROMPT) {
          const said = this.text;
          this.text = '';
          const w = this.waiter;
          this.waiter = undefined;
          w?.(said);
        } else if (this.text.length < 256) this.text += ch;
      }
    });
  }

  /** Sends one command and resolves with the `KEY=value` pairs it answered before the prompt. */
  send(command: string, timeoutMs: number): Promise<Record<string, string>> {
    return this.queue.run(() => this.exchange(command, timeoutMs));
  }

  private async exchange(command: string, timeoutMs: number): Promise<Record<string, string>> {
    this.text = '';
    const answer = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new ClassboxError('device_timeout', `${this.label}: no ':' prompt after ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (text) => {
        clearTimeout(timer);
        resolve(text);
      };
    });
    try {
      await this.link.write(encode(command));
    } catch (err) {
      this.waiter?.('');
      throw err;
    }
    const parsed = parseAnswer(await answer);
    if (!parsed.ok) throw new ClassboxError('device_error', `${this.label}: ${command} answered ERR`);
    return parsed.values;
  }
}
