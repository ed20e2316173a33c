import { screenPictures } from '../config/display-schema.js';
import type { Logger } from 'pino';
import { networkOutputs, type Config } from '../config/schema.js';
import type { EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import type { MqttLink } from '../mqtt/client.js';
import { topics } from '../mqtt/topics.js';
import { VERSION } from '../core/version.js';
import { layoutNames } from '../core/layout-names.js';

export interface HomeAssistantContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  mqtt: MqttLink;
}

type Entity = { component: string; id: string; config: Record<string, unknown> };

/**
 * Home Assistant MQTT discovery: each room appears as a device with its controls and sensors, without
 * any YAML on the Home Assistant side. Entries are retained (else lost when Home Assistant restarts)
 * and published again whenever Home Assistant announces itself online.
 */
export class HomeAssistantDiscovery implements Part {
  readonly name = 'home-assistant';
  private readonly node: string;

  constructor(private readonly ctx: HomeAssistantContext) {
    this.node = `classbox_${ctx.config.site}_${ctx.config.room}`;
  }

  entities(): Entity[] {
    const base = this.ctx.mqtt.base;
    const c = this.ctx.config;
    const common = {
      avty_t: topics.availability(base),
      dev: { ids: [this.node], name: `${c.room} (${c.site})`, mf: 'classbox', mdl: `classroom box (${c.role})`, sw: VERSION },
      // Who sent the discovery entry: Home Assistant logs it, and asks for it from every integration.
      o: { name: 'classbox', sw: VERSION },
    };
    const request = (command: string) => topics.request(base, command);
    // default_entity_id (the full entity id, domain included) replaced obj_id, which Home Assistant 2026.4
    // no longer reads; entity ids take lower-case letters, digits and underscores only.
    const entityId = (component: string, id: string) => `${component}.${`${this.node}_${id}`.toLowerCase().replace(/[^a-z0-9_]+/g, '_')}`;
    const entity = (component: string, id: string, config: Record<string, unknown>): Entity => ({
      component,
      id,
      config: { ...common, uniq_id: `${this.node}_${id}`, default_entity_id: entityId(component, id), ...config },
    });
    const sources = Object.keys(c.sources);
    const list: Entity[] = [];
    if (sources.length > 0) {
      list.push(
        entity('select', 'layout', {
          name: 'Layout',
          options: layoutNames(sources),
          cmd_t: request('layout/set'),
          cmd_tpl: '{"id": "home-assistant", "layout": "{{ value }}"}',
          stat_t: topics.state(base),
          val_tpl: '{{ value_json.layout }}',
        }),
        entity('sensor', 'pipeline', {
          name: 'Pipeline',
          stat_t: topics.state(base),
          val_tpl: '{{ value_json.pipeline.state }}',
          icon: 'mdi:video-box',
        }),
        entity('sensor', 'fps', {
          name: 'Frame rate',
          stat_t: topics.telemetry(base),
          val_tpl: '{{ value_json.pipeline.fps if value_json.pipeline else 0 }}',
          unit_of_meas: 'fps',
          stat_cla: 'measurement',
        }),
        entity('button', 'restart_pipeline', {
          name: 'Restart pipeline',
          cmd_t: request('pipeline/restart'),
          pl_prs: '{"id": "home-assistant"}',
          ent_cat: 'config',
        }),
      );
      for (const o of networkOutputs(c)) {
        const id = o.name.replace(/-/g, '_');
        list.push(
          entity('button', `start_${id}`, {
            name: `Start ${o.name}`,
            cmd_t: request('stream/start'),
            pl_prs: JSON.stringify({ id: 'home-assistant', output: o.name }),
          }),
          entity('button', `stop_${id}`, {
            name: `Stop ${o.name}`,
            cmd_t: request('stream/stop'),
            pl_prs: JSON.stringify({ id: 'home-assistant', output: o.name }),
          }),
        );
      }
    }
    // A select per screen: what it shows, switched as display/set does.
    for (const d of c.displays ?? []) {
      list.push(
        entity('select', `screen_${d.name.replace(/-/g, '_')}`, {
          name: `Screen ${d.name}`,
          icon: 'mdi:projector-screen',
          options: screenPictures(c),
          cmd_t: request('display/set'),
          cmd_tpl: `{"id": "home-assistant", "display": "${d.name}", "shows": "{{ value }}"}`,
          stat_t: topics.state(base),
          val_tpl: `{{ value_json.displays['${d.name}'].shows }}`,
        }),
      );
    }
    list.push(
      entity('select', 'class_mode', {
        name: 'Class',
        icon: 'mdi:google-classroom',
        options: ['idle', 'live', 'recorded', 'observation'],
        cmd_t: request('class/mode'),
        cmd_tpl: '{"id": "home-assistant", "mode": "{{ value }}"}',
        stat_t: topics.state(base),
        val_tpl: "{{ value_json['class'].mode if value_json['class'] else 'idle' }}",
      }),
    );
    const key = (n: string) => n.replace(/-/g, '_');
    for (const [cam, config] of Object.entries(c.devices.cameras)) {
      list.push(
        entity('binary_sensor', `camera_${key(cam)}_online`, {
          name: `${cam} online`,
          stat_t: topics.state(base),
          val_tpl: `{{ 'ON' if value_json.devices.cameras['${cam}'].online else 'OFF' }}`,
          dev_cla: 'connectivity',
          ent_cat: 'diagnostic',
        }),
      );
      for (const preset of Object.keys(config.presets)) {
        list.push(
          entity('button', `camera_${key(cam)}_preset_${key(preset)}`, {
            name: `${cam} ${preset}`,
            icon: 'mdi:cctv',
            cmd_t: request('ptz/recall'),
            pl_prs: JSON.stringify({ id: 'home-assistant', camera: cam, preset }),
          }),
        );
      }
    }
    for (const projector of Object.keys(c.devices.projectors)) {
      const at = `value_json.devices.projectors['${projector}']`;
      list.push(
        entity('switch', `projector_${key(projector)}`, {
          name: `Projector ${projector}`,
          icon: 'mdi:projector',
          cmd_t: request('projector/power'),
          pl_on: JSON.stringify({ id: 'home-assistant', projector, on: true, wait: true }),
          pl_off: JSON.stringify({ id: 'home-assistant', projector, on: false, wait: true }),
          stat_t: topics.state(base),
          val_tpl: `{{ 'ON' if ${at}.power in ['on', 'warming'] else 'OFF' }}`,
          stat_on: 'ON',
          stat_off: 'OFF',
        }),
        entity('sensor', `projector_${key(projector)}_power`, {
          name: `Projector ${projector} state`,
          stat_t: topics.state(base),
          val_tpl: `{{ ${at}.power }}`,
          ent_cat: 'diagnostic',
        }),
        entity('sensor', `projector_${key(projector)}_lamp`, {
          name: `Projector ${projector} lamp hours`,
          stat_t: topics.state(base),
          val_tpl: `{{ ${at}.lampHours }}`,
          unit_of_meas: 'h',
          stat_cla: 'total_increasing',
          ent_cat: 'diagnostic',
        }),
      );
    }
    for (const [line, g] of Object.entries(c.devices.gpio)) {
      if (g.direction !== 'out') continue;
      list.push(
        entity('switch', `gpio_${key(line)}`, {
          name: g.shows === 'on-air' ? 'On-air light' : line,
          icon: g.shows === 'on-air' ? 'mdi:broadcast' : 'mdi:electric-switch',
          cmd_t: request('gpio/set'),
          pl_on: JSON.stringify({ id: 'home-assistant', name: line, value: 1 }),
          pl_off: JSON.stringify({ id: 'home-assistant', name: line, value: 0 }),
          stat_t: topics.state(base),
          val_tpl: `{{ 'ON' if value_json.devices.gpio['${line}'].value == 1 else 'OFF' }}`,
          stat_on: 'ON',
          stat_off: 'OFF',
        }),
      );
    }
    list.push(
      entity('sensor', 'cpu', {
        name: 'CPU',
        stat_t: topics.telemetry(base),
        val_tpl: '{{ value_json.cpuPercent }}',
        unit_of_meas: '%',
        stat_cla: 'measurement',
        ent_cat: 'diagnostic',
      }),
      entity('sensor', 'temperature', {
        name: 'Temperature',
        stat_t: topics.telemetry(base),
        val_tpl: '{{ value_json.temperatureC }}',
        unit_of_meas: '°C',
        dev_cla: 'temperature',
        stat_cla: 'measurement',
        ent_cat: 'diagnostic',
      }),
      entity('sensor', 'disk_free', {
        name: 'Disk free',
        stat_t: topics.telemetry(base),
        val_tpl: '{{ value_json.diskFreeMB }}',
        unit_of_meas: 'MB',
        dev_cla: 'data_size',
        stat_cla: 'measurement',
        ent_cat: 'diagnostic',
      }),
    );
    return list;
  }

  private configTopic(e: Entity): string {
    return `${this.ctx.config.mqtt.homeAssistant.prefix}/${e.component}/${this.node}/${e.id}/config`;
  }

  async start(): Promise<void> {
    this.ctx.bus.on(this, 'mqtt.connected', () => void this.publishAll());
    this.ctx.mqtt.subscribe(`${this.ctx.config.mqtt.homeAssistant.prefix}/status`, (m) => {
      if (m.payload.toString() === 'online') void this.publishAll();
    });
    if (this.ctx.mqtt.connected) await this.publishAll();
  }

  async publishAll(): Promise<void> {
    if (!this.ctx.mqtt.connected) return;
    try {
      await Promise.all(
        this.entities().map((e) => this.ctx.mqtt.publish(this.configTopic(e), JSON.stringify(e.config), { qos: 1, retain: true })),
      );
    } catch (err) {
      this.ctx.log.warn({ part: 'home-assistant', err }, 'discovery not published');
    }
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeAll(this);
  }
}
