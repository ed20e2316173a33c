import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { formatIssues } from '../config/format-issues.js';
import { timezone } from '../config/fields.js';
import type { Config } from '../config/schema.js';
import { scheduledClass } from '../config/service-schema.js';
import type { EventBus } from '../core/events.js';
import type { Part } from '../core/lifecycle.js';
import type { ClassControl } from '../core/class-session.js';
import type { MqttLink } from '../mqtt/client.js';
import { jsonDepth, MAX_REQUEST_BYTES, MAX_REQUEST_DEPTH } from '../requests/command-table.js';
import { icalOccurrences, weeklyOccurrences, type Occurrence, type ScheduledClass } from './timetable.js';

/** What a dashboard pushes, retained, to `<base>/schedule/set`: weekly classes, replacing the last push. */
export const pushedSchedule = z.strictObject({ timezone: timezone().optional(), classes: z.array(scheduledClass).max(200) });

export interface SchedulerContext {
  config: Config;
  log: Logger;
  bus: EventBus;
  classroom: ClassControl;
  mqtt?: MqttLink | undefined;
  /** The clock; tests drive it and call tick() themselves (autoTick false). */
  now?: () => number;
  autoTick?: boolean;
  fetch?: typeof fetch;
}

const MAX_TICK_MS = 30_000;
/** Projectors are switched on this long before a scheduled class, to be warm when it starts. */
export const WARM_UP_LEAD_MS = 60_000;

/**
 * Runs the timetable: the config's weekly classes, a weekly schedule pushed over MQTT, and an
 * iCalendar feed polled and cached on disk (so the box keeps its timetable through network outages).
 * A scheduled class starts at its start time and ends at its end time; an ad-hoc class running then is
 * pre-empted, and the end of it says so. A class stopped by hand stays stopped.
 */
