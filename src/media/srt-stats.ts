/**
 * An SRT link as srtsink/srtsrc count it (their `stats` property): how far away the other side is and
 * what the network cost. A listener output has one set of figures per caller (each receiving
 * classroom); they are summed, and the worst round trip kept.
 */
export interface SrtLinkStats {
  /** Callers of a listener output; 1 for a caller or a source with its peer; 0 while alone. */
  peers: number;
  /** Round trip, ms (the worst peer's); null while alone. */
  rttMs: number | null;
  /** Packets sent (an output) or received (a source). */
  packets: number;
  /** Packets the network lost (reported by the receiver, or found missing). */
  packetsLost: number;
  /** Packets sent again after a loss. */
  packetsRetransmitted: number;
  /** Packets given up: too late to be of use within the latency. */
  packetsDropped: number;
  /** The latency both sides agreed on, ms. */
  latencyMs: number | null;
}

type Fields = Record<string, number>;

/** One `application/x-srt-statistics` structure's numeric fields (a caller's stats are one). */
export function fieldsOf(segment: string): Fields {
  const fields: Fields = {};
  for (const m of segment.matchAll(/([a-z-]+)=\((?:g?u?int(?:64)?|double)\)(-?[\d.e+-]+)/g)) fields[m[1]!] = Number(m[2]);
  return fields;
}

/** The figures of a serialised `stats` structure; null when there are none (not an SRT element). */
export function parseSrtStats(text: unknown): SrtLinkStats | null {
  if (typeof text !== 'string' || !text.startsWith('application/x-srt-statistics')) return null;
  // A listener's callers are structures serialised inside a string: unescape them in place.
  const flat = text.replace(/\\(.)/g, '$1');
  const peers = flat
    .split('application/x-srt-statistics')
    .map(fieldsOf)
    // A caller that has not reached its listener has a structure of zeros: not a peer yet.
    .filter(
      (f) =>
        f['rtt-ms'] !== undefined &&
        (f['packets-sent'] ?? 0) + (f['packets-received'] ?? 0) + (f['packet-ack-received'] ?? 0) + (f['packet-ack-sent'] ?? 0) > 0,
    );
  const sum = (...keys: string[]) => peers.reduce((n, f) => n + keys.reduce((k, key) => k + (f[key] ?? 0), 0), 0);
  const max = (key: string) => (peers.length ? Math.max(...peers.map((f) => f[key] ?? 0)) : null);
  const rtt = max('rtt-ms');
  return {
    peers: peers.length,
    rttMs: rtt === null ? null : Math.round(rtt * 100) / 100,
    packets: sum('packets-sent', 'packets-received'),
    packetsLost: sum('packets-sent-lost', 'packets-received-lost'),
    packetsRetransmitted: sum('packets-retransmitted'),
    packetsDropped: sum('packets-sent-dropped'),
    latencyMs: max('negotiated-latency-ms'),
  };
}
