import { spawnSync } from 'node:child_process';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { freePort, waitUntil } from '../helpers/net.js';
import { tempDir } from '../helpers/temp-config.js';

const services: Service[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
});

async function box(http: Record<string, unknown>, withMedia = false) {
  const broker = await startMosquitto();
  const config = loadConfig({
    base: {
      site: 'test-school',
      room: 'room-1',
      dataDir: tempDir(),
      mqtt: { url: broker.url },
      http,
      ...(withMedia
        ? {
            profile: 'software',
            video: { width: 320, height: 180, fps: 15, bitrateKbps: 300 },
            audio: { device: 'test' },
            sources: { board: { kind: 'test' } },
          }
        : {}),
    },
    env: {},
  });
  const s = createService(
    config,
    pino({ level: 'silent' }),
    withMedia ? { runner: new GstRunner(), profile: loadBoardProfile('software') } : {},
  );
  services.push(s);
  await s.start();
  const stop = s.stop.bind(s);
  s.stop = async (r?: string) => {
    await stop(r);
    await broker.stop();
  };
  return s;
}

describe('local HTTP', () => {
  it('/healthz is 200 with the media running, /metrics speaks Prometheus', async () => {
    const port = await freePort();
    await box({ host: '127.0.0.1', port }, true);
    // A connection reset while the box starts (seen once in CI) is asked again, not a failure.
    await waitUntil(
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200,
      'healthy',
      20_000,
    );
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ status: 'ok' });
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await waitUntil(
      async () => {
        const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return /^classbox_pipeline_state\{state="running"\} 1$/m.test(t) && /^classbox_audio_level_dbfs\{path="mic"\}/m.test(t)
          ? t
          : undefined;
      },
      'pipeline running and the microphone metered in the metrics',
      20_000,
    );
    // The test tone: -23 dBFS RMS.
    expect(Number(/^classbox_audio_level_dbfs\{path="mic"\} (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(-26);
    expect(text).toMatch(/^# TYPE classbox_pipeline_state gauge$/m);
    expect(text).toMatch(/^classbox_pipeline_state\{state="running"\} 1$/m);
    expect(text).toMatch(/^classbox_mqtt_connected 1$/m);
    expect(text).toMatch(/^classbox_class_active\{mode="live"\} 0$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect((await fetch(`http://127.0.0.1:${port}/nothing`)).status).toBe(404);
    // Prometheus' own linter finds nothing in classbox's metrics (prom-client's nodejs_* are its own).
    expect(text).toMatch(/^# TYPE classbox_dropped_frames_total counter$/m);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.error).toBeUndefined();
    const complaints = `${lint.stdout}${lint.stderr}`.split('\n').filter((l) => l.trim() && !l.startsWith('nodejs_'));
    expect(complaints).toEqual([]);

    // Rates are the same for every reader: two scrapes back to back both see the 15 fps the box encodes.
    await new Promise((r) => setTimeout(r, 2000));
    const fps = async () =>
      Number(/^classbox_encoded_frames_per_second (\S+)$/m.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1]);
    const [first, second] = [await fps(), await fps()];
    for (const f of [first, second]) {
      expect(f).toBeGreaterThan(10);
      expect(f).toBeLessThan(20);
    }
  });

  it('on a non-loopback address every request needs the Bearer token', async () => {
    const port = await freePort();
    await box({ host: '0.0.0.0', port, token: 'a-token-of-16-chars-or-more' });
    const url = `http://127.0.0.1:${port}/healthz`;
    const refused = await fetch(url);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-of-the-same-l' } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer a-token-of-16-chars-or-more' } })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    // A lesson's file may carry the token in its address (a <video> sends no header); nothing else may.
    const lesson = `http://127.0.0.1:${port}/lessons/20261101T080000-math.mp4`;
    expect((await fetch(lesson)).status).toBe(401);
    expect((await fetch(`${lesson}?token=wrong-token-of-the-same-l`)).status).toBe(401);
    expect((await fetch(`${lesson}?token=a-token-of-16-chars-or-more`)).status).toBe(404);
    expect((await fetch(`${url}?token=a-token-of-16-chars-or-more`)).status).toBe(401);
  });

  it('a taken port does not stop the box', async () => {
    const port = await freePort();
    const first = await box({ host: '127.0.0.1', port });
    const second = await box({ host: '127.0.0.1', port });
    expect(first.http!.port).toBe(port);
    expect(second.classroom.running).toBe(false); // up and doing its work
    expect(second.http!.port).toBe(0);
  });

  it('a request body over 64 KB is answered 413 with the error code (the socket was cut, no answer)', async () => {
    const port = await freePort();
    await box({ host: '127.0.0.1', port });
    const res = await fetch(`http://127.0.0.1:${port}/api/request/state/get`, {
      method: 'POST',
      body: JSON.stringify({ id: 'big', pad: 'x'.repeat(100 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ status: 'error', error: { code: 'invalid_request', message: 'body larger than 64 KB' } });
    // The box goes on answering.
    const ok = await fetch(`http://127.0.0.1:${port}/api/request/state/get`, { method: 'POST', body: '{"id":"small"}' });
    expect(ok.status).toBe(200);
  });
});
