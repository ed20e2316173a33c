import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ClassboxError } from '../core/errors.js';
import { TSX } from '../media/child-runner.js';
import type { HostEvent, HostOrder } from './peer-protocol.js';

const HOST = fileURLToPath(new URL('./peer-host.ts', import.meta.url));
/** An offer the peer process has not answered in this long is refused (ICE gathering gives up after 2 s). */
const ANSWER_MS = 10_000;
/** Frames on their way to the peer process at most: a slow one drops frames, the service never queues them. */
const FRAMES_IN_FLIGHT = 2;

export interface PeerEvents {
  state(id: string, state: string): void;
  message(id: string, text: string): void;
  channelClosed(id: string): void;
  /** The process died (a native crash): every peer went with it. */
  exited(how: string): void;
}

/**
 * The preview's WebRTC peers, run in a process of their own (`peer-host.ts`), started at the first offer
 * and again at the next offer after it died. A board that cannot load node-webrtc says so once, at the
 * first offer, and is not asked again.
 */
export class PeerProcess {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<string, { resolve: (sdp: string) => void; reject: (err: Error) => void }>();
  private inFlight = 0;
  private stopped = false;

  constructor(private readonly events: PeerEvents) {}

  /** The peer process's pid while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The answer to a viewer's offer, from a new peer named `id`. */
  async answer(id: string, sdp: string): Promise<string> {
    await this.start();
    return new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('no answer from the preview process'));
      }, ANSWER_MS);
      this.pending.set(id, {
        resolve: (s) => (clearTimeout(t), resolve(s)),
        reject: (e) => (clearTimeout(t), reject(e)),
      });
      this.order({ type: 'offer', id, sdp });
    });
  }

  /** One raw I420 frame to the peers named; dropped while the process is behind. */
  frame(ids: string[], width: number, height: number, data: Buffer): void {
    if (ids.length === 0 || this.inFlight >= FRAMES_IN_FLIGHT) return;
    if (this.order({ type: 'frame', ids, width, height, data })) this.inFlight++;
  }

  send(id: string, text: string): void {
    this.order({ type: 'send', id, text });
  }

  close(id: string): void {
    this.order({ type: 'close', id });
  }

  stop(): void {
    this.stopped = true;
    this.child?.kill('SIGTERM');
  }

  private order(o: HostOrder): boolean {
    const child = this.child;
    if (!child?.connected) return false;
    child.send(o, (err) => err && undefined);
    return true;
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    this.stopped = false;
    const child = fork(HOST, [], {
      execArgv: ['--import', TSX],
      // Frames go as bytes, not as JSON.
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    let unavailable = false;
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (e: HostEvent) => {
        switch (e.type) {
          case 'ready':
            return resolve();
          case 'unavailable':
            unavailable = true;
            return reject(new ClassboxError('conflict', `the preview is not available on this board: ${e.reason}`));
          case 'answer':
          case 'refused': {
            const p = this.pending.get(e.id);
            this.pending.delete(e.id);
            if (e.type === 'answer') p?.resolve(e.sdp);
            else p?.reject(new Error(e.message));
            return;
          }
          case 'state':
            return this.events.state(e.id, e.state);
          case 'message':
            return this.events.message(e.id, e.text);
          case 'channel-closed':
            return this.events.channelClosed(e.id);
          case 'frame-done':
            this.inFlight = Math.max(0, this.inFlight - 1);
            return;
        }
      });
      child.on('error', () => undefined);
      child.on('exit', (code, signal) => {
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        reject(new ClassboxError('conflict', `the preview's process ${how} as it started`));
        if (this.child !== child) return;
        this.child = undefined;
        this.inFlight = 0;
        // Unavailable stays so (the answer is kept); a crash is started again at the next offer.
        if (!unavailable) this.ready = undefined;
        for (const p of this.pending.values()) p.reject(new Error(`the preview's process ${how}`));
        this.pending.clear();
        if (!unavailable && !this.stopped) this.events.exited(how);
      });
    });
    ready.catch(() => undefined);
    this.ready = ready;
    return ready;
  }
}