export class Scheduler implements Part {
  readonly name = 'scheduler';
  private pushed: { timezone?: string | undefined; classes: ScheduledClass[] } = { classes: [] };
  private ical: string | undefined;
  private running: { occurrence: Occurrence; id: string } | undefined;
  /** Occurrences already started (or stopped by hand): never started twice. */
  private readonly handled = new Set<string>();
  /** Occurrences whose projectors were switched on ahead. */
  private readonly prepared = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private fetchFailing = false;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly dir: string;
  private ticking: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: SchedulerContext) {
    this.now = ctx.now ?? Date.now;
    this.log = ctx.log.child({ part: 'schedule' });
    this.dir = join(ctx.config.dataDir, 'schedule');
  }

  private get tz(): string {
    return this.pushed.timezone ?? this.ctx.config.schedule.timezone;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    this.pushed = this.readJson('pushed.json') ?? { classes: [] };
    if (existsSync(join(this.dir, 'feed.ics'))) this.ical = readFileSync(join(this.dir, 'feed.ics'), 'utf8');
    this.ctx.mqtt?.subscribe(`${this.ctx.mqtt.base}/schedule/set`, (m) => this.onPushed(m.payload));
    this.ctx.bus.on(this, 'class.ended', (s) => {
      if (this.running?.id === s.id) this.running = undefined;
    });
    if (this.ctx.config.schedule.icalUrl) {
      await this.pollFeed();
      this.poller = setInterval(() => void this.pollFeed(), this.ctx.config.schedule.icalPollS * 1000);
      this.poller.unref?.();
    }
    if (this.ctx.autoTick !== false) await this.tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.poller);
    this.ctx.bus.removeAll(this);
  }

  /** Every class of every source overlapping [from, to), earliest first. */
  occurrences(from: number, to: number): Occurrence[] {
    const all = [
      ...weeklyOccurrences(this.ctx.config.schedule.classes, this.tz, from, to, 'config'),
      ...weeklyOccurrences(this.pushed.classes, this.tz, from, to, 'pushed'),
    ];
    if (this.ical) {
      try {
        all.push(...icalOccurrences(this.ical, this.tz, from, to));
      } catch (err) {
        this.log.warn({ err }, 'cached iCalendar feed unreadable');
      }
    }
    return all.sort((a, b) => a.start - b.start || a.key.localeCompare(b.key));
  }

  /** The classes of the next `days` days, for `schedule/get`. */
  upcoming(days: number): Array<{ name: string; mode: string; origin: string; start: string; end: string }> {
    const now = this.now();
    return this.occurrences(now, now + days * 86_400_000).map((o) => ({
      name: o.name,
      mode: o.mode,
      origin: o.origin,
      start: new Date(o.start).toISOString(),
      end: new Date(o.end).toISOString(),
    }));
  }

  /** Starts and ends scheduled classes for the current time, then sleeps until the next boundary. */
  tick(): Promise<void> {
    this.ticking = this.ticking.then(() => this.step()).catch((err: unknown) => this.log.error({ err }, 'schedule step failed'));
    return this.ticking;
  }

  private async step(): Promise<void> {
    clearTimeout(this.timer);
    const now = this.now();
    const upcoming = this.occurrences(now - 86_400_000, now + 86_400_000);
    const due = upcoming.find((o) => o.start <= now && now < o.end && !this.handled.has(o.key));
    if (this.running && now >= this.running.occurrence.end) {
      const { occurrence, id } = this.running;
      this.running = undefined;
      if (this.ctx.classroom.snapshot()?.id === id) await this.ctx.classroom.end('end time reached').catch(() => undefined);
      this.log.info({ class: occurrence.name }, 'scheduled class over');
    }
    // Warm the projectors up for the next class, unless a class is on (it has them on already).
    const coming = upcoming.find((o) => o.start > now && o.start - now <= WARM_UP_LEAD_MS && !this.prepared.has(o.key));
    if (coming && !this.ctx.classroom.snapshot()) {
      this.prepared.add(coming.key);
      this.log.info({ class: coming.name }, 'switching projectors on ahead of the class');
      this.ctx.classroom.prepare(coming.projector && Object.keys(coming.projector).length > 0 ? coming.projector : undefined);
    }
    if (due) {
      this.handled.add(due.key);
      const current = this.ctx.classroom.snapshot();
      if (current && current.source === 'schedule' && current.name === due.name) {
        // This class, resumed after a restart of classbox: the timetable takes it up as it is.
        this.running = { occurrence: due, id: current.id };
        return this.sleep(upcoming, now);
      }
      if (current) {
        // Pre-empted only at the scheduled class's start time, and said so.
        await this.ctx.classroom.end(`pre-empted by scheduled class "${due.name}"`);
      }
      const nonEmpty = <T extends object>(o: T | undefined) => (o && Object.keys(o).length > 0 ? o : undefined);
      try {
        const started = await this.ctx.classroom.begin({
          mode: due.mode,
          name: due.name,
          layout: due.layout,
          preset: nonEmpty(due.preset),
          projector: nonEmpty(due.projector),
          media: due.media,
          minutes: Math.max(1, Math.ceil((due.end - now) / 60_000)),
          source: 'schedule',
        });
        this.running = { occurrence: due, id: started.id };
      } catch (err) {
        this.log.error({ err, class: due.name }, 'scheduled class could not start');
      }
    }
    this.sleep(upcoming, now);
  }

  private sleep(upcoming: Occurrence[], now: number): void {
    if (this.ctx.autoTick === false) return;
    const next = upcoming.flatMap((o) => [o.start - WARM_UP_LEAD_MS, o.start, o.end]).filter((t) => t > now);
    const wait = Math.min(MAX_TICK_MS, ...next.map((t) => t - now + 50));
    this.timer = setTimeout(() => void this.tick(), Math.max(50, wait));
    this.timer.unref?.();
  }

  private onPushed(payload: Buffer): void {
    if (payload.length === 0) {
      this.pushed = { classes: [] };
      this.writeJson('pushed.json', this.pushed);
      void this.tick();
      return;
    }
    // The same limits as every request, before parsing: size, then nesting.
    if (payload.length > MAX_REQUEST_BYTES) return this.rejected(`larger than ${MAX_REQUEST_BYTES / 1024} KB`);
    if (jsonDepth(payload) > MAX_REQUEST_DEPTH) return this.rejected(`nested deeper than ${MAX_REQUEST_DEPTH} levels`);
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      return this.rejected(`not JSON: ${(err as Error).message}`);
    }
    const parsed = pushedSchedule.safeParse(body);
    if (!parsed.success) {
      const p = formatIssues(parsed.error.issues, body)[0]!;
      return this.rejected(`${p.path}: ${p.message}`);
    }
    this.pushed = parsed.data;
    this.writeJson('pushed.json', this.pushed);
    this.log.info({ classes: this.pushed.classes.length }, 'schedule pushed');
    this.ctx.bus.emit('schedule.updated', { source: 'pushed', classes: this.pushed.classes.length });
    void this.tick();
  }

  private rejected(reason: string): void {
    this.log.warn({ reason }, 'pushed schedule refused');
    this.ctx.bus.emit('schedule.rejected', { source: 'pushed', reason });
  }

  /** Fetches the feed; on success caches it, on failure keeps the cached copy and says so once. */
  async pollFeed(): Promise<void> {
    const url = this.ctx.config.schedule.icalUrl;
    if (!url) return;
    const doFetch = this.ctx.fetch ?? fetch;
    try {
      const res = await doFetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      if (text.length > 2_000_000) throw new Error('feed larger than 2 MB');
      const now = this.now();
      const count = icalOccurrences(text, this.tz, now, now + 7 * 86_400_000).length; // throws if it is not iCalendar
      if (text !== this.ical) {
        this.ical = text;
        writeFileAtomic(join(this.dir, 'feed.ics'), text);
        this.ctx.bus.emit('schedule.updated', { source: 'ical', classes: count });
      }
      this.fetchFailing = false;
    } catch (err) {
      if (!this.fetchFailing) {
        this.fetchFailing = true;
        this.log.warn({ err, url }, 'iCalendar feed not fetched; the cached copy stays in use');
        this.ctx.bus.emit('schedule.fetch_failed', { url, reason: (err as Error).message, cached: this.ical !== undefined });
      }
    }
    void this.tick();
  }

  private readJson<T>(file: string): T | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, file), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  private writeJson(file: string, value: unknown): void {
    writeFileAtomic(join(this.dir, file), JSON.stringify(value));
  }
}
