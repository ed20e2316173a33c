import { z } from 'zod';
import { filePath, name } from './fields.js';
import { devices } from './devices-schema.js';
import { listCommandSets } from '../protocols/ascii/command-set.js';
import { linkKey } from '../transports/link-key.js';
import { PROFILES, audio, layout, output, source, video } from './media-schema.js';
import { fleet, health, http, mqtt, schedule, upload } from './service-schema.js';
import { singleSource } from '../core/layout-names.js';
import { displays, SHOWS_PATTERN, showsProblem } from './display-schema.js';

/**
 * The one schema of the config file (CONTRACT §3). Unknown keys are errors at every level:
 * a typo must not silently do nothing. Cross-references (a layout naming a source, a class
 * naming a camera preset) are checked here too, so a bad file never starts anything.
 */
export const configSchema = z
  .strictObject({
    site: name(),
    room: name(),
    role: z.enum(['broadcast', 'receive']).default('broadcast'),
    profile: z.enum(PROFILES).default('auto'),
    /** Where the box keeps its state: event outbox, session journal, schedule cache. */
    dataDir: filePath().default('./data'),
    log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') }).default({ level: 'info' }),
    mqtt: mqtt.default(() => mqtt.parse({})),
    video,
    audio,
    /** Where the receive and playback roles show the picture: the board's display sink, or none (headless). */
    display: z.strictObject({ sink: z.enum(['profile', 'none']).default('profile') }).default({ sink: 'profile' }),
    /** Several screens, each showing one picture (media/displays.ts); without it, `display` shows the lesson. */
    displays,
    sources: z.record(name(), source).default({}),
    layout: layout.default('pip'),
    outputs: z.array(output).default([]),
    devices,
    schedule,
    http,
    fleet,
    upload,
    health,
  })
  .superRefine((config, ctx) => {
    const sources = Object.keys(config.sources);
    const single = singleSource(config.layout);
    if (single && !sources.includes(single)) {
      ctx.addIssue({
        code: 'custom',
        path: ['layout'],
        message: `names source "${single}", which is not in sources (${sources.join(', ') || 'none'})`,
      });
    }
    if (config.role === 'broadcast' && sources.length > 4) {
      ctx.addIssue({ code: 'custom', path: ['sources'], message: 'at most 4 sources can be composed on one screen' });
    }

    const screens = new Set<string>();
    let lessonOn: string | undefined;
    config.displays?.forEach((d, i) => {
      if (screens.has(d.name))
        ctx.addIssue({ code: 'custom', path: ['displays', i, 'name'], message: `duplicate display name "${d.name}"` });
      screens.add(d.name);
      // (A value that is not a picture's name has had its own message.)
      const problem = SHOWS_PATTERN.test(d.shows) ? showsProblem(config, d.shows) : null;
      if (problem) ctx.addIssue({ code: 'custom', path: ['displays', i, 'shows'], message: problem.message });
      else if (d.shows === 'lesson' && lessonOn)
        ctx.addIssue({ code: 'custom', path: ['displays', i, 'shows'], message: `the lesson is on display "${lessonOn}" already` });
      if (d.shows === 'lesson') lessonOn ??= d.name;
    });

    const seen = new Set<string>();
    config.outputs.forEach((o, i) => {
      if (seen.has(o.name)) ctx.addIssue({ code: 'custom', path: ['outputs', i, 'name'], message: `duplicate output name "${o.name}"` });
      seen.add(o.name);
    });

    const cameras = config.devices.cameras;
    for (const [camName, cam] of Object.entries(cameras)) {
      for (const [preset, number] of Object.entries(cam.presets)) {
        if (number > cam.maxPreset) {
          ctx.addIssue({
            code: 'custom',
            path: ['devices', 'cameras', camName, 'presets', preset],
            message: `must be <= maxPreset (${cam.maxPreset})`,
          });
        }
      }
    }

    // Cameras on one line share it: one protocol, the same line settings, a different address each.
    const lines = new Map<string, { name: string; protocol: string; baudRate: number; address: number }[]>();
    for (const [camName, cam] of Object.entries(cameras)) {
      const key = linkKey(cam);
      const baudRate = 'baudRate' in cam ? cam.baudRate : 0;
      const address = 'address' in cam ? cam.address : 1;
      const others = lines.get(key) ?? [];
      for (const o of others) {
        const at = ['devices', 'cameras', camName];
        if (o.protocol !== cam.protocol)
          ctx.addIssue({
            code: 'custom',
            path: [...at, 'protocol'],
            message: `shares its line with ${o.name}, which speaks ${o.protocol}`,
          });
        else if (o.baudRate !== baudRate)
          ctx.addIssue({
            code: 'custom',
            path: [...at, 'baudRate'],
            message: `shares its line with ${o.name}, which is set to ${o.baudRate}`,
          });
        else if (o.address === address)
          ctx.addIssue({
            code: 'custom',
            path: [...at, cam.protocol === 'visca-ip' ? 'host' : 'address'],
            message: `${o.name} ${cam.protocol === 'visca-ip' ? 'is the same camera' : `on the same line has address ${o.address} too`}`,
          });
      }
      lines.set(key, [...others, { name: camName, protocol: cam.protocol, baudRate, address }]);
    }
    const commandSets = listCommandSets();
    for (const [projName, p] of Object.entries(config.devices.projectors)) {
      if (p.protocol === 'ascii' && !commandSets.includes(p.commandSet)) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', 'projectors', projName, 'commandSet'],
          message: `no command set "${p.commandSet}" in device-profiles/projectors (known: ${commandSets.join(', ')})`,
        });
      }
    }

    config.schedule.classes.forEach((c, i) => {
      const at = ['schedule', 'classes', i];
      for (const [camName, preset] of Object.entries(c.preset)) {
        const cam = cameras[camName];
        if (!cam) ctx.addIssue({ code: 'custom', path: [...at, 'preset', camName], message: `no camera "${camName}" in devices.cameras` });
        else if (typeof preset === 'string' && !(preset in cam.presets)) {
          ctx.addIssue({ code: 'custom', path: [...at, 'preset', camName], message: `camera "${camName}" has no preset "${preset}"` });
        }
      }
      for (const proj of Object.keys(c.projector)) {
        if (!(proj in config.devices.projectors)) {
          ctx.addIssue({ code: 'custom', path: [...at, 'projector', proj], message: `no projector "${proj}" in devices.projectors` });
        }
      }
      const s = c.layout && singleSource(c.layout);
      if (s && !sources.includes(s))
        ctx.addIssue({ code: 'custom', path: [...at, 'layout'], message: `names source "${s}", which is not in sources` });
    });
  });

/** The config as the service sees it: every default filled in. */
export type Config = z.output<typeof configSchema>;
/** The config as a person writes it. */
export type ConfigInput = z.input<typeof configSchema>;

export type SourceConfig = Config['sources'][string];
export type OutputConfig = Config['outputs'][number];
export type RecordOutput = Extract<OutputConfig, { kind: 'record' }>;
/** The outputs that record to the box's disk (segments, and the lessons made of them). */
export const recordOutputs = (config: Pick<Config, 'outputs'>): RecordOutput[] =>
  config.outputs.filter((o): o is RecordOutput => o.kind === 'record');
/** The outputs that send over the network (RTMP, SRT, HLS), each from the one encode. */
export type NetworkOutput = Exclude<OutputConfig, { kind: 'record' }>;
export const networkOutputs = (config: Pick<Config, 'outputs'>): NetworkOutput[] =>
  config.outputs.filter((o): o is NetworkOutput => o.kind !== 'record');
export type CameraConfig = Config['devices']['cameras'][string];
export type ProjectorConfig = Config['devices']['projectors'][string];
export type GpioLineConfig = Config['devices']['gpio'][string];

export function configJsonSchema(): object {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
