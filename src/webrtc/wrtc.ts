import { createRequire } from 'node:module';

/**
 * The part of node-webrtc (@roamhq/wrtc, the maintained fork; its binary ships in the npm package)
 * that classbox uses, typed here: its own types lean on the browser's DOM library, which a Node
 * service does not load.
 */
export interface DataChannel {
  readonly label: string;
  readyState: string;
  onmessage: ((e: { data: string | ArrayBuffer }) => void) | null;
  onclose: (() => void) | null;
  send(data: string): void;
  close(): void;
}

export interface PeerConnection {
  connectionState: string;
  iceGatheringState: string;
  localDescription: { type: string; sdp: string } | null;
  onconnectionstatechange: (() => void) | null;
  onicegatheringstatechange: (() => void) | null;
  ondatachannel: ((e: { channel: DataChannel }) => void) | null;
  ontrack: ((e: { track: MediaTrack }) => void) | null;
  addTrack(track: MediaTrack): unknown;
  addTransceiver(kind: string, init: { direction: string }): unknown;
  createDataChannel(label: string): DataChannel;
  setRemoteDescription(d: { type: string; sdp: string }): Promise<void>;
  setLocalDescription(d?: { type: string; sdp: string }): Promise<void>;
  createAnswer(): Promise<{ type: string; sdp: string }>;
  createOffer(): Promise<{ type: string; sdp: string }>;
  close(): void;
}

export interface MediaTrack {
  stop(): void;
}

export interface VideoSource {
  createTrack(): MediaTrack;
  onFrame(frame: { width: number; height: number; data: Uint8ClampedArray }): void;
}

export interface VideoSink {
  onframe: ((e: { frame: { width: number; height: number } }) => void) | null;
  stop(): void;
}

interface Wrtc {
  RTCPeerConnection: new (config?: Record<string, unknown>) => PeerConnection;
  nonstandard: { RTCVideoSource: new () => VideoSource; RTCVideoSink: new (track: MediaTrack) => VideoSink };
}

export type WrtcAvailability = { available: true } | { available: false; reason: string };

let loaded: Wrtc | undefined;
let availability: WrtcAvailability | undefined;

/**
 * Whether this machine can run the preview, tried once. @roamhq/wrtc ships binaries for linux-x64 and
 * linux-arm64 only: on 32-bit Raspberry Pi OS (linux-arm) it cannot load, and the rest of the box must
 * not care.
 */
export function wrtcAvailability(): WrtcAvailability {
  if (availability) return availability;
  try {
    loaded = createRequire(import.meta.url)('@roamhq/wrtc') as Wrtc;
    availability = { available: true };
  } catch (err) {
    const arch = `${process.platform}-${process.arch}`;
    const first = String((err as Error).message)
      .split('\n')[0]!
      .slice(0, 200);
    availability = {
      available: false,
      reason:
        process.arch === 'arm'
          ? `@roamhq/wrtc has no build for 32-bit ARM (${arch}); a 64-bit OS on the same board has one`
          : `@roamhq/wrtc could not be loaded on ${arch}: ${first}`,
    };
  }
  return availability;
}

/** Loaded at first use (a viewer's first offer): a box nobody previews does not carry libwebrtc. */
export const wrtc = new Proxy({} as Wrtc, {
  get: (_target, key: keyof Wrtc) => {
    const a = wrtcAvailability();
    if (!a.available) throw new Error(`the preview is not available on this board: ${a.reason}`);
    return loaded![key];
  },
});
