import { ClassboxError } from '../../core/errors.js';
import type { ViscaReply } from './codec.js';

/** What a camera session needs from its port: send bytes, and hear the replies from its address. */
export interface ViscaWire {
  write(data: Buffer): Promise<void>;
}

/** Where a camera's session comes from: a serial line with its daisy chain, or one camera over IP. */
export interface ViscaSessionSource {
  session(address: number, timeouts: ViscaTimeouts, label: string): ViscaSession;
}

export interface ViscaTimeouts {
  /** For the ACK (commands) or the answer (inquiries). */
  ackMs: number;
  /** For the Completion after an ACK: a preset recall completes only when the camera arrives. */
  completionMs: number;
}

type Job = {
  bytes: Buffer;
  inquiry: boolean;
  /** Pan-tilt and zoom drives: a stop supersedes the ones still queued. */
  drive: boolean;
  resolve: (data: Buffer) => void;
  reject: (err: ClassboxError) => void;
  timer?: NodeJS.Timeout;
};

const SOCKETS = 2;

function replyError(reply: Extract<ViscaReply, { kind: 'error' }>, what: string): ClassboxError {
  // Buffer full means "both sockets busy, try again": busy, not broken.
  const code = reply.code === 0x03 ? 'device_busy' : 'device_error';
  return new ClassboxError(code, `${what}: camera answered ${reply.message}`, { details: { viscaError: reply.code } });
}

/**
 * One camera's conversation: turns "send, wait for ACK then Completion, or an error, or silence" into
 * one promise. Honours VISCA's two command sockets: the next command goes out only after the previous
 * one was ACKed or refused (else replies cannot be matched to sockets), and at most two run at once.
 * Inquiries get no ACK: one at a time, answered on socket 0.
 */
export class ViscaSession {
  private readonly queue: Job[] = [];
  private awaitingAck: Job | undefined;
  private inquiry: Job | undefined;
  private readonly sockets = new Map<number, Job>();

  constructor(
    private readonly wire: ViscaWire,
    readonly address: number,
    private readonly timeouts: ViscaTimeouts,
    private readonly label = `camera ${address}`,
  ) {}

  /** A command: resolves on Completion. `drive` marks pan-tilt/zoom moves that a stop supersedes. */
  command(bytes: Buffer, options: { drive?: boolean; urgent?: boolean } = {}): Promise<Buffer> {
    return this.enqueue(bytes, false, options);
  }

  /** An inquiry: resolves with the data bytes of `y0 50 <data> FF`. */
  inquire(bytes: Buffer): Promise<Buffer> {
    return this.enqueue(bytes, true, {});
  }

  /** Jobs waiting or running, for tests and diagnostics. */
  get pending(): number {
    return this.queue.length + (this.awaitingAck ? 1 : 0) + (this.inquiry ? 1 : 0) + this.sockets.size;
  }

  private enqueue(bytes: Buffer, inquiry: boolean, options: { drive?: boolean; urgent?: boolean }): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const job: Job = { bytes, inquiry, drive: options.drive === true, resolve, reject };
      if (options.urgent) {
        // A stop goes before everything still waiting, and drives it supersedes are dropped.
        for (let i = this.queue.length - 1; i >= 0; i--) {
          const queued = this.queue[i]!;
          if (queued.drive) {
            this.queue.splice(i, 1);
            queued.reject(new ClassboxError('device_error', `${this.label}: move superseded by stop`));
          }
        }
        this.queue.unshift(job);
      } else this.queue.push(job);
      this.pump();
    });
  }

  private pump(): void {
    if (this.awaitingAck || this.inquiry) return;
    const next = this.queue[0];
    if (!next) return;
    if (!next.inquiry && this.sockets.size >= SOCKETS) return;
    this.queue.shift();
    if (next.inquiry) this.inquiry = next;
    else this.awaitingAck = next;
    this.arm(next, this.timeouts.ackMs, next.inquiry ? 'answer' : 'ACK');
    this.wire.write(next.bytes).catch((err: unknown) => {
      this.finish(
        next,
        err instanceof ClassboxError ? err : new ClassboxError('device_unavailable', `${this.label}: ${(err as Error).message}`),
      );
    });
  }

  private arm(job: Job, ms: number, what: string, acknowledged = false): void {
    clearTimeout(job.timer);
    // After an ACK the camera has answered: a missing Completion is a stuck command, not a camera gone.
    job.timer = setTimeout(
      () =>
        this.finish(
          job,
          new ClassboxError(
            'device_timeout',
            `${this.label}: no ${what} within ${ms} ms`,
            acknowledged ? { details: { acknowledged: true } } : {},
          ),
        ),
      ms,
    );
  }

  /** Settles a job wherever it is and lets the next one go. */
  private finish(job: Job, outcome: Buffer | ClassboxError): void {
    clearTimeout(job.timer);
    if (this.awaitingAck === job) this.awaitingAck = undefined;
    if (this.inquiry === job) this.inquiry = undefined;
    for (const [socket, j] of this.sockets) if (j === job) this.sockets.delete(socket);
    const i = this.queue.indexOf(job);
    if (i >= 0) this.queue.splice(i, 1);
    if (outcome instanceof ClassboxError) job.reject(outcome);
    else job.resolve(outcome);
    this.pump();
  }

  /** A decoded reply from this camera's address. Replies that match nothing are ignored. */
  receive(reply: ViscaReply): void {
    switch (reply.kind) {
      case 'ack': {
        const job = this.awaitingAck;
        if (!job) return;
        this.awaitingAck = undefined;
        this.sockets.set(reply.socket, job);
        this.arm(job, this.timeouts.completionMs, 'Completion', true);
        this.pump();
        return;
      }
      case 'completion': {
        const bySocket = this.sockets.get(reply.socket);
        if (bySocket) return this.finish(bySocket, reply.data);
        // A Completion on a free socket while a command waits for its ACK: the ACK was lost (a datagram
        // over IP, noise on a long RS-422 run) and the command ran. Done, rather than a time-out.
        if (reply.socket !== 0) {
          if (this.awaitingAck) this.finish(this.awaitingAck, reply.data);
          return;
        }
        // Socket 0: an inquiry's answer, or a device-setting command that completes without an ACK.
        const job = this.inquiry ?? this.awaitingAck;
        if (job) this.finish(job, reply.data);
        return;
      }
      case 'error': {
        const bySocket = reply.socket !== 0 ? this.sockets.get(reply.socket) : undefined;
        const job = bySocket ?? this.awaitingAck ?? this.inquiry;
        if (job) this.finish(job, replyError(reply, this.label));
        return;
      }
      default:
        return;
    }
  }

  /** Everything waiting or running fails with this error (port gone, IF_Clear after a network change). */
  failAll(err: ClassboxError): void {
    const jobs = [
      ...this.queue,
      ...(this.awaitingAck ? [this.awaitingAck] : []),
      ...(this.inquiry ? [this.inquiry] : []),
      ...this.sockets.values(),
    ];
    this.queue.length = 0;
    this.awaitingAck = undefined;
    this.inquiry = undefined;
    this.sockets.clear();
    for (const job of jobs) {
      clearTimeout(job.timer);
      job.reject(err);
    }
  }
}
