import { ViscaFramer, nibbles } from '../protocols/visca/codec.js';
import { SerialSim } from './serial-sim.js';

export interface ViscaCameraSimOptions {
  /** Cameras daisy-chained on this line (addresses 1..n after Address Set). */
  cameras?: number;
  /** How long a preset recall holds its socket (the camera travelling). */
  recallMs?: number;
  /** Delay before each reply. */
  replyDelayMs?: number;
  /** Highest preset memory the camera accepts (Sony documents 0-15). */
  maxPreset?: number;
  /** ACK commands but never complete them (a jammed camera). */
  neverComplete?: boolean;
}

interface CameraState {
  power: boolean;
  pan: number;
  tilt: number;
  zoom: number;
  presets: Map<number, { pan: number; tilt: number; zoom: number }>;
  moving: { pan: number; tilt: number; since: number } | undefined;
  busySockets: Set<number>;
  zooming: number;
}

/**
 * A Sony-style VISCA camera (or a chain of them) on a serial line: Address Set, IF_Clear, two command
 * sockets with ACK then Completion, Buffer Full for a third command, syntax errors, "not executable"
 * while in standby, inquiries for power, zoom and pan/tilt position. Positions move while driven.
 */
export class ViscaCameraSim extends SerialSim {
  private readonly framer = new ViscaFramer('commands');
  readonly cameras: CameraState[];
  readonly frames: Buffer[] = [];
  readonly options: Required<ViscaCameraSimOptions>;

  constructor(path: string, options: ViscaCameraSimOptions = {}, baudRate = 9600) {
    super(path, baudRate);
    this.options = { cameras: 1, recallMs: 300, replyDelayMs: 0, maxPreset: 15, neverComplete: false, ...options };
    this.cameras = Array.from({ length: this.options.cameras }, () => ({
      power: true,
      pan: 0,
      tilt: 0,
      zoom: 0,
      presets: new Map(),
      moving: undefined,
      busySockets: new Set<number>(),
      zooming: 0,
    }));
  }

  camera(address = 1): CameraState {
    const cam = this.cameras[address - 1];
    if (!cam) throw new Error(`no simulated camera at address ${address}`);
    this.settle(cam);
    return cam;
  }

  /** Frames received that start with `prefix` (hex), e.g. '8101060 1' for pan-tilt drives. */
  framesMatching(hexPrefix: string): Buffer[] {
    return this.frames.filter((f) => f.toString('hex').startsWith(hexPrefix.replace(/\s/g, '')));
  }

  /** A camera powered up or re-cabled: it announces a Network Change. */
  announceNetworkChange(address = 1): void {
    this.send(Buffer.from([0x80 | ((address + 8) << 4), 0x38, 0xff]));
  }

  protected onBytes(chunk: Buffer): void {
    for (const frame of this.framer.push(chunk)) {
      this.frames.push(frame);
      this.handle(frame);
    }
  }

  private reply(bytes: number[]): void {
    const out = Buffer.from(bytes);
    if (this.options.replyDelayMs > 0) setTimeout(() => this.send(out), this.options.replyDelayMs);
    else this.send(out);
  }

  private settle(cam: CameraState): void {
    if (!cam.moving) return;
    const now = performance.now();
    const dt = (now - cam.moving.since) / 1000;
    cam.pan += Math.round(cam.moving.pan * dt * 100);
    cam.tilt += Math.round(cam.moving.tilt * dt * 100);
    cam.moving.since = now;
  }

