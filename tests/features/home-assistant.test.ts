import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { watchMqtt, type MqttWatch } from '../helpers/mqtt-watch.js';
import { freeUdpPort, waitUntil } from '../helpers/net.js';
import { minimalConfig, writeTempConfig } from '../helpers/temp-config.js';

const NODE = 'classbox_test-school_room-1';
const BASE = 'classbox/test-school/room-1';

describe('Home Assistant discovery', () => {
  let broker: Mosquitto;
  let box: RunningCli;
  let watch: MqttWatch;

  beforeAll(async () => {
    broker = await startMosquitto();
    watch = await watchMqtt(broker.url, ['homeassistant/#', `${BASE}/#`]);
    const config = minimalConfig(broker.url, {
      mqtt: { url: broker.url, homeAssistant: { discovery: true } },
      profile: 'software',
      video: { width: 320, height: 180, fps: 15, bitrateKbps: 300 },
      sources: { board: { kind: 'test' }, teacher: { kind: 'test' } },
      outputs: [{ name: 'cloud-live', kind: 'srt', url: `srt://127.0.0.1:${await freeUdpPort()}?mode=listener` }],
      // A second screen, drawn nowhere (no display in the test).
      displays: [{ name: 'side', sink: 'none', shows: 'composite' }],
    });
    box = startCli(['run', '--config', writeTempConfig(config)]);
    // Eleven entries, published together but arriving one by one.
    await waitUntil(
      () => watch.messages.filter((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config')).length >= 11,
      'all discovery entries',
      20_000,
    );
  });
  afterAll(async () => {
    await box.stop('SIGTERM');
    await watch.close();
    await broker.stop();
  });

  it('announces the room as a device with its layout select, buttons and sensors, all with availability', async () => {
    const entries = watch.messages.filter((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config'));
    const ids = entries.map((m) => m.topic.replace(`/${NODE}/`, ' ').replace('homeassistant/', '').replace('/config', '')).sort();
    expect(ids).toEqual([
      'button restart_pipeline',
      'button start_cloud_live',
      'button stop_cloud_live',
      'select class_mode',
      'select layout',
      'select screen_side',
      'sensor cpu',
      'sensor disk_free',
      'sensor fps',
      'sensor pipeline',
      'sensor temperature',
    ]);
    for (const e of entries) {
      const c = JSON.parse(e.payload);
      expect(c.avty_t).toBe(`${BASE}/availability`);
      expect(c.uniq_id).toMatch(/^[a-zA-Z0-9_-]+$/);
      expect(c.dev.ids).toEqual([NODE]);
      // Home Assistant 2026.4 reads default_entity_id (domain.object_id), no longer obj_id; origin is asked of every sender.
      expect(c).not.toHaveProperty('obj_id');
      const component = e.topic.split('/')[1];
      expect(c.default_entity_id).toMatch(new RegExp(`^${component}\\.[a-z0-9_]+$`));
      expect(c.o).toMatchObject({ name: 'classbox' });
    }
    const layout = JSON.parse(entries.find((m) => m.topic.includes('/select/') && m.topic.includes('/layout/'))!.payload);
    expect(layout.options).toEqual(['pip', 'side-by-side', 'grid', 'single:board', 'single:teacher']);
  });

  it("works the way Home Assistant drives it: the select's rendered command changes the layout", async () => {
    const layout = JSON.parse(watch.messages.find((m) => m.topic === `homeassistant/select/${NODE}/layout/config`)!.payload);
    const since = watch.messages.length;
    await watch.client.publishAsync(layout.cmd_t, layout.cmd_tpl.replace('{{ value }}', 'side-by-side'), { qos: 1 });
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).layout === 'side-by-side', 5000, since);
  });

  it("the screen's select switches what it shows as Home Assistant drives it", async () => {
    const select = JSON.parse(watch.messages.find((m) => m.topic === `homeassistant/select/${NODE}/screen_side/config`)!.payload);
    expect(select.options).toEqual(['composite', 'source:board', 'source:teacher']);
    const since = watch.messages.length;
    await watch.client.publishAsync(select.cmd_t, select.cmd_tpl.replace('{{ value }}', 'source:teacher'), { qos: 1 });
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).displays?.side?.shows === 'source:teacher', 5000, since);
  });

  it('the class select starts, switches and stops classes as Home Assistant drives it', async () => {
    const select = JSON.parse(watch.messages.find((m) => m.topic === `homeassistant/select/${NODE}/class_mode/config`)!.payload);
    const since = watch.messages.length;
    const choose = (v: string) => watch.client.publishAsync(select.cmd_t, select.cmd_tpl.replace('{{ value }}', v), { qos: 1 });
    await choose('live');
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).class?.mode === 'live', 10_000, since);
    await choose('recorded');
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).class?.mode === 'recorded', 10_000, since);
    await choose('idle');
    await watch.waitFor(`${BASE}/state`, (p) => JSON.parse(p).class === null && JSON.parse(p).recording === false, 10_000, since);
    const endedEvents = () =>
      watch.messages.slice(since).filter((m) => m.topic === `${BASE}/event` && JSON.parse(m.payload).type === 'class.ended');
    const ended = await waitUntil(() => (endedEvents().length >= 2 ? endedEvents() : undefined), 'both class.ended events');
    expect(ended.map((m) => JSON.parse(m.payload).endReason)).toEqual(['mode changed to recorded', 'mode changed to idle']);
  });

  it('publishes the entries again when Home Assistant comes online', async () => {
    const since = watch.messages.length;
    await watch.client.publishAsync('homeassistant/status', 'online', { qos: 1 });
    await watch.waitFor(`homeassistant/select/${NODE}/layout/config`, () => true, 5000, since);
  });
});
