import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { EventBus, type ClassboxEvents } from '../../src/core/events.js';
import { Devices, type DevicesContext } from '../../src/devices/devices.js';
import { tempDir } from './temp-config.js';

export type BusRecord = { type: keyof ClassboxEvents; payload: unknown; at: number };

/** A room's devices built from a `devices:` config block, with every bus event recorded. */
export async function startDevices(
  devices: Record<string, unknown>,
  options: Partial<Omit<DevicesContext, 'config' | 'log' | 'bus'>> = {},
) {
  const config = loadConfig({ base: { site: 'test-school', room: 'room-1', dataDir: tempDir(), devices }, env: {} });
  const bus = new EventBus();
  const events: BusRecord[] = [];
  for (const type of ['device.online', 'device.offline', 'device.changed', 'gpio.input'] as const) {
    bus.on(events, type, (payload) => events.push({ type, payload, at: performance.now() }));
  }
  const log = pino({ level: process.env.CLASSBOX_TEST_LOG ?? 'silent' });
  const room = new Devices({ config, log, bus, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, ...options });
  await room.start();
  return { room, bus, events, config, stop: () => room.stop() };
}
