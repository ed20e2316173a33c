import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { BrokerLink } from './broker-link.js';
import { FAULT_KINDS } from './faults.js';
import type { Fleet } from './fleet.js';
import type { CentralStore } from './store.js';

/** The fleet in Prometheus terms, read from the fleet and the store at each scrape. */
export function centralMetrics(fleet: Fleet, store: CentralStore, broker: BrokerLink): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'classbox_central_rooms',
    help: 'Rooms by availability (unknown: never said, or its retained availability was cleared)',
    labelNames: ['availability'],
    registers: [registry],
    collect() {
      const n = { online: 0, offline: 0, unknown: 0 };
      for (const r of fleet.list()) n[r.online === true ? 'online' : r.online === false ? 'offline' : 'unknown']++;
      for (const [k, v] of Object.entries(n)) this.set({ availability: k }, v);
    },
  });
  new Gauge({
    name: 'classbox_central_faults_open',
    help: 'Open faults by kind',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const n = new Map<string, number>(FAULT_KINDS.map((k) => [k, 0]));
      for (const f of fleet.open()) n.set(f.kind, (n.get(f.kind) ?? 0) + 1);
      for (const [kind, v] of n) this.set({ kind }, v);
    },
  });
  new Gauge({
    name: 'classbox_central_lessons_today',
    help: 'Lessons started since midnight UTC',
    registers: [registry],
    async collect() {
      this.set(await store.lessonsSince(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`));
    },
  });
  new Gauge({
    name: 'classbox_central_messages',
    help: 'Messages from the broker since start: taken, dropped as not a box message, replays of events already stored',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.set({ outcome: 'taken' }, fleet.counts.messages - fleet.counts.malformed - fleet.counts.duplicates);
      this.set({ outcome: 'dropped' }, fleet.counts.malformed);
      this.set({ outcome: 'duplicate' }, fleet.counts.duplicates);
    },
  });
  new Gauge({
    name: 'classbox_central_broker_connected',
    help: '1 while connected to the broker',
    registers: [registry],
    collect() {
      this.set(broker.connected ? 1 : 0);
    },
  });
  return registry;
}
