/**
 * The preview's WebRTC peers, in a process of their own (forked by PeerProcess): libwebrtc's threads
 * and node-webrtc's native code, whose crashes on a peer's close are known, cost the preview's viewers
 * and never the room. The service sends offers, frames and the joystick's answers; this process sends
 * back answers, connection states and the data channel's messages.
 */
import { wrtc, wrtcAvailability, type DataChannel, type PeerConnection, type VideoSource } from './wrtc.js';
import type { HostEvent, HostOrder } from './peer-protocol.js';

const ICE_GATHER_MS = 2000;

interface Peer {
  pc: PeerConnection;
  source: VideoSource;
  channel?: DataChannel;
}

const peers = new Map<string, Peer>();
const tell = (e: HostEvent) => {
  if (process.connected) process.send!(e);
};

async function offer(id: string, sdp: string): Promise<void> {
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  const source = new wrtc.nonstandard.RTCVideoSource();
  const peer: Peer = { pc, source };
  peers.set(id, peer);
  pc.addTrack(source.createTrack());
  pc.ondatachannel = ({ channel }) => {
    peer.channel = channel;
    channel.onmessage = (e) =>
      tell({ type: 'message', id, text: typeof e.data === 'string' ? e.data : Buffer.from(e.data).toString('utf8') });
    channel.onclose = () => tell({ type: 'channel-closed', id });
  };
  pc.onconnectionstatechange = () => tell({ type: 'state', id, state: pc.connectionState });
  await pc.setRemoteDescription({ type: 'offer', sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  // No trickle: the answer carries the candidates (a LAN, no STUN needed).
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const t = setTimeout(resolve, ICE_GATHER_MS);
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(t);
        resolve();
      }
    };
  });
  tell({ type: 'answer', id, sdp: pc.localDescription!.sdp });
}

function close(id: string): void {
  const peer = peers.get(id);
  if (!peer) return;
  peers.delete(id);
  try {
    peer.pc.close();
  } catch {
    // already closed
  }
}

process.on('message', (o: HostOrder) => {
  switch (o.type) {
    case 'offer':
      offer(o.id, o.sdp).catch((err: unknown) => {
        close(o.id);
        tell({ type: 'refused', id: o.id, message: (err as Error).message });
      });
      return;
    case 'frame': {
      // A copy: the message's bytes are a view into a larger buffer, and node-webrtc wants a frame's
      // buffer to be the frame's size exactly.
      const frame = { width: o.width, height: o.height, data: new Uint8ClampedArray(o.data) };
      for (const id of o.ids) {
        try {
          peers.get(id)?.source.onFrame(frame);
        } catch {
          // a peer closing meanwhile
        }
      }
      tell({ type: 'frame-done' });
      return;
    }
    case 'send': {
      const channel = peers.get(o.id)?.channel;
      try {
        // A channel can close between the check and the send (the tab went): an answer nobody reads is dropped.
        if (channel?.readyState === 'open') channel.send(o.text);
      } catch {
        /* closed meanwhile */
      }
      return;
    }
    case 'close':
      close(o.id);
      return;
  }
});

// The service gone: so is its preview.
process.on('disconnect', () => process.exit(0));

const can = wrtcAvailability();
tell(can.available ? { type: 'ready' } : { type: 'unavailable', reason: can.reason });
if (!can.available) process.disconnect();
