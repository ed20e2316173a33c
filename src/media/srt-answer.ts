import { fieldsOf } from './srt-stats.js';

/**
 * How long an SRT caller may send without one acknowledgement before its listener counts as gone.
 * A listener that answers acknowledges about sixteen times a second while packets flow (measured on
 * loopback at 300 kbit/s); libsrt itself gives a silent peer up only after its idle time-out and
 * sixteen expiry ticks, 5 s whatever `peeridletimeo` says (measured: 5.1 s with it at 1 s). A network
 * that drops everything for longer than this costs a new call, which the anchor would make necessary
 * anyway: it opens a silent classroom's listener anew after about as long.
 */
export const SRT_UNANSWERED_MS = 1000;

/**
 * Whether the listener an SRT caller output sends to still answers. A listener that was closed and
 * opened anew on its port (the anchor reopens a classroom's listener once its caller went silent, a
 * box restarts) leaves a caller that had just connected to the old one sending into nothing: libsrt
 * notices 5 s later. Packets sent while the acknowledgements stand still say it at once.
 */
export class SrtAnswerWatch {
  private acks = -1;
  private sentAtAck = 0;
  /** Since when packets sent after the last acknowledgement wait for one. */
  private owedSince: number | undefined;

  constructor(private readonly unansweredMs = SRT_UNANSWERED_MS) {}

  /** A new call (a pipeline (re)started): nothing owed yet. */
  reset(): void {
    this.acks = -1;
  }

  /** False when packets went out for `unansweredMs` with no acknowledgement back. */
  answers(stats: unknown, now = Date.now()): boolean {
    if (typeof stats !== 'string') return true;
    // One peer: the listener it called.
    const { 'packet-ack-received': acks, 'packets-sent': sent } = fieldsOf(stats);
    if (acks === undefined || sent === undefined) return true;
    // libsrt's own reconnect starts its counts again: a change either way is an answer.
    if (acks !== this.acks || sent < this.sentAtAck) {
      this.acks = acks;
      this.sentAtAck = sent;
      this.owedSince = undefined;
      return true;
    }
    // Nothing sent since (a pause upstream) owes no answer.
    if (sent === this.sentAtAck) return true;
    this.owedSince ??= now;
    return now - this.owedSince < this.unansweredMs;
  }
}
