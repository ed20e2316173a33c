import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { connectAsync, type MqttClient } from 'mqtt';
import { PjlinkProjectorSim } from '../../src/sim/pjlink-projector.js';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freePort, sleep, waitUntil } from '../helpers/net.js';
import { tempDir, writeTempConfig } from '../helpers/temp-config.js';
import { requireTool } from '../helpers/tools.js';

const SITE = 'hill-school';
const ROOM = 'room-7';
const BASE = `classbox/${SITE}/${ROOM}`;

interface Fault {
  id: number;
  site: string;
  room: string;
  kind: string;
  subject: string;
  since: string;
  clearedAt: string | null;
}

/**
 * The centre as a province runs it: `classbox central` from the bin beside a real mosquitto, and a real
 * box (`classbox run`, tiny test pictures, a PJLink projector on TCP) that it watches and drives.
 */
describe('classbox central watches and drives a real box', () => {
  let broker: Mosquitto;
  let watch: MqttWatch;
  let projector: PjlinkProjectorSim;
  let projectorPort: number;
  let box: RunningCli;
  let central: RunningCli;
  let centralConfig: string;
  let api: string;
  let browser: Browser | undefined;
  let postgres: Postgres;
  let pgCentral: RunningCli;
  let pgApi: string;

  const get = async <T = unknown>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> => {
    const r = await fetch(`${api}${path}`, init);
    const text = await r.text();
    return { status: r.status, body: (r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
  };
  const post = <T = unknown>(path: string, body: unknown = {}) =>
    get<T>(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const startCentral = async () => {
    central = startCli(['central', '--config', centralConfig]);
    await central.waitForOutput(/the centre page is up/, 15_000);
    await waitUntil(async () => (await get<{ broker: string }>('/healthz')).body.broker === 'connected', 'central connected', 10_000);
  };
  const startBox = async (boxConfig: string) => {
    const since = watch.messages.length;
    box = startCli(['run', '--config', boxConfig]);
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'online', 30_000, since);
  };
  const openFaults = async () => (await get<Fault[]>('/api/faults?open=true')).body;
  let boxConfig: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, `${BASE}/#`);
    projector = new PjlinkProjectorSim();
    projectorPort = await projector.start(0, '127.0.0.1');
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    centralConfig = writeTempConfig(
      {
        mqtt: { url: broker.url },
        http: { port },
        database: `${tempDir()}/central.db`,
        telemetryIntervalS: 1,
        requestTimeoutS: 3,
      },
      'central.yaml',
    );
    const boxPort = await freePort();
    boxConfig = writeTempConfig({
      site: SITE,
      room: ROOM,
      profile: 'software',
      dataDir: tempDir(),
      mqtt: { url: broker.url, telemetryIntervalS: 1, keepaliveS: 5 },
      // Reached from elsewhere at this address (as through a proxy): the centre links to it.
      http: { host: '127.0.0.1', port: boxPort, pageUrl: `http://127.0.0.1:${boxPort}/` },
      video: { width: 160, height: 120, fps: 10, bitrateKbps: 100 },
      sources: { board: { kind: 'test' } },
      outputs: [{ name: 'archive', kind: 'record', dir: tempDir(), segmentS: 10 }],
      devices: { projectors: { main: { protocol: 'pjlink', host: '127.0.0.1', port: projectorPort, pollS: 5, timeoutMs: 500 } } },
    });
    await startCentral();
    // A second centre on the same broker, keeping the fleet in PostgreSQL instead of SQLite.
    postgres = await startPostgres();
    const pgPort = await freePort();
    pgApi = `http://127.0.0.1:${pgPort}`;
    pgCentral = startCli([
      'central',
      '--config',
      writeTempConfig(
        { mqtt: { url: broker.url, clientId: 'central-pg' }, http: { port: pgPort }, database: postgres.url },
        'central-pg.yaml',
      ),
    ]);
    await pgCentral.waitForOutput(/the centre page is up/, 15_000);
    await startBox(boxConfig);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await box?.stop('SIGTERM');
    await central?.stop('SIGTERM');
    await pgCentral?.stop('SIGTERM');
    await postgres?.stop();
    await projector?.stop();
    await watch?.close();
    await broker?.stop();
  });

  it('shows the room online with its role and version, and its telemetry', async () => {
    const room = await waitUntil(
      async () =>
        (await get<Array<Record<string, unknown>>>('/api/rooms')).body.find(
          (r) => r.site === SITE && r.room === ROOM && r.online === true && r.telemetry !== null,
        ),
      'the room online with telemetry',
      15_000,
    );
    expect(room.role).toBe('broadcast');
    expect(room.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(room.outputs).toEqual([{ name: 'archive', kind: 'record', state: 'stopped' }]);
    const detail = await get<{ state: { role: string }; events: unknown[] }>(`/api/rooms/${SITE}/${ROOM}`);
    expect(detail.status).toBe(200);
    expect(detail.body.state.role).toBe('broadcast');
  });

  it('starts a live class on the box from the centre, and counts the lesson with its minutes when it ends', async () => {
    const started = await post<{ status: string; data: { id: string } }>(`/api/rooms/${SITE}/${ROOM}/request/class/start`, {
      mode: 'live',
      name: 'Physics 9',
    });
    expect(started.status).toBe(200);
    expect(started.body.status).toBe('ok');
    const id = started.body.data.id;
    // The box runs it: its own state says so, and its recording writes.
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).class?.id === id, 10_000);
    await waitUntil(
      async () =>
        (await get<Array<{ id: string; endedAt: string | null }>>('/api/lessons')).body.find((l) => l.id === id && l.endedAt === null),
      'the lesson listed as running',
      5000,
    );
    await sleep(6000);
    const stopped = await post<{ status: string; data: { durationS: number } }>(`/api/rooms/${SITE}/${ROOM}/request/class/stop`);
    expect(stopped.body.status).toBe('ok');
    const lesson = await waitUntil(
      async () =>
        (
          await get<Array<{ id: string; endedAt: string | null; minutes: number; mode: string; name: string }>>(`/api/lessons?site=${SITE}`)
        ).body.find((l) => l.id === id && l.endedAt !== null),
      'the lesson ended',
      10_000,
    );
    expect(lesson).toMatchObject({ mode: 'live', name: 'Physics 9' });
    expect(lesson.minutes).toBeCloseTo(stopped.body.data.durationS / 60, 1);
    expect(lesson.minutes).toBeGreaterThan(0.05);
    const csv = await get<string>(`/api/lessons?format=csv`);
    expect(csv.body.split('\r\n')[0]).toBe('site,room,id,name,mode,startedAt,endedAt,minutes,incidents,receivers');
    expect(csv.body).toContain(`${SITE},${ROOM},${id},Physics 9,live,`);
    // The centre on PostgreSQL counted the same lesson.
    const inPostgres = await waitUntil(
      async () =>
        ((await (await fetch(`${pgApi}/api/lessons`)).json()) as Array<{ id: string; endedAt: string | null; minutes: number }>).find(
          (l) => l.id === id && l.endedAt !== null,
        ),
      'the lesson in PostgreSQL',
      10_000,
    );
    expect(inPostgres.minutes).toBe(lesson.minutes);
    const weeks = (await get<Array<{ site: string; lessons: number; byMode: Record<string, { lessons: number }> }>>('/api/lessons/weekly'))
      .body;
    expect(weeks.find((w) => w.site === SITE)?.byMode.live?.lessons).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('names a projector that stops answering, and clears the fault when it is back', async () => {
    await projector.stop();
    const fault = await waitUntil(
      async () => (await openFaults()).find((f) => f.kind === 'device_offline' && f.subject === 'main' && f.room === ROOM),
      'device_offline main',
      15_000,
    );
    projector = new PjlinkProjectorSim();
    await projector.start(projectorPort, '127.0.0.1');
    await waitUntil(async () => !(await openFaults()).some((f) => f.id === fault.id), 'the fault cleared', 15_000);
    const all = (await get<Fault[]>(`/api/faults?room=${ROOM}`)).body;
    expect(all.find((f) => f.id === fault.id)?.clearedAt).not.toBeNull();
  }, 40_000);

  it('answers bad requests clearly: unknown room 404, unknown command the box own unknown_command', async () => {
    const unknownRoom = await post<{ error: { code: string } }>(`/api/rooms/${SITE}/no-such-room/request/state/get`);
    expect(unknownRoom.status).toBe(404);
    expect(unknownRoom.body.error.code).toBe('not_found');
    const unknownCommand = await post<{ status: string; error: { code: string } }>(`/api/rooms/${SITE}/${ROOM}/request/warp/engage`);
    expect(unknownCommand.status).toBe(200);
    expect(unknownCommand.body).toMatchObject({ status: 'error', error: { code: 'unknown_command' } });
    const badBody = await get<{ error: { code: string } }>(`/api/rooms/${SITE}/${ROOM}/request/state/get`, {
      method: 'POST',
      body: '{nope',
    });
    expect(badBody.status).toBe(400);
    expect(badBody.body.error.code).toBe('invalid_json');
    expect((await get('/api/lessons?from=yesterday')).status).toBe(400);
    expect((await get('/api/nothing')).status).toBe(404);
  });

  it('takes garbage from the broker without a crash, and counts it', async () => {
    const fuzz: MqttClient = await connectAsync(broker.url, { clientId: 'fuzz' });
    const payloads = [
      '',
      '{',
      'null',
      '[]',
      '"x"',
      '{"type": 5}',
      '{"type": "source.lost", "seq": "one"}',
      'x'.repeat(300_000),
      '\u0000\uffff',
      '{"__proto__": {"polluted": 1}}',
    ];
    const topics = [
      `${BASE}/state`,
      `${BASE}/telemetry`,
      `${BASE}/event`,
      `${BASE}/availability`,
      `classbox/${SITE}/BAD ROOM/state`,
      `classbox/a/b/c/d/event`,
    ];
    // Retained garbage on the real room's topics would be the room's state from now on: not retained.
    for (const t of topics) for (const p of payloads) await fuzz.publishAsync(t, p, { qos: 1 });
    // A valid availability last, as the box would say it again.
    await fuzz.publishAsync(`${BASE}/availability`, 'online', { qos: 1 });
    await fuzz.endAsync();
    await sleep(500);
    expect((await get<{ ok: boolean }>('/healthz')).body.ok).toBe(true);
    const metrics = (await get<string>('/metrics')).body;
    const dropped = Number(/classbox_central_messages\{outcome="dropped"\} (\d+)/.exec(metrics)?.[1]);
    expect(dropped).toBeGreaterThanOrEqual(40);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await get<unknown[]>('/api/rooms')).body.length).toBe(1);
  });

  it('keeps every lesson across a restart of the centre, and counts a class that ended while it was down', async () => {
    const before = (await get<unknown[]>('/api/lessons')).body.length;
    const req = (command: string, args: Record<string, unknown> = {}) =>
      post<{ status: string; data: { id: string } }>(`/api/rooms/${SITE}/${ROOM}/request/${command}`, args);
    const id = (await req('class/start', { mode: 'recorded', name: 'History 8' })).body.data.id;
    await sleep(1500);
    await central.stop('SIGTERM');
    // Ended while the centre is away: the broker keeps the box's class.ended for the centre's session.
    const since = watch.messages.length;
    watch.client.publish(`${BASE}/request/class/stop`, JSON.stringify({ id: 'from-the-test' }), { qos: 1 });
    await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'class.ended', 10_000, since);
    await startCentral();
    const lessons = await waitUntil(
      async () => {
        const l = (await get<Array<{ id: string; endedAt: string | null }>>('/api/lessons')).body;
        return l.find((x) => x.id === id && x.endedAt !== null) ? l : undefined;
      },
      'the lesson that ended while the centre was down',
      15_000,
    );
    expect(lessons.length).toBe(before + 1);
  }, 60_000);

  it('is driven by a person in a browser: the grid, the fault inbox, a request sent to the room', async () => {
    browser = await chromium.launch({ executablePath: requireTool('chromium'), args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage();
    await page.goto(api);
    const tile = page.locator(`.room[data-room="${SITE}/${ROOM}"]`);
    await tile.waitFor({ timeout: 10_000 });
    expect(await tile.getAttribute('class')).toMatch(/\b(ok|fault)\b/);
    await page.locator('[data-lesson]').first().waitFor({ timeout: 5000 });
    // A fault arrives live: the projector goes away, the inbox shows it without a reload.
    await projector.stop();
    const row = page.locator(`#faults tr[data-kind="device_offline"][data-room="${SITE}/${ROOM}"]`);
    await row.waitFor({ timeout: 15_000 });
    page.once('dialog', (d) => void d.accept('Caretaker checks the cable'));
    await row.locator('button').click();
    await row.getByText('acknowledged: Caretaker checks the cable').waitFor({ timeout: 5000 });
    // A request from the room's detail, answered by the box.
    await tile.click();
    await page.locator('#detail-title', { hasText: `${SITE}/${ROOM}` }).waitFor();
    await page.fill('#req-command', 'layout/set');
    await page.fill('#req-args', '{"layout": "grid"}');
    const layout = watch.messages.length;
    await page.click('#req-send');
    await page.locator('#req-result', { hasText: '"status": "ok"' }).waitFor({ timeout: 10_000 });
    await watch.waitFor(`${BASE}/event`, (p) => JSON.parse(p).type === 'layout.changed', 5000, layout);
    // The room's technician page, one click away: the box's own page opens in a new tab.
    const link = page.locator('#detail-page');
    await link.waitFor({ timeout: 5000 });
    const [techPage] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await techPage.waitForLoadState();
    expect(techPage.url()).toBe(await link.getAttribute('href'));
    expect(await techPage.title()).toBe('classbox');
    await techPage.close();
    projector = new PjlinkProjectorSim();
    await projector.start(projectorPort, '127.0.0.1');
  }, 60_000);

  it('names a box killed with SIGKILL offline within 10 s of its Last Will, and a request to it times out with 504', async () => {
    const since = watch.messages.length;
    await box.stop('SIGKILL');
    await watch.waitFor(`${BASE}/availability`, (p) => p === 'offline', 20_000, since);
    const willAt = Date.now();
    await waitUntil(async () => (await openFaults()).find((f) => f.kind === 'box_offline' && f.room === ROOM), 'box_offline', 10_000);
    expect(Date.now() - willAt).toBeLessThan(10_000);
    const room = (await get<Array<{ room: string; online: boolean }>>('/api/rooms')).body.find((r) => r.room === ROOM);
    expect(room?.online).toBe(false);
    const late = await post<{ error: { code: string; message: string } }>(`/api/rooms/${SITE}/${ROOM}/request/state/get`);
    expect(late.status).toBe(504);
    expect(late.body.error.message).toMatch(/did not answer state\/get within 3 s/);
    // Back: the fault clears.
    await startBox(boxConfig);
    await waitUntil(
      async () => !(await openFaults()).some((f) => f.kind === 'box_offline' && f.room === ROOM),
      'box_offline cleared',
      10_000,
    );
  }, 90_000);
});
