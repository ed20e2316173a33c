import type { ByteLink } from './link.js';

/**
 * Two ends of a line in memory: what one end writes the other receives, on a later turn of the event
 * loop as a wire would deliver it. Closing either end closes the line for both (the other hears it
 * went away); either end may open it again. For unit tests of protocols and devices without a
 * pseudo-terminal; the end-to-end tests keep real ones.
 */
export function memoryLinkPair(description = 'memory'): [ByteLink, ByteLink] {
  const ends = [end(`${description} (box end)`), end(`${description} (device end)`)] as const;
  ends[0].peer = ends[1];
  ends[1].peer = ends[0];
  return [ends[0].link, ends[1].link];
}

interface End {
  link: ByteLink;
  peer?: End;
  open: boolean;
  data: (chunk: Buffer) => void;
  closed: (err?: Error) => void;
}

function end(description: string): End {
  const me: End = {
    open: false,
    data: () => {},
    closed: () => {},
    link: {
      description,
      get isOpen() {
        return me.open;
      },
      open: async () => {
        me.open = true;
        if (me.peer) me.peer.open = true;
      },
      write: async (data) => {
        if (!me.open) throw new Error(`${description} is not open`);
        const copy = Buffer.from(data);
        setImmediate(() => me.peer?.open && me.peer.data(copy));
      },
      close: async () => {
        const peer = me.peer;
        const wasOpen = me.open;
        me.open = false;
        if (peer?.open) {
          peer.open = false;
          if (wasOpen) setImmediate(() => peer.closed(new Error(`${peer.link.description}: the other end closed`)));
        }
      },
      onData: (fn) => (me.data = fn),
      onClose: (fn) => (me.closed = fn),
    },
  };
  return me;
}
