import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { CONTROL_ACK, CONTROL_SEQUENCE_ERROR, CONTROL_TYPE_ERROR, PAYLOAD, decodeIp, encodeIp } from '../protocols/visca/ip-codec.js';
import type { ByteLink } from '../transports/link.js';
import { ViscaCameraSim, type ViscaCameraSimOptions } from './visca-camera.js';

/** What the simulated network does to datagrams, for loss scenarios. */
export interface ViscaIpNetwork {
  /** Datagrams from the controller to lose before the camera sees them. */
  dropIncoming: number;
  /** Replies from the camera to lose on their way back. */
  dropOutgoing: number;
  /** Besides those, the share of the controller's datagrams lost at random (0-1), from a seeded generator. */
  lossRate: number;
}

/** A small seeded generator (mulberry32), so a lossy run is the same run every time. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A network PTZ camera speaking Sony VISCA over IP on UDP: the serial camera simulator behind the
 * 8-byte header. It keeps the last sequence number: a message repeating it (a resend after a lost
 * answer) or going back gets "sequence number error" instead of running twice; RESET sets it to 0.
 */
export class ViscaIpCameraSim {
  readonly inner: ViscaCameraSim;
  readonly network: ViscaIpNetwork = { dropIncoming: 0, dropOutgoing: 0, lossRate: 0 };
  private readonly random = seeded(52381);
  /** Every well-formed message received (dropped ones included), in order. */
  readonly messages: Array<{ type: number; sequence: number; payload: Buffer }> = [];
  private socket: Socket | undefined;
  private peer: RemoteInfo | undefined;
  private lastSequence: number | undefined;
  /** The sequence number replies carry: that of the message being answered. */
  private answering = 0;
  private dataFn: (chunk: Buffer) => void = () => {};

  constructor(options: ViscaCameraSimOptions = {}) {
    this.inner = new ViscaCameraSim('udp', { ...options, cameras: 1 });
  }

  /** Silent: hears everything, answers nothing (camera powered off at the wall). */
  set silent(on: boolean) {
    this.inner.silent = on;
  }

  camera() {
    return this.inner.camera(1);
  }

  async start(port = 0, host = '127.0.0.1'): Promise<number> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, from) => this.receive(msg, from));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => resolve());
    });
    await this.inner.start(this.asLink());
    return socket.address().port;
  }

  async stop(): Promise<void> {
    await this.inner.stop();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((r) => socket.close(() => r()));
  }

  /** Raw bytes to the controller, e.g. garbage that is not VISCA over IP. */
  sendRaw(bytes: Buffer): void {
    if (this.socket && this.peer) this.socket.send(bytes, this.peer.port, this.peer.address);
  }

  private receive(datagram: Buffer, from: RemoteInfo): void {
    const m = decodeIp(datagram);
    if (!m) return; // not VISCA over IP: a real camera ignores it too
    this.messages.push(m);
    if (this.network.dropIncoming > 0) {
      this.network.dropIncoming--;
      return;
    }
    if (this.random() < this.network.lossRate) return;
    this.peer = from;
    if (this.inner.silent) return;
    if (m.type === PAYLOAD.control) {
      if (m.payload.length === 1 && m.payload[0] === 0x01) {
        this.lastSequence = 0;
        return this.reply(PAYLOAD.controlReply, m.sequence, CONTROL_ACK);
      }
      return this.reply(PAYLOAD.controlReply, m.sequence, CONTROL_TYPE_ERROR);
    }
    if (m.type !== PAYLOAD.command && m.type !== PAYLOAD.inquiry) return this.reply(PAYLOAD.controlReply, m.sequence, CONTROL_TYPE_ERROR);
    if (this.lastSequence !== undefined && m.sequence <= this.lastSequence)
      return this.reply(PAYLOAD.controlReply, m.sequence, CONTROL_SEQUENCE_ERROR);
    this.lastSequence = m.sequence;
    this.answering = m.sequence;
    this.dataFn(m.payload);
  }

  private reply(type: number, sequence: number, payload: Buffer): void {
    const socket = this.socket;
    const peer = this.peer;
    if (!socket || !peer) return;
    if (this.network.dropOutgoing > 0) {
      this.network.dropOutgoing--;
      return;
    }
    socket.send(encodeIp(type, sequence, payload), peer.port, peer.address);
  }

  /** The serial simulator's line: what it writes goes back as VISCA replies. */
  private asLink(): ByteLink {
    return {
      description: 'visca-ip',
      open: async () => undefined,
      close: async () => undefined,
      isOpen: true,
      write: async (reply) => this.reply(PAYLOAD.reply, this.answering, reply),
      onData: (fn) => (this.dataFn = fn),
      onClose: () => undefined,
    };
  }
}
