import type { Config } from '../config/schema.js';

/** `<prefix>/<site>/<room>`: everything a box publishes or subscribes to lives under it (CONTRACT §4). */
export function baseTopic(config: Pick<Config, 'site' | 'room'> & { mqtt: Pick<Config['mqtt'], 'prefix'> }): string {
  return `${config.mqtt.prefix}/${config.site}/${config.room}`;
}

export const topics = {
  availability: (base: string) => `${base}/availability`,
  state: (base: string) => `${base}/state`,
  telemetry: (base: string) => `${base}/telemetry`,
  event: (base: string) => `${base}/event`,
  request: (base: string, command: string) => `${base}/request/${command}`,
  response: (base: string, command: string) => `${base}/response/${command}`,
};
