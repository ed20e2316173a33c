import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/events.js';

describe('EventBus', () => {
  it("delivers typed payloads and removes all of an owner's listeners at once", () => {
    const bus = new EventBus();
    const a = {};
    const b = {};
    const seen: string[] = [];
    bus.on(a, 'mqtt.connected', (p) => seen.push(`a:${p.url}`));
    bus.on(a, 'mqtt.disconnected', (p) => seen.push(`a-off:${p.url}`));
    bus.on(b, 'mqtt.connected', (p) => seen.push(`b:${p.url}`));
    bus.emit('mqtt.connected', { url: 'u1' });
    bus.removeAll(a);
    bus.emit('mqtt.connected', { url: 'u2' });
    bus.emit('mqtt.disconnected', { url: 'u3' });
    expect(seen).toEqual(['a:u1', 'b:u1', 'b:u2']);
    expect(bus.listenerCount('mqtt.disconnected')).toBe(0);
  });

  it('keeps delivering when one listener throws, and reports the error', () => {
    const bus = new EventBus();
    const errors: string[] = [];
    bus.onListenerError = (err, event) => errors.push(`${event}:${(err as Error).message}`);
    const seen: string[] = [];
    bus.on({}, 'service.started', () => {
      throw new Error('boom');
    });
    bus.on({}, 'service.started', (p) => seen.push(p.version));
    bus.emit('service.started', { version: '1.0' });
    expect(seen).toEqual(['1.0']);
    expect(errors).toEqual(['service.started:boom']);
  });
});
