import type { Logger } from 'pino';
import { BrokerLink } from './broker-link.js';
import type { CentralConfig } from './config.js';
import { Fleet } from './fleet.js';
import { CentralHttp } from './http.js';
import { centralMetrics } from './metrics.js';
import { openDb } from './sql.js';
import { CentralStore } from './store.js';

export interface RunningCentral {
  http: CentralHttp;
  fleet: Fleet;
  store: CentralStore;
  stop(): Promise<void>;
}

/**
 * `classbox central`: the store, the fleet model fed by the broker, the page and API, and the clocks
 * that notice what no message says (a box that stopped reporting, events past their retention).
 */
export async function startCentral(config: CentralConfig, log: Logger): Promise<RunningCentral> {
  const store = await CentralStore.open(await openDb(config.database));
  const fleet = await Fleet.load(config, store, log.child({ part: 'fleet' }));
  const broker = new BrokerLink(config, log.child({ part: 'broker' }), (topic, payload) => void fleet.handle(topic, payload));
  const http = new CentralHttp({
    config,
    log: log.child({ part: 'http' }),
    store,
    fleet,
    broker,
    metrics: centralMetrics(fleet, store, broker),
  });
  await http.start();
  broker.start();
  backfillLessons(fleet, broker, log);
  const silence = setInterval(() => void fleet.checkSilence(), 1000);
  const prune = async () => {
    const before = new Date(Date.now() - config.eventRetentionDays * 86_400_000).toISOString();
    const n = await store.pruneEvents(before).catch((err: Error) => (log.error({ err }, 'events not pruned'), 0));
    if (n) log.info({ events: n, before }, 'old events pruned');
  };
  await prune();
  const pruneTimer = setInterval(() => void prune(), 3_600_000);
  return {
    http,
    fleet,
    store,
    async stop() {
      clearInterval(silence);
      clearInterval(pruneTimer);
      await http.stop();
      await broker.stop();
      await fleet.close();
      await store.close();
    },
  };
}

/**
 * A box that comes online is asked for its last sessions: a class that ended while the centre was away
 * longer than the broker keeps its events is counted all the same (each at most once: by its id).
 */
function backfillLessons(fleet: Fleet, broker: BrokerLink, log: Logger): void {
  const asked = new Map<string, number>();
  fleet.on('change', (c) => {
    if (c.type !== 'room') return;
    const r = fleet.room(c.site, c.room);
    const k = `${c.site}/${c.room}`;
    if (r?.online !== true || Date.now() - (asked.get(k) ?? 0) < 3_600_000) return;
    asked.set(k, Date.now());
    broker
      .request(c.site, c.room, 'sessions/list', { limit: 20 })
      .then((response) => {
        const data = (response as { status?: string; data?: { sessions?: unknown } }).data;
        if (Array.isArray(data?.sessions)) return fleet.addSessions(c.site, c.room, data.sessions);
      })
      .catch((err: Error) => log.debug({ site: c.site, room: c.room, err: err.message }, 'sessions not read'));
  });
}
