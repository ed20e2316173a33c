import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freePort } from '../helpers/net.js';
import { roomConfig, tempDir, writeTempConfig } from '../helpers/temp-config.js';
import { requireTool } from '../helpers/tools.js';

const HIDE = fileURLToPath(new URL('../fixtures/without-wrtc.mjs', import.meta.url));
const BASE = 'classbox/armhf-school/room-1';

/**
 * A board @roamhq/wrtc has no build for (32-bit ARM): the module cannot be loaded. The box starts, runs
 * a class and records; only the preview is missing, and the page and `doctor` say why.
 */
describe('a box without the WebRTC module', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let box: RunningCli;
  let url: string;
  let config: string;
  let browser: Browser | undefined;
  const env = { NODE_OPTIONS: `--import ${HIDE}` };

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    config = writeTempConfig(
      roomConfig('armhf-school', 'room-1', broker.url, {
        httpPort: port,
        video: { width: 320, height: 180, fps: 15, bitrateKbps: 300 },
        sources: { board: { kind: 'test' } },
        outputs: [{ name: 'archive', kind: 'record', dir: tempDir(), segmentS: 10 }],
      }),
    );
    box = startCli(['run', '--config', config], { env });
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 30_000);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await box?.stop('SIGTERM');
    await watch?.close();
    await broker?.stop();
  });

  it('starts, runs a class and records; the preview answers why it is missing', async () => {
    const r = await requester(watch, BASE)('class/start', { mode: 'recorded', name: 'No preview' });
    expect(r.status).toBe('ok');
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).recording === true, 10_000);
    const whep = await fetch(`${url}/whep`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0\r\n' });
    expect(whep.status).toBe(409);
    expect(((await whep.json()) as { error: { message: string } }).error.message).toMatch(
      /^the preview is not available on this board: @roamhq\/wrtc could not be loaded on linux-/,
    );
    expect(box.output()).not.toMatch(/Cannot find module '@roamhq\/wrtc'.*\n.*at /);
  });

  it('the page says so where the picture would be', async () => {
    browser = await chromium.launch({ executablePath: requireTool('chromium'), args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage();
    await page.goto(url);
    await page.locator('#msg', { hasText: 'preview: the preview is not available on this board' }).waitFor({ timeout: 10_000 });
  });

  it('doctor names it as a warning, not a failure', async () => {
    const r = await runCli(['doctor', '--json'], { env, timeoutMs: 60_000 });
    const report = JSON.parse(r.stdout) as { checks: Array<{ name: string; status: string; detail: string }> };
    const preview = report.checks.find((c) => c.name === 'preview');
    expect(preview?.status).toBe('warn');
    expect(preview?.detail).toMatch(/no WebRTC preview on this board/);
  }, 60_000);
});
