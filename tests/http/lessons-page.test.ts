import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { requester, watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freePort, sleep } from '../helpers/net.js';
import { roomConfig, tempDir, writeTempConfig } from '../helpers/temp-config.js';
import { requireTool } from '../helpers/tools.js';

const BASE = 'classbox/page-school/room-5';

/** A technician reviews a lesson on the box's page in headless Chromium: it plays, and seeks. */
describe('lessons on the technician page', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let box: RunningCli;
  let browser: Browser;
  let url: string;
  let id: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = writeTempConfig(
      roomConfig('page-school', 'room-5', broker.url, {
        httpPort: port,
        video: { width: 320, height: 180, fps: 15, bitrateKbps: 400, keyframeIntervalS: 1 },
        audio: { device: 'test' },
        sources: { board: { kind: 'test', pattern: 'ball' } },
        outputs: [{ name: 'archive', kind: 'record', dir: tempDir('classbox-rec-'), segmentS: 10, minFreeMB: 0 }],
      }),
    );
    box = startCli(['run', '--config', config]);
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 30_000);
    const request = requester(watch, BASE, 30_000);
    id = (await request('class/start', { mode: 'recorded', name: 'Biology' })).data.id as string;
    await sleep(14_000);
    const since = watch.messages.length;
    await request('class/stop');
    await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'recording.lesson', 60_000, since);
    browser = await chromium.launch({
      executablePath: requireTool('chromium'),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await box?.stop('SIGTERM');
    await watch.close();
    await broker.stop();
  });

  it('lists the lesson with its thumbnail; a click plays it (time goes on), a chapter seeks', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    const row = page.locator(`#lessons tr[data-lesson="${id}"]`);
    await row.waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toMatch(/Biology · recorded/);
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('#lessons img')?.naturalWidth === 320, undefined, {
      timeout: 10_000,
    });
    await row.click();
    const video = () =>
      page.evaluate(() => {
        const v = document.getElementById('lesson') as HTMLVideoElement;
        return { t: v.currentTime, duration: v.duration, width: v.videoWidth, error: v.error?.message ?? null, paused: v.paused };
      });
    await page.waitForFunction(() => (document.getElementById('lesson') as HTMLVideoElement).currentTime > 0.5, undefined, {
      timeout: 20_000,
    });
    const a = await video();
    await sleep(1500);
    const b = await video();
    expect(a.error).toBeNull();
    expect(a.width).toBe(320);
    expect(a.duration).toBeGreaterThan(13);
    expect(b.t).toBeGreaterThan(a.t + 0.8);
    // The chapter where the second segment begins (10 s in): the browser asks for the bytes it needs.
    await page.locator('#chapters button', { hasText: 'Part 2' }).click();
    await page.waitForFunction(() => (document.getElementById('lesson') as HTMLVideoElement).currentTime >= 10, undefined, {
      timeout: 10_000,
    });
    const c = await video();
    await sleep(1000);
    const d = await video();
    expect(c.t).toBeGreaterThanOrEqual(10);
    expect(d.t).toBeGreaterThan(c.t);
    expect(d.error).toBeNull();
    await page.close();
  }, 60_000);
});
