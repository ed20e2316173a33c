import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { PjlinkProjectorSim } from '../../src/sim/pjlink-projector.js';
import { ViscaCameraSim } from '../../src/sim/visca-camera.js';
import { ROOT } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { freePort, sleep, waitUntil } from '../helpers/net.js';
import { createPtyPair, type PtyPair } from '../helpers/pty.js';
import { requireTool } from '../helpers/tools.js';
import { tempDir } from '../helpers/temp-config.js';

/** The technician's page in headless Chromium (Debian's), driven by playwright-core. */
describe('technician page in Chromium', () => {
  let broker: Mosquitto;
  let pty: PtyPair;
  let camera: ViscaCameraSim;
  let projector: PjlinkProjectorSim;
  let service: Service;
  const logLines: string[] = [];
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    pty = await createPtyPair();
    camera = new ViscaCameraSim(pty.b);
    await camera.start();
    projector = new PjlinkProjectorSim({ warmUpMs: 300 });
    const pjPort = await projector.start();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      base: {
        site: 'demo-school',
        room: 'room-101',
        dataDir: tempDir(),
        profile: 'software',
        mqtt: { url: broker.url },
        http: { host: '127.0.0.1', port },
        video: { width: 1280, height: 720, fps: 15, bitrateKbps: 1000 },
        audio: { device: 'test' },
        sources: {
          board: { kind: 'test', label: 'board' },
          teacher: { kind: 'test', pattern: 'ball', label: 'teacher' },
          students: { kind: 'test', pattern: 'pinwheel', label: 'students' },
        },
        layout: 'grid',
        devices: {
          cameras: { 'teacher-cam': { protocol: 'visca', port: pty.a, timeoutMs: 300, presets: { podium: 1, board: 2 } } },
          projectors: { main: { protocol: 'pjlink', host: '127.0.0.1', port: pjPort, timeoutMs: 500, inputs: { hdmi: '32' } } },
        },
      },
      env: {},
    });
    // The service's log, kept: a camera stopped by the joystick's dead-man says so there.
    const log = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
    service = createService(config, log, { runner: new GstRunner(), profile: loadBoardProfile('software') });
    await service.start();
    await waitUntil(() => service.media!.pipelineState() === 'running', 'media running', 20_000);
    browser = await chromium.launch({
      executablePath: requireTool('chromium'),
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // WebRTC on loopback only: real addresses instead of mDNS names, and the loopback interface allowed.
        '--disable-features=WebRtcHideLocalIpsWithMdns',
        '--allow-loopback-in-peer-connection',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await camera.stop();
    await pty.close();
    await projector.stop();
    await broker.stop();
  });

  const playing = async (page: import('playwright-core').Page) =>
    page.evaluate(() => {
      const v = document.getElementById('preview') as HTMLVideoElement;
      return { width: v.videoWidth, frames: v.getVideoPlaybackQuality().totalVideoFrames };
    });

  it('loads, plays the preview (frames decoded go up), shows the room; screenshot for the docs', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    await page.goto(url);
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).videoWidth > 0, undefined, {
      timeout: 20_000,
    });
    const a = await playing(page);
    await page.waitForTimeout(1000);
    const b = await playing(page);
    expect(a.width).toBe(640);
    expect(b.frames).toBeGreaterThan(a.frames);
    await expect.poll(() => page.textContent('#room')).toBe('demo-school / room-101');
    await expect.poll(() => page.textContent('#pipeline')).toMatch(/pipeline running/);
    // The microphone's meter: the test tone at -23 dBFS.
    await expect.poll(() => page.textContent('#outputs'), { timeout: 10_000 }).toMatch(/sound mic-2\d(\.\d)? dBFS▮{6,7}▯{3,4}/);
    // The picture in docs/ is taken again with UPDATE_SCREENSHOTS=1; otherwise into a temporary folder.
    const dir = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs') : tempDir('classbox-shot-');
    mkdirSync(dir, { recursive: true });
    await page.waitForTimeout(500);
    const png = await page.screenshot({ path: join(dir, 'technician-page.png') });
    expect(png.length).toBeGreaterThan(20_000);
    await page.close();
  }, 60_000);

  it('holding the joystick moves the camera; releasing stops it at once (the release itself, not the dead-man)', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).videoWidth > 0, undefined, {
      timeout: 20_000,
    });
    const stops = () => camera.framesMatching('8101060101010303').length;
    const button = page.locator('[data-dir="right"]');
    const box = (await button.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await waitUntil(
      () => camera.framesMatching('81010601').some((f) => f.toString('hex').endsWith('0203ff')),
      'move right at the camera',
      5000,
    );
    await page.waitForTimeout(800); // held: the repeats keep it moving
    const before = stops();
    const t0 = performance.now();
    await page.mouse.up();
    const logged = logLines.length;
    await waitUntil(() => stops() > before, 'stop at the camera', 2000, 2);
    // The stop came from the release, not from the dead-man (which says so in the log): about 20 ms on
    // an idle machine, and always before the dead-man's 500 ms.
    expect(performance.now() - t0).toBeLessThan(500);
    await sleep(600);
    expect(logLines.slice(logged).filter((l) => l.includes('"why":"dead-man"'))).toEqual([]);
    await page.close();
  }, 60_000);

  it('closing the tab mid-move still stops the camera', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).videoWidth > 0, undefined, {
      timeout: 20_000,
    });
    const box = (await page.locator('[data-dir="up"]').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await waitUntil(
      () => camera.framesMatching('81010601').some((f) => f.toString('hex').endsWith('0301ff')),
      'move up at the camera',
      5000,
    );
    const before = camera.framesMatching('8101060101010303').length;
    await page.close();
    await waitUntil(() => camera.framesMatching('8101060101010303').length > before, 'stop after the tab closed', 3000);
  }, 60_000);

  it('presets, projector power and class start through the page', async () => {
    camera.camera().presets.set(2, { pan: 700, tilt: 0, zoom: 0 });
    const page = await browser.newPage();
    await page.goto(url);
    // Presets travel on the preview's data channel: wait until the preview is up.
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).videoWidth > 0, undefined, {
      timeout: 20_000,
    });
    await page.getByRole('button', { name: 'board', exact: true }).first().waitFor();
    await page.locator('#presets').getByRole('button', { name: 'board' }).click();
    await waitUntil(() => camera.camera().pan === 700, 'preset recalled');
    await page.locator('#projectors').getByRole('button', { name: 'on' }).click();
    await waitUntil(() => projector.model.switches.length === 1, 'projector switched on');
    await page.locator('#projectors').getByRole('button', { name: 'hdmi' }).click();
    await waitUntil(() => projector.model.input === '32', 'projector on hdmi (after its warm-up)', 5000);
    await page.getByRole('button', { name: 'Start live' }).click();
    await waitUntil(() => service.classroom.snapshot()?.mode === 'live', 'class started');
    await expect.poll(() => page.textContent('#class'), { timeout: 5000 }).toMatch(/^live:/);
    await page.getByRole('button', { name: 'Stop class' }).click();
    await waitUntil(() => service.classroom.snapshot() === null, 'class stopped');
    await page.close();
  }, 60_000);
});
