import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ClassboxError, toClassboxError } from '../core/errors.js';
import type { CommandTable } from '../requests/command-table.js';
import type { Part } from '../core/lifecycle.js';
import { PREVIEW } from '../media/graph.js';
import { COMPOSITE, type MediaEngine } from '../media/engine.js';
import { PeerProcess } from './peer-process.js';

/** No joystick message for this long while a camera moves: the viewer is gone or stuck, stop it. */
export const DEAD_MAN_MS = 500;
/** A viewer that has not connected this long after its answer frees its slot (a tab closed mid-offer). */
const CONNECT_DEADLINE_MS = 15_000;
/** The peers' process ends this long after its last viewer left: a box nobody previews does not carry libwebrtc. */
const PEERS_IDLE_MS = 60_000;

interface Viewer {
  id: string;
  /** `composite`, or a source's name. */
  feed: string;
  connected: boolean;
  /** Cameras this viewer moves: the move sent, and its dead-man timer. */
  moving: Map<string, { timer: NodeJS.Timeout; move: string }>;
}

export interface PreviewContext {
  media: MediaEngine | undefined;
  /** The room's requests: the joystick's moves go through it like any other. */
  table: CommandTable;
  log: Logger;
  maxViewers: number;
}

/**
 * The technician's live preview over WebRTC (WHEP: an SDP offer in, the answer out) and the PTZ
 * joystick over the same connection's data channel. Frames come small (640x360 at 15 fps, I420) from
 * the composite's preview branch, whose valve opens only while someone watches; a slow viewer drops
 * frames in WebRTC's own queue and never holds the pipeline. A joystick move repeats while held: when
 * the messages stop (a closed tab, a dropped link) the camera is stopped after 500 ms. The peers
 * themselves run in a process of their own (PeerProcess): node-webrtc's native crashes cost the
 * viewers, whose cameras are stopped, and never the room.
 */
