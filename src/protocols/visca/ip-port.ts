import type { Logger } from 'pino';
import { ClassboxError } from '../../core/errors.js';
import type { OpeningLink, ReconnectingLink } from '../../transports/reconnecting-link.js';
import { TERMINATOR, decodeReply } from './codec.js';
import { CONTROL_ACK, CONTROL_RESET, PAYLOAD, decodeIp, encodeIp, nextSequence, payloadTypeOf, type ViscaIpMessage } from './ip-codec.js';
import { ViscaSession, type ViscaSessionSource, type ViscaTimeouts } from './session.js';

/** A message sent and not answered yet: UDP may have lost it, or lost the answer. */
type InFlight = { packet: Buffer; type: number; sequence: number; resends: number; timer?: NodeJS.Timeout };

/** Resends of one message before the session's own time-out decides. */
const MAX_RESENDS = 2;

/**
 * One camera over VISCA over IP (UDP, Sony framing). Each VISCA packet goes out with a sequence number;
 * a message that gets no answer is sent again with the same number (the camera executes it if the
 * first never arrived, or says "sequence number error" if only its answer was lost). A sequence error
 * is answered with RESET, then the message goes again with a fresh number: every command classbox
 * sends (moves, stops, presets, power) is safe to run twice. RESET also starts every (re)open.
 */
export class ViscaIpPort implements ViscaSessionSource {
  private sequence = 0;
  private camera: ViscaSession | undefined;
  private inFlight: InFlight | undefined;
  private controlWaiter: ((m: ViscaIpMessage) => boolean) | undefined;
  private resyncing = false;
  /** For diagnostics and tests. */
  retransmissions = 0;
  resets = 0;

  constructor(
    private readonly link: ReconnectingLink,
    private readonly log: Logger,
    private readonly timeoutMs = 1000,
  ) {
    link.onData((datagram) => this.receive(datagram));
    link.onStatus((s) => {
      if (!s.up) this.camera?.failAll(new ClassboxError('device_unavailable', `${link.description}: ${s.reason}`));
    });
  }

  /** VISCA over IP speaks to one camera, always at address 1. */
  session(address: number, timeouts: ViscaTimeouts, label: string): ViscaSession {
    if (address !== 1) throw new RangeError(`VISCA over IP cameras are at address 1, not ${address}`);
    this.camera ??= new ViscaSession({ write: (packet) => this.send(packet) }, 1, timeouts, label);
    return this.camera;
  }

  /** Run on every (re)open: RESET, so both ends count from 0. Silence is logged, not fatal: the camera may be booting. */
  async initialise(link: OpeningLink): Promise<void> {
    if (!(await this.reset((d) => link.write(d)))) this.log.warn({ camera: link.description }, 'camera did not answer RESET');
  }

  private async send(packet: Buffer): Promise<void> {
    this.sequence = nextSequence(this.sequence);
    const message: InFlight = { packet, type: payloadTypeOf(packet), sequence: this.sequence, resends: 0 };
    this.track(message);
    await this.transmit(message);
  }

  private transmit(m: InFlight): Promise<void> {
    this.log.debug({ tx: m.packet.toString('hex'), seq: m.sequence, resend: m.resends }, 'visca-ip out');
    return this.link.write(encodeIp(m.type, m.sequence, m.packet));
  }

  /** The session sends one message at a time until it is answered; a newer one replaces the older. */
  private track(m: InFlight): void {
    this.settle();
    this.inFlight = m;
    const retryMs = Math.max(50, Math.floor(this.timeoutMs / (MAX_RESENDS + 1)));
    const again = () => {
      if (this.inFlight !== m || m.resends >= MAX_RESENDS) return;
      m.resends++;
      this.retransmissions++;
      this.transmit(m).catch(() => undefined);
      m.timer = setTimeout(again, retryMs).unref();
    };
    m.timer = setTimeout(again, retryMs).unref();
  }

  private settle(): void {
    clearTimeout(this.inFlight?.timer);
    this.inFlight = undefined;
  }

  private receive(datagram: Buffer): void {
    const m = decodeIp(datagram);
    if (!m) {
      this.log.debug({ rx: datagram.toString('hex') }, 'visca-ip: not a VISCA over IP message, ignored');
      return;
    }
    this.log.debug({ rx: m.payload.toString('hex'), type: m.type, seq: m.sequence }, 'visca-ip in');
    if (m.type === PAYLOAD.controlReply) {
      if (this.controlWaiter?.(m)) return;
      if (m.payload[0] === 0x0f) {
        this.log.info(
          { error: m.payload.toString('hex'), seq: m.sequence },
          'camera reports a sequence or message error: resetting the sequence',
        );
        void this.resync();
      }
      return;
    }
    if (m.type !== PAYLOAD.reply || m.payload.at(-1) !== TERMINATOR) return;
    if (this.inFlight && m.sequence === this.inFlight.sequence) this.settle();
    const reply = decodeReply(m.payload);
    // An ACK answers the message just sent; one with another number is a stray (a late duplicate) and
    // would tie the command to the wrong socket. Completions may answer older commands.
    if (reply.kind === 'ack' && m.sequence !== this.sequence) return;
    if ((reply.kind === 'ack' || reply.kind === 'completion' || reply.kind === 'error') && reply.from === 1) this.camera?.receive(reply);
  }

  /** RESET, then the unanswered message again under a new sequence number. */
  private async resync(): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    const pending = this.inFlight;
    this.settle();
    try {
      if (!(await this.reset((d) => this.link.write(d)))) return;
      // Unless the session gave up on it meanwhile and sent something newer.
      if (pending && !this.inFlight) {
        this.sequence = nextSequence(this.sequence);
        const again: InFlight = { ...pending, sequence: this.sequence, resends: 0 };
        this.track(again);
        await this.transmit(again);
      }
    } catch (err) {
      this.log.warn({ err }, 'VISCA over IP resync failed');
    } finally {
      this.resyncing = false;
    }
  }

  /** Sends RESET and waits for its ACK; true once both ends count from 0. */
  private reset(write: (d: Buffer) => Promise<void>): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.controlWaiter = undefined;
        if (ok) {
          this.sequence = 0;
          this.resets++;
        }
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), this.timeoutMs);
      this.controlWaiter = (m) => {
        if (!m.payload.equals(CONTROL_ACK)) return false;
        done(true);
        return true;
      };
      this.log.debug('visca-ip out: RESET');
      write(encodeIp(PAYLOAD.control, 0, CONTROL_RESET)).catch(() => done(false));
    });
  }
}
