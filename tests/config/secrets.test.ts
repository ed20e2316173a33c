import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactDeep, redactText } from '../../src/core/redact.js';
import { startCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freePort, freeUdpPort, waitUntil } from '../helpers/net.js';
import { tempDir, writeTempConfig } from '../helpers/temp-config.js';

const BASE = 'classbox/secret-school/room-3';
/** A user name is no secret (config/get shows `mqtt.username`); in a URL it goes with the password. */
const MQTT_USER = 'box-user-51e2';
const SECRETS = {
  mqttPassword: 'mqtt-pass-7f3a9c',
  rtmpKey: 'live_8817263_aZ9qRkey',
  srtPassphrase: 'srt-passphrase-2b6d8e1f',
  srtStreamId: 'publish-stream-id-4c1d',
  icalUser: 'cal-user-91ab',
  icalPassword: 'cal-pass-c0ffee42',
  icalToken: 'ical-token-77d1e0aa',
  s3Secret: 's3-secret-6a5b4c3d2e1f',
  httpToken: 'http-token-abcdef0123456789',
};

describe('secrets never leave the box', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let calendar: ReturnType<typeof createServer>;
  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    // A calendar server that refuses: the fetch failure (with its URL) is logged and sent as an event.
    calendar = createServer((req, res) => res.writeHead(401).end('no'));
    await new Promise<void>((r) => calendar.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    calendar.close();
    await watch.close();
    await broker.stop();
  });

  it('no log line, MQTT message or API answer of a run with every secret set carries one', async () => {
    const rtmpPort = await freePort();
    const srtPort = await freeUdpPort();
    const calPort = (calendar.address() as AddressInfo).port;
    const httpPort = await freePort();
    const config = writeTempConfig({
      site: 'secret-school',
      room: 'room-3',
      profile: 'software',
      dataDir: tempDir(),
      mqtt: { url: `mqtt://${MQTT_USER}:${SECRETS.mqttPassword}@127.0.0.1:${new URL(broker.url).port}` },
      http: { host: '127.0.0.1', port: httpPort, token: SECRETS.httpToken },
      video: { width: 320, height: 180, fps: 15, bitrateKbps: 300, keyframeIntervalS: 1 },
      sources: { board: { kind: 'test' } },
      outputs: [
        { name: 'platform', kind: 'rtmp', url: `rtmp://127.0.0.1:${rtmpPort}/live/${SECRETS.rtmpKey}` },
        {
          name: 'anchor',
          kind: 'srt',
          url: `srt://127.0.0.1:${srtPort}?mode=caller&passphrase=${SECRETS.srtPassphrase}&streamid=${SECRETS.srtStreamId}`,
        },
      ],
      schedule: { icalUrl: `http://${SECRETS.icalUser}:${SECRETS.icalPassword}@127.0.0.1:${calPort}/cal.ics?token=${SECRETS.icalToken}` },
      upload: { endpoint: 'http://127.0.0.1:1', bucket: 'lessons', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRETS.s3Secret },
    });
    const since = watch.messages.length;
    const box = startCli(['run', '--config', config], { env: { CLASSBOX_LOG_LEVEL: 'debug' } });
    let api: string;
    try {
      await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 20_000, since);
      await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'schedule.fetch_failed', 20_000, since);
      const request = requester(watch, BASE);
      // A class turns the outputs on: they fail to connect, and say so with their URLs.
      expect((await request('class/start', { mode: 'live' })).status).toBe('ok');
      await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'output.down', 20_000, since);
      expect((await request('config/get')).status).toBe('ok');
      await request('schedule/get');
      const res = await fetch(`http://127.0.0.1:${httpPort}/api/state`, { headers: { authorization: `Bearer ${SECRETS.httpToken}` } });
      api = await res.text();
      expect(res.status).toBe(200);
      await waitUntil(() => box.output().includes('"level":20') || box.output().length > 2000, 'debug output', 5000);
      await request('class/stop');
    } finally {
      await box.stop('SIGTERM');
    }
    const everything = [box.output(), api, ...watch.messages.slice(since).map((m) => `${m.topic} ${m.payload}`)].join('\n');
    // The run said something about each thing that holds a secret (so the check is not vacuous).
    expect(everything).toContain('live/[redacted]');
    expect(everything).toContain('passphrase=[redacted]');
    expect(everything).toMatch(/http:\/\/\[redacted\]@127\.0\.0\.1/);
    for (const [name, secret] of Object.entries(SECRETS)) {
      const at = everything.indexOf(secret);
      expect(at, `${name} leaked: …${everything.slice(Math.max(0, at - 120), at + 40)}…`).toBe(-1);
    }
  }, 90_000);

  it('redactText covers credentials, secret parameters and RTMP keys, and leaves the rest', () => {
    expect(redactText('rtmp://a.example/live/KEY123')).toBe('rtmp://a.example/live/[redacted]');
    expect(redactText('rtmp://a.example/live')).toBe('rtmp://a.example/live');
    expect(redactText('srt://h:9000?mode=caller&passphrase=abc&latency=20')).toBe(
      'srt://h:9000?mode=caller&passphrase=[redacted]&latency=20',
    );
    expect(redactText('failed: https://u:p@cal.example/x.ics?token=t1')).toBe(
      'failed: https://[redacted]@cal.example/x.ics?token=[redacted]',
    );
    expect(redactText('mqtt://127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
    expect(redactText('no urls here')).toBe('no urls here');
    expect(redactDeep({ a: { password: 'x', list: ['srt://h?streamid=s'] } })).toEqual({
      a: { password: '[redacted]', list: ['srt://h?streamid=[redacted]'] },
    });
  });
});
