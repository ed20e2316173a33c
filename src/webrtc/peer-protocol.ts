/** What the service tells the preview's peer process (src/webrtc/peer-host.ts). */
export type HostOrder =
  | { type: 'offer'; id: string; sdp: string }
  | { type: 'frame'; ids: string[]; width: number; height: number; data: Uint8Array }
  | { type: 'send'; id: string; text: string }
  | { type: 'close'; id: string };

/** What the peer process tells the service. */
export type HostEvent =
  | { type: 'ready' }
  | { type: 'unavailable'; reason: string }
  | { type: 'answer'; id: string; sdp: string }
  | { type: 'refused'; id: string; message: string }
  | { type: 'state'; id: string; state: string }
  | { type: 'message'; id: string; text: string }
  | { type: 'channel-closed'; id: string }
  | { type: 'frame-done' };
