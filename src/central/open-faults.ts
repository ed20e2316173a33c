import type { Logger } from 'pino';
import type { FaultKind, Finding } from './faults.js';
import type { FleetChange } from './fleet-change.js';
import type { CentralStore, FaultRow, RoomRow } from './store.js';

const faultKey = (kind: string, subject: string) => `${kind}\n${subject}`;

/**
 * The fleet's open faults, by room and then by kind and subject: every message is checked against
 * them. Opened, seen again, cleared and acknowledged here, written to the store and told as changes.
 */
export class OpenFaults {
  private readonly byRoom = new Map<string, Map<string, FaultRow>>();

  constructor(
    private readonly store: CentralStore,
    private readonly log: Logger,
    private readonly changed: (c: FleetChange) => void,
  ) {}

  load(rows: FaultRow[]): void {
    for (const x of rows) this.of(x.site, x.room).set(faultKey(x.kind, x.subject), x);
  }

  /** Every open fault, newest first. */
  all(): FaultRow[] {
    return [...this.byRoom.values()].flatMap((m) => [...m.values()]).sort((a, b) => b.id - a.id);
  }

  has(site: string, room: string, kind: FaultKind, subject: string): boolean {
    return this.of(site, room).has(faultKey(kind, subject));
  }

  /** Opens every finding of the rule's kinds, clears the open ones of those kinds it no longer finds. */
  async level(r: RoomRow, kinds: readonly FaultKind[], found: Finding[], at: string): Promise<void> {
    const wanted = new Set(found.map((f) => faultKey(f.kind, f.subject)));
    for (const f of found) await this.open(r, f, at);
    for (const open of [...this.of(r.site, r.room).values()])
      if ((kinds as readonly string[]).includes(open.kind) && !wanted.has(faultKey(open.kind, open.subject))) await this.close(open, at);
  }

  async open(r: RoomRow, f: Finding, at: string): Promise<void> {
    const faults = this.of(r.site, r.room);
    const existing = faults.get(faultKey(f.kind, f.subject));
    if (existing) {
      // Said again: its last sighting is written at most once a minute, or when its words change.
      if (existing.detail !== f.detail || Date.parse(at) - Date.parse(existing.lastSeen) >= 60_000) {
        existing.detail = f.detail;
        existing.lastSeen = at;
        await this.store.touchFault(existing.id, f.detail, at);
      }
      return;
    }
    const fault = await this.store.insertFault(r.site, r.room, f.kind, f.subject, f.detail, at);
    faults.set(faultKey(f.kind, f.subject), fault);
    this.log.info({ site: r.site, room: r.room, kind: f.kind, subject: f.subject }, f.detail);
    this.changed({ type: 'fault', fault });
  }

  async clear(r: RoomRow, kind: FaultKind, subject: string | undefined, at: string): Promise<void> {
    for (const f of [...this.of(r.site, r.room).values()])
      if (f.kind === kind && (subject === undefined || f.subject === subject)) await this.close(f, at);
  }

  /** A fault acknowledged: the open one in memory carries it too. */
  async acknowledge(id: number, note: string, at: string): Promise<FaultRow | undefined> {
    const fault = await this.store.acknowledge(id, note, at);
    if (!fault) return undefined;
    const open = this.of(fault.site, fault.room).get(faultKey(fault.kind, fault.subject));
    if (open?.id === fault.id) open.acknowledged = fault.acknowledged;
    this.changed({ type: 'fault', fault });
    return fault;
  }

  private async close(f: FaultRow, at: string): Promise<void> {
    this.of(f.site, f.room).delete(faultKey(f.kind, f.subject));
    const fault = await this.store.clearFault(f.id, at);
    this.changed({ type: 'fault', fault });
  }

  private of(site: string, room: string): Map<string, FaultRow> {
    const k = `${site}/${room}`;
    let m = this.byRoom.get(k);
    if (!m) this.byRoom.set(k, (m = new Map()));
    return m;
  }
}