  private handle(frame: Buffer): void {
    const h = frame[0]!;
    if (h === 0x88) {
      if (frame[1] === 0x30 && frame.length === 4) return this.reply([0x88, 0x30, frame[2]! + this.cameras.length, 0xff]);
      if (frame.equals(Buffer.from([0x88, 0x01, 0x00, 0x01, 0xff]))) {
        for (const cam of this.cameras) cam.busySockets.clear();
        return this.reply([...frame]);
      }
      return;
    }
    const address = h & 0x07;
    if ((h & 0xf8) !== 0x80 || address < 1 || address > this.cameras.length) return; // not for us
    const cam = this.cameras[address - 1]!;
    const from = 0x80 | ((address + 8) << 4);
    const body = [...frame.subarray(1, frame.length - 1)];
    const hex = Buffer.from(body).toString('hex');
    const syntax = () => this.reply([from, 0x60, 0x02, 0xff]);

    if ((body[0]! & 0xf0) === 0x20 && body.length === 1) {
      // Command Cancel: this simulator's commands finish at once or on a timer; nothing left to cancel.
      return this.reply([from, 0x60 | (body[0]! & 0x0f), 0x05, 0xff]);
    }
    if (body[0] === 0x09) return this.inquiry(cam, from, hex);
    if (body[0] !== 0x01) return syntax();

    // Power commands run in any state; everything else needs the camera on.
    const isPower = hex === '01040002' || hex === '01040003';
    if (body[1] === 0x00 && body[2] === 0x01 && body.length === 3) return this.reply([from, 0x50, 0xff]); // IF_Clear one camera
    if (!isPower && !cam.power) return this.reply([from, 0x60, 0x41, 0xff]);
    if (cam.busySockets.size >= 2) return this.reply([from, 0x60, 0x03, 0xff]);

    let holdMs = 0;
    let apply: (() => void) | undefined;
    if (isPower) apply = () => (cam.power = hex === '01040002');
    else if (hex === '01040700') apply = () => (cam.zooming = 0);
    else if (/^010407(02|03|2[0-7]|3[0-7])$/.test(hex))
      apply = () => (cam.zooming = body[3]! === 0x02 || (body[3]! & 0xf0) === 0x20 ? 1 : -1);
    else if (body[1] === 0x04 && body[2] === 0x47 && body.length === 7)
      apply = () => (cam.zoom = ((body[3]! << 12) | (body[4]! << 8) | (body[5]! << 4) | body[6]!) & 0xffff);
    else if (body[1] === 0x06 && body[2] === 0x01 && body.length === 7) {
      const [vv, ww, hh, v] = [body[3]!, body[4]!, body[5]!, body[6]!];
      if (vv < 1 || vv > 0x18 || ww < 1 || ww > 0x17 || hh < 1 || hh > 3 || v < 1 || v > 3) return syntax();
      apply = () => {
        this.settle(cam);
        const panDir = hh === 1 ? -1 : hh === 2 ? 1 : 0;
        const tiltDir = v === 1 ? 1 : v === 2 ? -1 : 0;
        cam.moving = panDir === 0 && tiltDir === 0 ? undefined : { pan: panDir * vv, tilt: tiltDir * ww, since: performance.now() };
      };
    } else if (hex === '010604') apply = () => Object.assign(cam, { pan: 0, tilt: 0, moving: undefined });
    else if (body[1] === 0x04 && body[2] === 0x3f && body.length === 5) {
      const [action, n] = [body[3]!, body[4]!];
      if (action > 2 || n > this.options.maxPreset) return syntax();
      if (action === 2) {
        // Real cameras accept a recall of a preset never saved (memories start at the home position).
        const p = cam.presets.get(n) ?? { pan: 0, tilt: 0, zoom: 0 };
        holdMs = this.options.recallMs;
        apply = () => Object.assign(cam, { ...p, moving: undefined });
      } else if (action === 1) {
        apply = () => {
          this.settle(cam);
          cam.presets.set(n, { pan: cam.pan, tilt: cam.tilt, zoom: cam.zoom });
        };
      } else apply = () => cam.presets.delete(n);
    }
    if (!apply) return syntax();

    const socket = [1, 2].find((s) => !cam.busySockets.has(s))!;
    cam.busySockets.add(socket);
    this.reply([from, 0x40 | socket, 0xff]);
    if (this.options.neverComplete) return;
    const complete = () => {
      apply();
      cam.busySockets.delete(socket);
      this.reply([from, 0x50 | socket, 0xff]);
    };
    if (holdMs > 0) setTimeout(complete, holdMs);
    else complete();
  }

  private inquiry(cam: CameraState, from: number, hex: string): void {
    this.settle(cam);
    switch (hex) {
      case '090400':
        return this.reply([from, 0x50, cam.power ? 0x02 : 0x03, 0xff]);
      case '090447':
        return this.reply([from, 0x50, ...nibbles(cam.zoom), 0xff]);
      case '090612':
        return this.reply([from, 0x50, ...nibbles(cam.pan), ...nibbles(cam.tilt), 0xff]);
      case '090438':
        return this.reply([from, 0x50, 0x02, 0xff]);
      case '090002':
        // Vendor 0x0020 (Sony), model 0x0519, ROM 0x0100, two sockets.
        return this.reply([from, 0x50, 0x00, 0x20, 0x05, 0x19, 0x01, 0x00, 0x02, 0xff]);
      default:
        return this.reply([from, 0x60, 0x02, 0xff]);
    }
  }
}