export class Preview implements Part {
  /** How long an answered viewer may take to connect before its slot is freed. */
  connectDeadlineMs = CONNECT_DEADLINE_MS;
  /** How long the peers' process outlives its last viewer. */
  peersIdleMs = PEERS_IDLE_MS;
  readonly name = 'preview';
  private readonly viewers = new Map<string, Viewer>();
  private readonly log: Logger;
  private readonly peers: PeerProcess;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: PreviewContext) {
    this.log = ctx.log.child({ part: 'preview' });
    this.peers = new PeerProcess({
      state: (id, state) => {
        const v = this.viewers.get(id);
        if (!v) return;
        if (state === 'connected') v.connected = true;
        if (['failed', 'closed', 'disconnected'].includes(state)) this.close(id);
      },
      message: (id, text) => {
        const v = this.viewers.get(id);
        if (v) this.joystick(v, text);
      },
      // The page's channel closes with its tab: the viewer is gone (sooner than ICE would say so).
      channelClosed: (id) => this.close(id),
      exited: (how) => {
        this.log.error({ how, viewers: this.viewers.size }, "the preview's process died: its viewers are dropped, their cameras stopped");
        for (const id of [...this.viewers.keys()]) this.close(id);
      },
    });
  }

  /** The peers' process while it runs. */
  get peerPid(): number | undefined {
    return this.peers.pid;
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    for (const id of [...this.viewers.keys()]) this.close(id);
    clearTimeout(this.idle);
    this.peers.stop();
  }

  private frame(feed: string, buf: Buffer): void {
    const ids = [...this.viewers.values()].filter((v) => v.feed === feed).map((v) => v.id);
    this.peers.frame(ids, PREVIEW.width, PREVIEW.height, buf);
  }

  /** WHEP: answers an offer for the composite or one source; the id names the session for its DELETE. */
  async offer(sdp: string, feed = COMPOSITE): Promise<{ id: string; answer: string }> {
    if (!this.ctx.media) throw new ClassboxError('conflict', 'this box runs no media to preview');
    if (!this.ctx.media.previewFeeds().includes(feed))
      throw new ClassboxError('not_found', `nothing to preview as "${feed.slice(0, 64)}" (${this.ctx.media.previewFeeds().join(', ')})`);
    if (this.viewers.size >= this.ctx.maxViewers)
      throw new ClassboxError('device_busy', `${this.ctx.maxViewers} viewers already (http.maxViewers)`);
    if (!/^v=0\r?\n/.test(sdp) || sdp.length > 64 * 1024) throw new ClassboxError('invalid_request', 'the body must be an SDP offer');
    clearTimeout(this.idle);
    const id = randomUUID();
    const v: Viewer = { id, feed, connected: false, moving: new Map() };
    this.viewers.set(id, v);
    if (this.watching(feed) === 1) this.ctx.media.setPreviewSink(feed, (buf) => this.frame(feed, buf));
    let answer: string;
    try {
      answer = await this.peers.answer(id, sdp);
    } catch (err) {
      this.close(id);
      if (err instanceof ClassboxError) throw err;
      throw new ClassboxError('invalid_request', `offer not accepted: ${(err as Error).message}`);
    }
    // An offer answered and never connected (the browser went away, ICE never met) held a slot forever.
    const deadline = setTimeout(() => {
      if (this.viewers.get(id) === v && !v.connected) {
        this.log.info({ viewer: id }, 'preview viewer never connected; slot freed');
        this.close(id);
      }
    }, this.connectDeadlineMs);
    deadline.unref();
    this.log.info({ viewer: id, viewers: this.viewers.size }, 'preview viewer joined');
    return { id, answer };
  }

  private watching(feed: string): number {
    return [...this.viewers.values()].filter((v) => v.feed === feed).length;
  }

  close(id: string): boolean {
    const v = this.viewers.get(id);
    if (!v) return false;
    this.viewers.delete(id);
    for (const camera of [...v.moving.keys()]) this.release(v, camera, 'viewer gone');
    this.peers.close(id);
    if (this.watching(v.feed) === 0) this.ctx.media?.setPreviewSink(v.feed, undefined);
    if (this.viewers.size === 0) {
      clearTimeout(this.idle);
      this.idle = setTimeout(() => this.viewers.size === 0 && this.peers.stop(), this.peersIdleMs).unref();
    }
    this.log.info({ viewer: id, viewers: this.viewers.size }, 'preview viewer left');
    return true;
  }

  private release(v: Viewer, camera: string, why: string): void {
    clearTimeout(v.moving.get(camera)?.timer);
    v.moving.delete(camera);
    // Said, so a technician knows why a camera stopped by itself (a viewer's network that went quiet).
    this.log.info({ camera, why }, 'joystick released for its viewer: camera stopped');
    this.request('ptz/stop', { camera }).catch((err: unknown) => this.log.warn({ err, camera, why }, 'stop not sent'));
  }

  /**
   * `{"type":"move","camera","direction","speed"}` repeated while held (every 200 ms), `{"type":"stop",
   * "camera"}` on release, `{"type":"zoom","camera","direction"}`, `{"type":"recall","camera","preset"}`.
   * Each answers `{"ok":true}` or `{"ok":false,"code","message"}` on the channel.
   */
  private joystick(v: Viewer, text: string): void {
    void this.command(v, text).then(
      () => this.peers.send(v.id, '{"ok":true}'),
      (err: unknown) => {
        const c = toClassboxError(err);
        this.peers.send(v.id, JSON.stringify({ ok: false, code: c.code, message: c.message }));
      },
    );
  }

  /**
   * A joystick message, through the same command table as every other request (`ptz/move`, `ptz/stop`,
   * `ptz/zoom`, `ptz/recall`): the same validation, device lanes and error codes. What is the joystick's
   * own is the held button: a repeat of the same move is not sent again, and silence stops the camera.
   */
  private async command(v: Viewer, text: string): Promise<void> {
    let m: { type?: unknown; camera?: unknown; direction?: unknown; speed?: unknown; preset?: unknown };
    try {
      m = JSON.parse(text.slice(0, 1024));
    } catch {
      throw new ClassboxError('invalid_json', 'joystick messages are JSON');
    }
    if (typeof m !== 'object' || m === null) throw new ClassboxError('invalid_request', 'joystick messages are JSON objects');
    if (typeof m.camera !== 'string') throw new ClassboxError('invalid_request', 'camera: required');
    const camera = m.camera;
    switch (m.type) {
      case 'move': {
        const speed = typeof m.speed === 'number' ? Math.min(100, Math.max(1, Math.round(m.speed))) : 50;
        const move = `${String(m.direction)}:${speed}`;
        const before = v.moving.get(camera);
        // A held button repeats its move: the camera is told once (and again when the move changes);
        // the repeats keep the dead-man quiet.
        if (before?.move !== move) await this.request('ptz/move', { camera, direction: m.direction, speed });
        clearTimeout(before?.timer);
        v.moving.set(camera, { timer: setTimeout(() => this.release(v, camera, 'dead-man'), DEAD_MAN_MS), move });
        return;
      }
      case 'stop':
        clearTimeout(v.moving.get(camera)?.timer);
        v.moving.delete(camera);
        await this.request('ptz/stop', { camera });
        return;
      case 'zoom':
        await this.request('ptz/zoom', { camera, direction: m.direction });
        return;
      case 'recall':
        await this.request('ptz/recall', { camera, preset: m.preset });
        return;
      default:
        throw new ClassboxError('unknown_command', 'type: move, stop, zoom or recall');
    }
  }

  private async request(name: string, args: Record<string, unknown>): Promise<unknown> {
    const r = await this.ctx.table.handle(name, Buffer.from(JSON.stringify(args)));
    if (r.status === 'error') throw new ClassboxError(r.error.code, r.error.message);
    return r.data;
  }
}
