import { ClassboxError } from '../../core/errors.js';
import { SerialQueue } from '../../core/serial-queue.js';
import type { ReconnectingLink } from '../../transports/reconnecting-link.js';
import { LineFramer } from '../line-framer.js';
import type { CommandSet } from './command-set.js';

type Waiter = { match: RegExp | undefined; resolve: (m: RegExpExecArray | string[]) => void; reject: (e: ClassboxError) => void };

/**
 * A conversation with a projector whose commands come from a command set: one command at a time, the
 * answer is the first line that matches what the command expects (echoes and other chatter are passed
 * over), or an error line. Unsolicited notices (Optoma's INFOn) go to `onNotice`.
 */
export class AsciiSession {
  private readonly framer: LineFramer;
  private readonly errors: Array<{ re: RegExp; code: 'device_busy' | 'device_error' }>;
  private readonly notices: Array<{ re: RegExp; power: string }>;
  private waiter: Waiter | undefined;
  private readonly bare: RegExp | undefined;
  private readonly queue = new SerialQueue();
  onNotice: (power: string) => void = () => {};

  constructor(
    private readonly link: ReconnectingLink,
    private readonly set: CommandSet,
    private readonly label: string,
  ) {
    this.framer = new LineFramer(set.terminators);
    this.errors = set.errors.map((e) => ({ re: new RegExp(e.match, 'i'), code: e.code }));
    this.notices = set.notices.map((n) => ({ re: new RegExp(n.match), power: n.power }));
    this.bare = set.bareAnswer === undefined ? undefined : new RegExp(set.bareAnswer);
    link.onData((chunk) => {
      for (const line of this.framer.push(chunk)) this.line(line);
      if (this.bare?.test(this.framer.pending)) this.line(this.framer.takePartial());
    });
  }

  private line(raw: string): void {
    const line = raw.trim();
    if (!line) return;
    const notice = this.notices.find((n) => n.re.test(line));
    if (notice) return this.onNotice(notice.power);
    const w = this.waiter;
    if (!w) return;
    const error = this.errors.find((e) => e.re.test(line));
    if (error) {
      this.waiter = undefined;
      return w.reject(new ClassboxError(error.code, `${this.label}: projector answered ${JSON.stringify(line.slice(0, 40))}`));
    }
    const m = w.match ? w.match.exec(line) : [line];
    if (!m) return;
    this.waiter = undefined;
    w.resolve(m);
  }

  /** Sends bytes and resolves with the match of the first answering line. */
  send(bytes: Buffer, match: string | undefined, timeoutMs: number): Promise<RegExpExecArray | string[]> {
    return this.queue.run(() => this.exchange(bytes, match, timeoutMs));
  }

  private async exchange(bytes: Buffer, match: string | undefined, timeoutMs: number): Promise<RegExpExecArray | string[]> {
    const answer = new Promise<RegExpExecArray | string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new ClassboxError('device_timeout', `${this.label}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        // Answers are matched case-sensitively: BenQ's echo of `*pow=on#` must not pass for its `*POW=ON#`.
        match: match === undefined ? undefined : new RegExp(match),
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
    try {
      await this.link.write(bytes);
    } catch (err) {
      this.waiter?.reject(err as ClassboxError);
    }
    return answer;
  }
}
