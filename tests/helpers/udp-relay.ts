import { createSocket, type RemoteInfo } from 'node:dgram';

export interface UdpRelay {
  port: number;
  /** Datagrams forwarded and dropped, each way. */
  counts: { forwarded: number; dropped: number };
  /** The network down (every datagram lost, either way) or back. */
  cut(down: boolean): void;
  close(): Promise<void>;
}

/**
 * A bad network between an SRT caller and its listener: every datagram, either way, waits `delayMs`
 * and is dropped with probability `loss`. The caller connects to `port`; the relay speaks to the
 * listener at `target` from a socket of its own.
 */
export async function udpRelay(target: number, opts: { loss: number; delayMs: number; seed?: number }): Promise<UdpRelay> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  let caller: RemoteInfo | undefined;
  const counts = { forwarded: 0, dropped: 0 };
  // A fixed sequence of losses (xorshift), so that a run can be repeated.
  let state = opts.seed ?? 0x9e3779b9;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  let closed = false;
  let down = false;
  const pending = new Set<NodeJS.Timeout>();
  const pass = (send: () => void) => {
    if (down || random() < opts.loss) {
      counts.dropped++;
      return;
    }
    counts.forwarded++;
    const t = setTimeout(() => {
      pending.delete(t);
      if (!closed) send();
    }, opts.delayMs);
    pending.add(t);
  };
  front.on('message', (msg, from) => {
    caller = from;
    pass(() => back.send(msg, target, '127.0.0.1'));
  });
  back.on('message', (msg) => {
    const to = caller;
    if (to) pass(() => front.send(msg, to.port, to.address));
  });
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', r));
  return {
    port: front.address().port,
    counts,
    cut: (d) => {
      down = d;
    },
    close: async () => {
      closed = true;
      for (const t of pending) clearTimeout(t);
      await new Promise<void>((r) => front.close(() => r()));
      await new Promise<void>((r) => back.close(() => r()));
    },
  };
}
