import { describe, expect, it } from 'vitest';
import { parseSrtStats } from '../../src/media/srt-stats.js';

// As srtsink and srtsrc (GStreamer 1.22) serialise their `stats`, read from a real pair on loopback.
const LISTENER =
  'application/x-srt-statistics, callers=(GValueArray)< "application/x-srt-statistics\\,\\ packets-sent\\=\\(gint64\\)2569\\,\\ packets-sent-lost\\=\\(int\\)7\\,\\ packets-retransmitted\\=\\(int\\)9\\,\\ packet-ack-received\\=\\(int\\)101\\,\\ packets-sent-dropped\\=\\(int\\)1\\,\\ negotiated-latency-ms\\=\\(int\\)125\\,\\ packets-received\\=\\(gint64\\)0\\,\\ packets-received-lost\\=\\(int\\)0\\,\\ rtt-ms\\=\\(double\\)40.271000000000001\\,\\ caller-address\\=\\(GSocketAddress\\)NULL\\;", "application/x-srt-statistics\\,\\ packets-sent\\=\\(gint64\\)1000\\,\\ packets-sent-lost\\=\\(int\\)3\\,\\ packets-retransmitted\\=\\(int\\)4\\,\\ packet-ack-received\\=\\(int\\)50\\,\\ packets-sent-dropped\\=\\(int\\)0\\,\\ negotiated-latency-ms\\=\\(int\\)200\\,\\ rtt-ms\\=\\(double\\)80.5\\;" >, bytes-sent-total=(guint64)482972;';
const SOURCE =
  'application/x-srt-statistics, packets-sent=(gint64)0, packets-sent-lost=(int)0, packets-retransmitted=(int)0, packet-ack-received=(int)0, packet-nack-received=(int)0, send-duration-us=(guint64)0, bytes-sent=(guint64)0, packets-sent-dropped=(int)0, send-rate-mbps=(double)0, negotiated-latency-ms=(int)125, packets-received=(gint64)2603, packets-received-lost=(int)12, packet-ack-sent=(int)101, packet-nack-sent=(int)5, bytes-received=(guint64)603896, receive-rate-mbps=(double)1.9177861633622295, bandwidth-mbps=(double)330.33600000000001, rtt-ms=(double)0.245, bytes-received-total=(guint64)463420;';

describe('SRT statistics', () => {
  it('sums a listener output over its callers and keeps the worst round trip', () => {
    expect(parseSrtStats(LISTENER)).toEqual({
      peers: 2,
      rttMs: 80.5,
      packets: 3569,
      packetsLost: 10,
      packetsRetransmitted: 13,
      packetsDropped: 1,
      latencyMs: 200,
    });
  });

  it('reads a source (one peer, received packets and losses)', () => {
    expect(parseSrtStats(SOURCE)).toEqual({
      peers: 1,
      rttMs: 0.25,
      packets: 2603,
      packetsLost: 12,
      packetsRetransmitted: 0,
      packetsDropped: 0,
      latencyMs: 125,
    });
  });

  it('a listener nobody called, or a caller not yet through, has no peers', () => {
    expect(parseSrtStats('application/x-srt-statistics, callers=(GValueArray)< >, bytes-sent-total=(guint64)0;')).toMatchObject({
      peers: 0,
      rttMs: null,
      packets: 0,
    });
    expect(
      parseSrtStats(
        SOURCE.replace('packets-received=(gint64)2603', 'packets-received=(gint64)0').replace(
          'packet-ack-sent=(int)101',
          'packet-ack-sent=(int)0',
        ),
      ),
    ).toMatchObject({ peers: 0 });
  });

  it('is null for anything that is not SRT statistics', () => {
    expect(parseSrtStats(undefined)).toBeNull();
    expect(parseSrtStats('application/x-rtp-source-stats, ssrc=(uint)1;')).toBeNull();
  });
});
