import { connect as tcpConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitUntil } from '../helpers/net.js';
import { minimalConfig, writeTempConfig } from '../helpers/temp-config.js';

const BASE = 'classbox/test-school/room-1';

/** MQTT control packets a client sent, in order: type, and the topic of a PUBLISH or SUBSCRIBE. */
function packets(stream: Buffer): Array<{ type: number; topic?: string }> {
  const out: Array<{ type: number; topic?: string }> = [];
  let i = 0;
  while (i < stream.length) {
    const type = stream[i]! >> 4;
    let len = 0;
    let mul = 1;
    let j = i + 1;
    for (;;) {
      const b = stream[j++];
      if (b === undefined) return out;
      len += (b & 0x7f) * mul;
      mul *= 128;
      if (!(b & 0x80)) break;
    }
    if (j + len > stream.length) return out;
    const body = stream.subarray(j, j + len);
    // PUBLISH: topic first; SUBSCRIBE: packet id (2), [properties in MQTT 5], then the first filter.
    let topic: string | undefined;
    if (type === 3) topic = body.subarray(2, 2 + body.readUInt16BE(0)).toString();
    if (type === 8) {
      const text = body.toString('latin1');
      topic = /classbox\/[\w/#+-]+/.exec(text)?.[0];
    }
    out.push({ type, ...(topic ? { topic } : {}) });
    i = j + len;
  }
  return out;
}

/**
 * A dashboard reacts to the first thing a box says (its state, `online`) with a request: the box must
 * already be subscribed to requests by then. The requests part subscribes when it is built, so the
 * subscription goes out with the first connection whatever order the parts start in; requests that
 * come while the other parts start wait for them.
 */
describe('the first request', () => {
  let broker: Mosquitto;
  let box: RunningCli;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await box?.stop('SIGTERM');
    await broker.stop();
  });

  it('the box subscribes to its requests before it publishes anything', async () => {
    // A recording relay between box and broker: what the box sends, in the order it sends it.
    const sent: Buffer[] = [];
    const relay = createServer((client: Socket) => {
      const upstream = tcpConnect(Number(new URL(broker.url).port), '127.0.0.1');
      client.on('data', (d) => {
        sent.push(d);
        upstream.write(d);
      });
      upstream.on('data', (d) => client.write(d));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const url = `mqtt://127.0.0.1:${(relay.address() as AddressInfo).port}`;
    box = startCli(['run', '--config', writeTempConfig(minimalConfig(url))]);
    await waitUntil(() => packets(Buffer.concat(sent)).some((p) => p.type === 3 && p.topic === `${BASE}/availability`), 'online', 20_000);
    const order = packets(Buffer.concat(sent));
    const subscribe = order.findIndex((p) => p.type === 8 && p.topic === `${BASE}/request/#`);
    const firstPublish = order.findIndex((p) => p.type === 3);
    expect(subscribe, JSON.stringify(order)).toBeGreaterThanOrEqual(0);
    expect(subscribe, JSON.stringify(order)).toBeLessThan(firstPublish);
    await box.stop('SIGTERM');
    relay.close();
  }, 30_000);
});
