import type { Logger } from 'pino';
import { ClassboxError } from '../../core/errors.js';
import type { OpeningLink, ReconnectingLink } from '../../transports/reconnecting-link.js';
import { ADDRESS_SET, IF_CLEAR_BROADCAST, ViscaFramer, decodeReply, type ViscaReply } from './codec.js';
import { ViscaSession, type ViscaSessionSource, type ViscaTimeouts } from './session.js';

/**
 * One serial line with up to seven daisy-chained VISCA cameras. It frames the byte stream, routes each
 * reply to the session of the camera that sent it (the sender is in the header), and runs the start-up
 * sequence: Address Set (broadcast) then IF_Clear (broadcast), again whenever a camera reports a
 * Network Change (power-up or a change in the chain).
 */
export class ViscaPort implements ViscaSessionSource {
  private readonly framer = new ViscaFramer();
  private readonly sessions = new Map<number, ViscaSession>();
  private broadcastWaiter: ((reply: ViscaReply) => boolean) | undefined;
  /** Cameras counted by the last Address Set (its reply carries the next free address). */
  camerasOnChain: number | undefined;

  constructor(
    private readonly link: ReconnectingLink,
    private readonly log: Logger,
    private readonly initTimeoutMs = 1000,
  ) {
    link.onData((chunk) => {
      for (const frame of this.framer.push(chunk)) this.route(frame);
    });
    link.onStatus((s) => {
      if (!s.up)
        for (const session of this.sessions.values())
          session.failAll(new ClassboxError('device_unavailable', `${link.description}: ${s.reason}`));
    });
  }

  session(address: number, timeouts: ViscaTimeouts, label: string): ViscaSession {
    let session = this.sessions.get(address);
    if (!session) {
      session = new ViscaSession({ write: (b) => this.write(b) }, address, timeouts, label);
      this.sessions.set(address, session);
    }
    return session;
  }

  write(data: Buffer): Promise<void> {
    this.log.debug({ tx: data.toString('hex') }, 'visca out');
    return this.link.write(data);
  }

  /** The start-up sequence, run on every (re)open before the port counts as up. Silence is logged, not fatal: the camera may still be booting. */
  async initialise(link: OpeningLink): Promise<void> {
    const addressSet = await this.exchange(link, ADDRESS_SET, (r) => r.kind === 'addressSet');
    if (addressSet?.kind === 'addressSet') this.camerasOnChain = Math.max(0, addressSet.next - 1);
    else this.log.warn({ port: link.description }, 'no camera answered Address Set');
    await this.exchange(link, IF_CLEAR_BROADCAST, (r) => r.kind === 'ifClear');
  }

  private exchange(link: OpeningLink, bytes: Buffer, match: (r: ViscaReply) => boolean): Promise<ViscaReply | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.broadcastWaiter = undefined;
        resolve(undefined);
      }, this.initTimeoutMs);
      this.broadcastWaiter = (reply) => {
        if (!match(reply)) return false;
        clearTimeout(timer);
        this.broadcastWaiter = undefined;
        resolve(reply);
        return true;
      };
      this.log.debug({ tx: bytes.toString('hex') }, 'visca out');
      link.write(bytes).catch(() => {
        clearTimeout(timer);
        this.broadcastWaiter = undefined;
        resolve(undefined);
      });
    });
  }

  private route(frame: Buffer): void {
    this.log.debug({ rx: frame.toString('hex') }, 'visca in');
    const reply = decodeReply(frame);
    if (this.broadcastWaiter?.(reply)) return;
    switch (reply.kind) {
      case 'ack':
      case 'completion':
      case 'error':
        this.sessions.get(reply.from)?.receive(reply);
        return;
      case 'networkChange':
        this.log.info({ from: reply.from }, 'camera reports a network change: addressing the chain again');
        void this.readdress();
        return;
      default:
        return;
    }
  }

  private async readdress(): Promise<void> {
    try {
      await this.write(ADDRESS_SET);
      await this.write(IF_CLEAR_BROADCAST);
    } catch (err) {
      this.log.warn({ err }, 'readdressing failed');
    }
  }
}
